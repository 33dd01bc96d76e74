"""Small builders for domain objects, shared by the domain tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from xtract_gui.domain.inventory import (
    ControllerType,
    Firmware,
    OsFamily,
    PowerState,
    SourceDisk,
    SourceNic,
    SourceVM,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetInventory,
    TargetKind,
    ToolsStatus,
)
from xtract_gui.domain.plan import (
    GuestAccess,
    GuestChannelKind,
    Plan,
    SecretRef,
    SourceEndpoint,
    TargetEndpoint,
    VmPlan,
)

GIB = 2**30


def disk(key: int = 2000, **kw: Any) -> SourceDisk:
    base = SourceDisk(key=key, label=f"Hard disk {key - 1999}", capacity_bytes=40 * GIB,
                      controller=ControllerType.PVSCSI, bus_number=0, unit_number=key - 2000,
                      backing_file=f"[ds1] web/web_{key}.vmdk", datastore="ds1")
    return replace(base, **kw)


def vm(vm_id: str = "vm-1", **kw: Any) -> SourceVM:
    base = SourceVM(vm_id=vm_id, name=f"web-{vm_id}", uuid="4210aaaa-0000-0000-0000-000000000001",
                    instance_uuid="5010", guest_id="windows2019srv_64Guest", guest_family=OsFamily.WINDOWS,
                    guest_full_name="Microsoft Windows Server 2019", firmware=Firmware.BIOS, secure_boot=False,
                    num_cpu=4, cores_per_socket=2, memory_mib=8192, hardware_version=14,
                    tools_status=ToolsStatus.RUNNING, power_state=PowerState.ON, snapshot_count=0,
                    cbt_enabled=True, disks=(disk(),),
                    nics=(SourceNic(key=4000, mac="00:50:56:aa:bb:01", network="VM Network", adapter_type="vmxnet3"),),
                    guest_ips=("10.0.0.5",), guest_operations_ready=True)
    return replace(base, **kw)


def target(**kw: Any) -> TargetInventory:
    base = TargetInventory(
        kind=TargetKind.PRISM_ELEMENT, version="6.5",
        clusters=(TargetCluster(uuid="c1", name="ahv1"),),
        containers=(StorageContainer(uuid="k1", name="default", cluster_uuid="c1",
                                     capacity_bytes=1000 * GIB, free_bytes=500 * GIB),),
        subnets=(Subnet(uuid="s1", name="vlan10", cluster_uuid="c1", vlan_id=10),),
    )
    return replace(base, **kw)


def plan(*vms: SourceVM, **kw: Any) -> Plan:
    guest = GuestAccess(channel=GuestChannelKind.WINRM, user="Administrator",
                        password=SecretRef("xtract-gui", "Administrator@guest"))
    base = Plan(name="wave 1",
                source=SourceEndpoint(host="vc.lab", user="administrator@vsphere.local",
                                      password=SecretRef("xtract-gui", "administrator@vc.lab")),
                target=TargetEndpoint(host="pe.lab", user="admin", password=SecretRef("xtract-gui", "admin@pe.lab"),
                                      cluster_uuid="c1", container_uuid="k1"),
                vms=tuple(VmPlan(v.vm_id, v.name, guest=guest) for v in (vms or (vm(),))),
                network_map={"VM Network": "s1"})
    return replace(base, **kw)
