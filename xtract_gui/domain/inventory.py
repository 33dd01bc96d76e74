"""Neutral inventory objects for both sides of a migration.

Adapters translate vendor objects (pyVmomi managed objects, Prism JSON) into
these; everything above the adapters sees only this vocabulary.  Sizes are in
bytes, memory in MiB, as the vSphere and Prism APIs count them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class PowerState(StrEnum):
    ON = "on"
    OFF = "off"
    SUSPENDED = "suspended"


class ToolsStatus(StrEnum):
    """VMware Tools as seen by vCenter (``guest.toolsRunningStatus`` + version status)."""

    RUNNING = "running"
    NOT_RUNNING = "not_running"
    NOT_INSTALLED = "not_installed"
    OLD = "old"  # running, but too old for guest operations


class OsFamily(StrEnum):
    WINDOWS = "windows"
    LINUX = "linux"
    OTHER = "other"


class Firmware(StrEnum):
    BIOS = "bios"
    EFI = "efi"


class DiskMode(StrEnum):
    """vSphere ``VirtualDiskMode`` values that matter for a snapshot-based copy."""

    PERSISTENT = "persistent"
    INDEPENDENT_PERSISTENT = "independent_persistent"
    INDEPENDENT_NONPERSISTENT = "independent_nonpersistent"
    NONPERSISTENT = "nonpersistent"
    UNDOABLE = "undoable"

    @property
    def independent(self) -> bool:
        """Independent disks are left out of snapshots, so CBT cannot freeze them."""
        return self in (DiskMode.INDEPENDENT_PERSISTENT, DiskMode.INDEPENDENT_NONPERSISTENT)


class DiskSharing(StrEnum):
    NONE = "sharingNone"
    MULTI_WRITER = "sharingMultiWriter"


class ControllerType(StrEnum):
    LSI_LOGIC = "lsilogic"
    LSI_LOGIC_SAS = "lsilogic_sas"
    PVSCSI = "pvscsi"
    BUSLOGIC = "buslogic"
    SATA = "sata"
    IDE = "ide"
    NVME = "nvme"


# Datastore types (summary.type, lower-cased) whose disks are objects, not flat files /folder can serve.
NO_FLAT_FILE_DATASTORES = frozenset({"vsan", "vvol"})


class BootType(StrEnum):
    """Target boot configuration, named as Prism v3 names it."""

    LEGACY = "LEGACY"
    UEFI = "UEFI"
    SECURE_BOOT = "SECURE_BOOT"


@dataclass(frozen=True)
class SourceDisk:
    key: int  # vSphere device key; CBT and reconfigure calls name the disk by it
    label: str
    capacity_bytes: int
    controller: ControllerType
    bus_number: int
    unit_number: int
    backing_file: str  # "[datastore] folder/name.vmdk" (the descriptor)
    datastore: str
    thin: bool = True
    mode: DiskMode = DiskMode.PERSISTENT
    sharing: DiskSharing = DiskSharing.NONE
    rdm: bool = False
    rdm_physical: bool = False
    change_id: str = ""  # the disk's current changeId when CBT is on
    # vSphere source fidelity (issue 20):
    encrypted: bool = False  # the backing has a keyId: its files hold ciphertext
    datastore_type: str = ""  # summary.type of the disk's datastore: "VMFS", "NFS", "vsan", "VVOL", …

    @property
    def flat_file_readable(self) -> bool:
        """A vSAN or vVol disk is an object on its datastore, with no flat file to read over HTTPS."""
        return self.datastore_type.lower() not in NO_FLAT_FILE_DATASTORES


@dataclass(frozen=True)
class MissingPrivilege:
    """A vCenter privilege the migration needs that the account lacks on one object."""

    privilege: str  # "VirtualMachine.State.RemoveSnapshot"
    entity_kind: str  # "VM", "host", "datastore"
    entity_name: str


@dataclass(frozen=True)
class SourceNic:
    key: int
    mac: str  # lower-case, colon separated
    network: str  # port group (standard or distributed) name
    adapter_type: str  # vmxnet3, e1000, e1000e, …
    connected: bool = True
    start_connected: bool = True


@dataclass(frozen=True)
class SourceVM:
    vm_id: str  # vCenter managed object id (moref value, "vm-123")
    name: str
    uuid: str  # BIOS/SMBIOS uuid (config.uuid); the guest sees it as its product uuid
    instance_uuid: str
    guest_id: str  # e.g. windows9Server64Guest
    guest_family: OsFamily
    guest_full_name: str
    firmware: Firmware
    secure_boot: bool
    num_cpu: int
    cores_per_socket: int
    memory_mib: int
    hardware_version: int  # 13 for "vmx-13"
    tools_status: ToolsStatus
    power_state: PowerState
    snapshot_count: int
    cbt_enabled: bool
    disks: tuple[SourceDisk, ...] = ()
    nics: tuple[SourceNic, ...] = ()
    folder: str = ""  # inventory path of the VM folder, "/DC0/vm/app"
    datacenter: str = ""
    cluster: str = ""
    host: str = ""  # ESXi host name running the VM
    guest_hostname: str = ""
    guest_ips: tuple[str, ...] = ()
    annotation: str = ""
    guest_operations_ready: bool = False
    # vSphere source fidelity (issue 20):
    encrypted: bool = False  # config.keyId is set (VM encryption)
    connection_state: str = "connected"  # runtime.connectionState: disconnected, orphaned, inaccessible, …
    consolidation_needed: bool = False  # a snapshot removal left delta disks behind
    missing_privileges: tuple[MissingPrivilege, ...] = ()  # checked on the VM, its host and datastores

    @property
    def sockets(self) -> int:
        return max(1, self.num_cpu // max(1, self.cores_per_socket))

    @property
    def provisioned_bytes(self) -> int:
        return sum(d.capacity_bytes for d in self.disks)

    def disk(self, key: int) -> SourceDisk:
        for d in self.disks:
            if d.key == key:
                return d
        raise KeyError(f"VM {self.name} has no disk with key {key}")


@dataclass(frozen=True)
class SourceHost:
    name: str
    host_id: str
    cluster: str = ""
    datacenter: str = ""
    connected: bool = True


@dataclass(frozen=True)
class SourceInventory:
    """What the source endpoint shows at one moment."""

    about: str  # "VMware vCenter Server 7.0.3 build-…"
    api_version: str
    datacenters: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    hosts: tuple[SourceHost, ...] = ()
    networks: tuple[str, ...] = ()
    vms: tuple[SourceVM, ...] = ()

    def vm(self, vm_id: str) -> SourceVM:
        for v in self.vms:
            if v.vm_id == vm_id:
                return v
        raise KeyError(vm_id)


@dataclass(frozen=True)
class SnapshotRef:
    """A snapshot we took; ``disk_change_ids`` are each disk's changeId as of it."""

    vm_id: str
    snapshot_id: str  # moref value of the snapshot ("snapshot-42")
    name: str
    disk_change_ids: dict[int, str] = field(default_factory=dict)
    created_at: float = 0.0


# Target side ---------------------------------------------------------------------------------


class TargetKind(StrEnum):
    PRISM_ELEMENT = "PE"
    PRISM_CENTRAL = "PC"


@dataclass(frozen=True)
class TargetCluster:
    uuid: str
    name: str
    version: str = ""
    external_ip: str = ""  # cluster virtual IP: NFS and PE API address
    nfs_whitelist: tuple[str, ...] = ()


@dataclass(frozen=True)
class StorageContainer:
    uuid: str
    name: str
    cluster_uuid: str
    capacity_bytes: int
    free_bytes: int
    nfs_whitelist: tuple[str, ...] = ()  # the container's own list ("ip/mask"), when it has one
    # False when the container has its own NFS whitelist: the cluster-wide list then does not apply to it.
    nfs_whitelist_inherited: bool = True


@dataclass(frozen=True)
class Subnet:
    uuid: str
    name: str
    cluster_uuid: str
    vlan_id: int | None = None
    subnet_type: str = "VLAN"  # VLAN or OVERLAY


@dataclass(frozen=True)
class TargetVM:
    uuid: str
    name: str
    power_state: PowerState
    cluster_uuid: str = ""
    num_sockets: int = 1
    cores_per_socket: int = 1
    memory_mib: int = 0
    boot_type: BootType = BootType.LEGACY
    disk_sizes: tuple[int, ...] = ()
    nic_macs: tuple[str, ...] = ()
    ip_addresses: tuple[str, ...] = ()
    description: str = ""  # ours carry the job's marker (a create whose answer was lost is found by it)


@dataclass(frozen=True)
class TargetDiskSpec:
    """One disk of a VM to create: cloned from an image or from a file in a container."""

    size_bytes: int
    bus: str = "SCSI"  # SCSI | SATA | PCI | IDE
    index: int = 0
    image_uuid: str = ""
    ndfs_path: str = ""  # "/<container>/<path>" of a raw file written over NFS
    container_uuid: str = ""


@dataclass(frozen=True)
class TargetNicSpec:
    subnet_uuid: str
    mac: str = ""  # empty: let AHV assign one
    model: str = "VIRTIO"
    connected: bool = True


@dataclass(frozen=True)
class TargetVMSpec:
    name: str
    cluster_uuid: str
    num_sockets: int
    cores_per_socket: int
    memory_mib: int
    boot_type: BootType
    disks: tuple[TargetDiskSpec, ...]
    nics: tuple[TargetNicSpec, ...]
    description: str = ""
    power_on: bool = False


# Where Prism Central (v3) keeps images; a v3 disk cloned from an image lands in the image's container whatever
# its storage_config says (terraform-provider-nutanix issues #223, #249, #686; packer-plugin-nutanix issue #36).
IMAGE_CONTAINER = "SelfServiceContainer"


@dataclass(frozen=True)
class TargetInventory:
    """What the target endpoint shows at one moment (for readiness and the wizard)."""

    kind: TargetKind
    version: str
    clusters: tuple[TargetCluster, ...] = ()
    containers: tuple[StorageContainer, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    vm_names: frozenset[str] = frozenset()
    # This laptop's NFS whitelist entry as the cluster sees it ("10.0.0.5/255.255.255.255"); "" when unknown.
    nfs_client: str = ""

    def container(self, container_uuid: str) -> StorageContainer | None:
        return next((c for c in self.containers if c.uuid == container_uuid), None)

    def disk_container(self, container_uuid: str) -> StorageContainer | None:
        """The container that will really hold the migrated VMs' disks when the plan names ``container_uuid``.

        Through Prism Element, that container.  Through Prism Central every disk is cloned from an image (a
        staging image in warm mode, the uploaded one in cold mode), images live in the cluster's
        SelfServiceContainer, and v3 puts an image's clone next to it: the disks land there.
        """
        chosen = self.container(container_uuid)
        if self.kind is not TargetKind.PRISM_CENTRAL or chosen is None:
            return chosen
        return next((c for c in self.containers if c.name == IMAGE_CONTAINER and c.cluster_uuid == chosen.cluster_uuid),
                    chosen)
