"""vSphere property sets → the domain's inventory objects (pure functions over retrieved values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from ..domain.inventory import (
    ControllerType,
    DiskMode,
    DiskSharing,
    Firmware,
    OsFamily,
    PowerState,
    SourceDisk,
    SourceNic,
    SourceVM,
    ToolsStatus,
)

VM_PROPERTIES = [
    "name", "parent", "config.uuid", "config.instanceUuid", "config.guestId", "config.guestFullName",
    "config.firmware", "config.bootOptions", "config.hardware.numCPU", "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB", "config.hardware.device", "config.version", "config.changeTrackingEnabled",
    "config.annotation", "config.template", "guest.toolsRunningStatus", "guest.toolsVersionStatus2",
    "guest.hostName", "guest.net", "guest.ipAddress", "guest.guestOperationsReady", "guest.guestFamily",
    "runtime.powerState", "runtime.host", "snapshot",
    # A VM in a vApp has no parent but a parentVApp (vSphere API, ManagedEntity.parent).
    "parentVApp", "config.keyId", "runtime.connectionState", "runtime.consolidationNeeded",
]

# Everything but VMs that naming a VM's place needs: folders, datacenters, hosts, clusters, networks.
TOPOLOGY_PROPERTIES: dict[type, list[str]] = {
    vim.Folder: ["name", "parent"],
    vim.Datacenter: ["name", "parent"],
    vim.ComputeResource: ["name", "parent"],  # includes ClusterComputeResource
    vim.HostSystem: ["name", "parent", "runtime.connectionState"],
    vim.Network: ["name"],  # includes DistributedVirtualPortgroup and OpaqueNetwork
    vim.ResourcePool: ["name", "parent"],  # includes VirtualApp: the way up from a vApp's VMs
    vim.VirtualApp: ["parentFolder"],
    vim.Datastore: ["name", "parent", "summary.type"],  # a datastore's datacenter names /folder's dcPath
}

_CONTROLLERS: list[tuple[type, ControllerType]] = [
    (vim.vm.device.ParaVirtualSCSIController, ControllerType.PVSCSI),
    (vim.vm.device.VirtualLsiLogicSASController, ControllerType.LSI_LOGIC_SAS),
    (vim.vm.device.VirtualLsiLogicController, ControllerType.LSI_LOGIC),
    (vim.vm.device.VirtualBusLogicController, ControllerType.BUSLOGIC),
    (vim.vm.device.VirtualAHCIController, ControllerType.SATA),
    (vim.vm.device.VirtualIDEController, ControllerType.IDE),
    (vim.vm.device.VirtualNVMEController, ControllerType.NVME),
]

_NIC_TYPES: list[tuple[type, str]] = [
    (vim.vm.device.VirtualVmxnet3Vrdma, "vmxnet3vrdma"),
    (vim.vm.device.VirtualVmxnet3, "vmxnet3"),
    (vim.vm.device.VirtualVmxnet2, "vmxnet2"),
    (vim.vm.device.VirtualVmxnet, "vmxnet"),
    (vim.vm.device.VirtualE1000e, "e1000e"),
    (vim.vm.device.VirtualE1000, "e1000"),
    (vim.vm.device.VirtualPCNet32, "pcnet32"),
    (vim.vm.device.VirtualSriovEthernetCard, "sriov"),
]

_LINUX_HINTS = ("linux", "rhel", "centos", "ubuntu", "debian", "sles", "suse", "oracle", "fedora", "rocky",
                "alma", "amazonlinux", "photon", "coreos", "asianux", "mandr", "turbo", "miracle")


@dataclass
class Topology:
    """Names of the objects around VMs, keyed by moref value (valid for one vCenter)."""

    names: dict[str, str] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # moref value → vim type name
    host_connected: dict[str, bool] = field(default_factory=dict)
    datastore_types: dict[str, str] = field(default_factory=dict)  # datastore moref → "VMFS", "vsan", …
    vapp_folders: dict[str, str] = field(default_factory=dict)  # vApp moref → its VM folder's moref

    def add(self, obj: Any, props: dict[str, Any]) -> None:
        moid = obj._moId
        self.names[moid] = props.get("name", moid)
        self.kinds[moid] = type(obj).__name__.rsplit(".", 1)[-1]
        parent = props.get("parent")
        if parent is not None:
            self.parents[moid] = parent._moId
        if "runtime.connectionState" in props:
            self.host_connected[moid] = str(props["runtime.connectionState"]) == "connected"
        if "summary.type" in props:
            self.datastore_types[moid] = str(props["summary.type"] or "")
        if props.get("parentFolder") is not None:
            self.vapp_folders[moid] = props["parentFolder"]._moId

    def knows(self, moid: str) -> bool:
        return moid in self.names

    def ancestor(self, moid: str, kind: str) -> str:
        """The nearest ancestor of the given vim type name ("Datacenter"), or ""."""
        seen = 0
        while moid in self.parents and seen < 64:
            moid = self.parents[moid]
            seen += 1
            if self.kinds.get(moid) == kind:
                return moid
        return ""

    def datacenter_path(self, entity: str) -> str:
        """Inventory path of the datacenter holding ``entity`` (or being it), as /folder's dcPath wants it:
        "Region-East/DC1", names as vCenter keeps them ("/" inside a name stays escaped as %2f); "" if unknown."""
        dc = entity if self.kinds.get(entity) == "Datacenter" else self.ancestor(entity, "Datacenter")
        return self.folder_path(dc).lstrip("/") if dc else ""

    def folder_path(self, folder: str) -> str:
        """Inventory path of a folder: "/DC0/vm/app" (the root folder has no segment)."""
        parts: list[str] = []
        current = folder
        while current and current in self.parents:  # the root folder has no parent and no segment
            parts.append(self.names.get(current, current))
            current = self.parents[current]
        return "/" + "/".join(reversed(parts))

    def cluster_of_host(self, host: str) -> str:
        parent = self.parents.get(host, "")
        return self.names.get(parent, "") if self.kinds.get(parent) == "ClusterComputeResource" else ""


def props_of(content: Any) -> dict[str, Any]:
    return {p.name: p.val for p in (content.propSet or [])}


def guest_family(guest_id: str, reported: str = "") -> OsFamily:
    if reported == "windowsGuest" or guest_id.lower().startswith("win"):
        return OsFamily.WINDOWS
    if reported == "linuxGuest" or any(h in guest_id.lower() for h in _LINUX_HINTS):
        return OsFamily.LINUX
    return OsFamily.OTHER


def tools_status(running: str, version: str) -> ToolsStatus:
    if version == "guestToolsNotInstalled":
        return ToolsStatus.NOT_INSTALLED
    if running != "guestToolsRunning":
        return ToolsStatus.NOT_RUNNING
    if version == "guestToolsTooOld":
        return ToolsStatus.OLD
    return ToolsStatus.RUNNING


def power_state(value: Any) -> PowerState:
    return {"poweredOn": PowerState.ON, "suspended": PowerState.SUSPENDED}.get(str(value), PowerState.OFF)


def hardware_version(version: str) -> int:
    digits = "".join(c for c in (version or "") if c.isdigit())
    return int(digits) if digits else 0


def datastore_of(file_name: str) -> str:
    """"[LocalDS_0] vm/disk.vmdk" → "LocalDS_0"."""
    if file_name.startswith("[") and "]" in file_name:
        return file_name[1:file_name.index("]")]
    return ""


def disk_capacity(disk: Any) -> int:
    """Bytes of a ``VirtualDisk``: ``capacityInBytes`` where vCenter fills it (6.0+), else the KB field."""
    return int(getattr(disk, "capacityInBytes", 0) or 0) or int(disk.capacityInKB or 0) * 1024


def snapshot_count(snapshot_info: Any) -> int:
    def count(trees: Any) -> int:
        return sum(1 + count(t.childSnapshotList) for t in trees or [])

    return count(getattr(snapshot_info, "rootSnapshotList", None)) if snapshot_info is not None else 0


def map_disks(devices: list[Any], topology: Topology | None = None) -> tuple[SourceDisk, ...]:
    controllers = {d.key: d for d in devices if isinstance(d, vim.vm.device.VirtualController)}
    disks = []
    for d in devices:
        if not isinstance(d, vim.vm.device.VirtualDisk):
            continue
        ctrl = controllers.get(d.controllerKey)
        kind = next((k for cls, k in _CONTROLLERS if isinstance(ctrl, cls)), ControllerType.LSI_LOGIC)
        backing = d.backing
        rdm = isinstance(backing, vim.vm.device.VirtualDisk.RawDiskMappingVer1BackingInfo)
        file_name = getattr(backing, "fileName", "") or ""
        mode = getattr(backing, "diskMode", "") or "persistent"
        sharing = getattr(backing, "sharing", "") or DiskSharing.NONE.value
        ds = getattr(backing, "datastore", None)
        ds_type = topology.datastore_types.get(ds._moId, "") if topology is not None and ds is not None else ""
        disks.append(SourceDisk(
            key=d.key,
            label=getattr(d.deviceInfo, "label", "") or f"disk {d.key}",
            capacity_bytes=disk_capacity(d),
            controller=kind,
            bus_number=int(getattr(ctrl, "busNumber", 0) or 0),
            unit_number=int(d.unitNumber or 0),
            backing_file=file_name,
            datastore=datastore_of(file_name),
            thin=bool(getattr(backing, "thinProvisioned", False)),
            mode=DiskMode(mode) if mode in DiskMode._value2member_map_ else DiskMode.PERSISTENT,
            sharing=DiskSharing(sharing) if sharing in DiskSharing._value2member_map_ else DiskSharing.NONE,
            rdm=rdm,
            rdm_physical=rdm and getattr(backing, "compatibilityMode", "") == "physicalMode",
            change_id=getattr(backing, "changeId", "") or "",
            encrypted=getattr(backing, "keyId", None) is not None,
            datastore_type=ds_type,
        ))
    return tuple(disks)


def map_nics(devices: list[Any], topology: Topology) -> tuple[SourceNic, ...]:
    nics = []
    for d in devices:
        if not isinstance(d, vim.vm.device.VirtualEthernetCard):
            continue
        backing = d.backing
        network = ""
        if isinstance(backing, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
            key = backing.port.portgroupKey if backing.port else ""
            network = topology.names.get(key, key or "")
        elif isinstance(backing, vim.vm.device.VirtualEthernetCard.NetworkBackingInfo):
            network = backing.deviceName or (topology.names.get(backing.network._moId, "") if backing.network else "")
        elif isinstance(backing, vim.vm.device.VirtualEthernetCard.OpaqueNetworkBackingInfo):
            network = backing.opaqueNetworkId or ""
        connectable = d.connectable
        nics.append(SourceNic(
            key=d.key,
            mac=(d.macAddress or "").lower(),
            network=network,
            adapter_type=next((n for cls, n in _NIC_TYPES if isinstance(d, cls)), "unknown"),
            connected=bool(connectable.connected) if connectable else False,
            start_connected=bool(connectable.startConnected) if connectable else False,
        ))
    return tuple(nics)


def guest_ips(net: list[Any] | None, primary: str) -> tuple[str, ...]:
    ips: list[str] = [primary] if primary else []
    for nic in net or []:
        for ip in nic.ipAddress or []:
            if ip not in ips and not ip.lower().startswith("fe80:"):
                ips.append(ip)
    return tuple(ips)


def map_vm(moid: str, p: dict[str, Any], topology: Topology) -> SourceVM:
    devices = list(p.get("config.hardware.device") or [])
    boot = p.get("config.bootOptions")
    host = p.get("runtime.host")
    host_id = host._moId if host is not None else ""
    parent, vapp = p.get("parent"), p.get("parentVApp")
    folder_holder = parent._moId if parent is not None else ""
    if not folder_holder and vapp is not None:  # in a vApp: the vApp's VM folder, up through the vApp's pools
        folder_holder = topology.vapp_folders.get(vapp._moId, "")
    datacenter = topology.ancestor(folder_holder, "Datacenter") if folder_holder else ""
    if not datacenter and vapp is not None:
        datacenter = topology.ancestor(vapp._moId, "Datacenter")
    guest_id = p.get("config.guestId") or ""
    return SourceVM(
        vm_id=moid,
        name=p.get("name", moid),
        uuid=p.get("config.uuid") or "",
        instance_uuid=p.get("config.instanceUuid") or "",
        guest_id=guest_id,
        guest_family=guest_family(guest_id, p.get("guest.guestFamily") or ""),
        guest_full_name=p.get("config.guestFullName") or "",
        firmware=Firmware.EFI if p.get("config.firmware") == "efi" else Firmware.BIOS,
        secure_boot=bool(getattr(boot, "efiSecureBootEnabled", False)),
        num_cpu=int(p.get("config.hardware.numCPU") or 1),
        cores_per_socket=int(p.get("config.hardware.numCoresPerSocket") or 1),
        memory_mib=int(p.get("config.hardware.memoryMB") or 0),
        hardware_version=hardware_version(p.get("config.version") or ""),
        tools_status=tools_status(str(p.get("guest.toolsRunningStatus") or ""),
                                  str(p.get("guest.toolsVersionStatus2") or "")),
        power_state=power_state(p.get("runtime.powerState")),
        snapshot_count=snapshot_count(p.get("snapshot")),
        cbt_enabled=bool(p.get("config.changeTrackingEnabled")),
        disks=map_disks(devices, topology),
        nics=map_nics(devices, topology),
        folder=topology.folder_path(folder_holder) if folder_holder else "",
        datacenter=topology.names.get(datacenter, ""),
        cluster=topology.cluster_of_host(host_id),
        host=topology.names.get(host_id, ""),
        guest_hostname=p.get("guest.hostName") or "",
        guest_ips=guest_ips(p.get("guest.net"), p.get("guest.ipAddress") or ""),
        annotation=p.get("config.annotation") or "",
        guest_operations_ready=bool(p.get("guest.guestOperationsReady")),
        encrypted=p.get("config.keyId") is not None,
        connection_state=str(p.get("runtime.connectionState") or "connected"),
        consolidation_needed=bool(p.get("runtime.consolidationNeeded")),
    )
