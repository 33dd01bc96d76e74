"""Inventory mapping against the simulator's deterministic VM shapes (see xtract_gui/lab/vcsim/go/disks.go)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.source.conftest import connect
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.inventory import (
    ControllerType,
    DiskMode,
    Firmware,
    OsFamily,
    PowerState,
    ToolsStatus,
)
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim

MiB = 1024 * 1024


def test_inventory_maps_every_field(source: VSphereSource, vcsim: VcsimProcess) -> None:
    inv = source.inventory()
    assert inv.about.startswith("VMware vCenter Server")
    assert inv.api_version
    assert inv.datacenters == ("DC0",)
    assert inv.clusters == ("DC0_C0",)
    assert {h.name for h in inv.hosts} == {"DC0_C0_H0", "DC0_C0_H1", "DC0_C0_H2", "DC0_H0"}
    assert {h.cluster for h in inv.hosts if h.name.startswith("DC0_C0")} == {"DC0_C0"}
    assert all(h.datacenter == "DC0" and h.connected for h in inv.hosts)
    assert {"VM Network", "DC0_DVPG0"} <= set(inv.networks)
    names = [v.name for v in inv.vms]
    assert names == ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"]
    win, rhel, ubuntu, other = inv.vms

    assert (win.guest_id, win.guest_family) == ("windows9Server64Guest", OsFamily.WINDOWS)
    assert win.guest_full_name == "Microsoft Windows Server 2016 or later (64-bit)"
    assert (win.firmware, win.secure_boot, win.hardware_version) == (Firmware.EFI, True, 19)
    assert (win.num_cpu, win.cores_per_socket, win.sockets, win.memory_mib) == (2, 2, 1, 1024)
    assert (win.tools_status, win.guest_operations_ready) == (ToolsStatus.RUNNING, True)
    assert win.power_state is PowerState.ON
    assert (win.snapshot_count, win.cbt_enabled) == (0, False)
    assert (win.datacenter, win.cluster, win.folder) == ("DC0", "DC0_C0", "/DC0/vm")
    assert win.host.startswith("DC0_C0_H")
    assert (win.guest_hostname, win.guest_ips) == ("vm0.lab.local", ("10.0.0.10",))
    assert win.vm_id.startswith("vm-") and len(win.uuid) == 36 and len(win.instance_uuid) == 36

    (disk,) = win.disks
    assert (disk.capacity_bytes, disk.controller, disk.bus_number, disk.unit_number) == (
        8 * MiB, ControllerType.PVSCSI, 0, 0)
    assert disk.backing_file == "[LocalDS_0] DC0_C0_RP0_VM0/disk1.vmdk"
    assert (disk.datastore, disk.thin, disk.mode, disk.rdm, disk.change_id) == (
        "LocalDS_0", True, DiskMode.PERSISTENT, False, "")
    dvpg, std = win.nics
    assert (dvpg.network, dvpg.adapter_type) == ("DC0_DVPG0", "e1000")
    assert (std.network, std.adapter_type, std.connected, std.start_connected) == ("VM Network", "vmxnet3", True, True)
    assert std.mac == std.mac.lower() and std.mac.count(":") == 5 and std.mac != dvpg.mac

    assert (rhel.guest_family, rhel.firmware, rhel.secure_boot, rhel.hardware_version) == (
        OsFamily.LINUX, Firmware.BIOS, False, 13)
    assert (rhel.num_cpu, rhel.sockets, rhel.memory_mib) == (4, 2, 2048)
    d1, d2 = rhel.disks
    assert d1.capacity_bytes == 6 * MiB + 100 * 1024  # not a multiple of 1 MiB
    assert (d2.capacity_bytes, d2.controller, d2.bus_number, d2.unit_number) == (
        3 * MiB + 7 * 1024, ControllerType.LSI_LOGIC_SAS, 1, 0)
    assert [n.network for n in rhel.nics] == ["DC0_DVPG0"]

    assert (ubuntu.guest_family, ubuntu.cluster, ubuntu.host) == (OsFamily.LINUX, "", "DC0_H0")
    assert (ubuntu.firmware, ubuntu.secure_boot) == (Firmware.EFI, False)
    assert ubuntu.disks[0].thin is False and ubuntu.disks[0].capacity_bytes == 12 * MiB

    assert (other.guest_family, other.tools_status, other.guest_operations_ready) == (
        OsFamily.OTHER, ToolsStatus.NOT_RUNNING, False)
    assert other.guest_ips == ()
    assert other.disks[1].mode is DiskMode.INDEPENDENT_PERSISTENT and other.disks[1].mode.independent


def test_get_vm_equals_the_inventory_entry(source: VSphereSource) -> None:
    inv = source.inventory()
    for vm in inv.vms:
        assert source.get_vm(vm.vm_id) == vm


def test_get_vm_of_an_unknown_vm_is_not_found(source: VSphereSource) -> None:
    from xtract_gui.domain.errors import NotFoundError

    with pytest.raises(NotFoundError):
        source.get_vm("vm-99999")


@pytest.mark.parametrize("per_pool", [1, 10])
def test_inventory_round_trips_do_not_grow_with_vm_count(
        vcsim_factory: Callable[..., VcsimProcess], per_pool: int) -> None:
    sim = vcsim_factory(vms=per_pool)
    src = connect(sim)
    try:
        before = src.round_trips
        inv = src.inventory()
        spent = src.round_trips - before
    finally:
        src.close()
    assert len(inv.vms) == 2 * per_pool
    # CreateContainerView + RetrievePropertiesEx (also the session key and known privileges) + DestroyView +
    # HasPrivilegeOnEntities for every VM, host and datastore at once: for 2 VMs as for 20.
    assert spent == 4


def test_inventory_follows_continuation_tokens(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(vms=10)
    src = connect(sim)
    try:
        whole = src.inventory()
        src.session.page_size = 7
        before = src.round_trips
        paged = src.inventory()
        spent = src.round_trips - before
    finally:
        src.close()
    assert paged == whole and len(paged.vms) == 20
    objects = 20 + len(paged.hosts) + 1 + len(paged.networks)  # at least VMs, hosts, datacenter, networks
    assert spent >= 4 + objects // 7  # ContinueRetrievePropertiesEx until no token is left
    assert sim.stats().get("retrieve_paged") == 1
