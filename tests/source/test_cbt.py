"""Changed block tracking: "*" is the allocated blocks, deltas are exactly the written blocks."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pyVmomi import vim

from tests.source.conftest import BLOCK, blocks_of, connect, nonzero_blocks, write_at
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.cbt import change_id_uuid
from xtract_gui.domain.errors import NotFoundError, UnsupportedError
from xtract_gui.domain.extents import Extent, normalize, total_bytes
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim


def test_enable_cbt_gives_disks_change_ids(source: VSphereSource) -> None:
    vm = source.inventory().vms[1]
    assert not vm.cbt_enabled
    source.enable_cbt(vm.vm_id)
    after = source.get_vm(vm.vm_id)
    assert after.cbt_enabled
    assert after.snapshot_count == 0  # the snapshot that makes CBT take effect is gone again
    persistent = [d for d in after.disks if not d.mode.independent]
    assert all(d.change_id.startswith("52 de ") and d.change_id.endswith("/1") for d in persistent)
    source.enable_cbt(vm.vm_id)  # already on: nothing happens
    assert source.get_vm(vm.vm_id).disks == after.disks


def test_star_is_the_non_zero_blocks(source: VSphereSource, vcsim: VcsimProcess) -> None:
    for vm in source.inventory().vms[:2]:
        source.enable_cbt(vm.vm_id)
        ref = source.create_snapshot(vm.vm_id, "xtract-seed")
        for i, disk in enumerate(vm.disks):
            areas = source.query_changed_areas(vm.vm_id, ref.snapshot_id, disk.key, "*")
            expected = nonzero_blocks(vcsim.flat_file(vm.name, f"disk{i + 1}"), disk.capacity_bytes)
            assert areas == expected
            assert 0 < total_bytes(areas) < disk.capacity_bytes
            assert areas[-1].end == disk.capacity_bytes  # the partial last block is reported, clipped
            assert ref.disk_change_ids[disk.key]


def test_delta_after_writes_between_two_snapshots(source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[1]  # 6 MiB + 100 KiB: the last block is partial
    disk = vm.disks[0]
    flat = vcsim.flat_file(vm.name)
    source.enable_cbt(vm.vm_id)
    seed = source.create_snapshot(vm.vm_id, "xtract-seed")
    base_id = seed.disk_change_ids[disk.key]
    source.remove_snapshot(vm.vm_id, seed.snapshot_id)

    writes = [(5 * BLOCK + 10, 100), (20 * BLOCK - 1, 2), (disk.capacity_bytes - 1, 1), (0, 1)]
    for off, n in writes:
        write_at(flat, off, b"\xa5" * n)
    sync = source.create_snapshot(vm.vm_id, "xtract-sync")
    assert sync.disk_change_ids[disk.key] != base_id
    delta = source.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, base_id)
    assert delta == blocks_of(writes, disk.capacity_bytes)
    # Writing the same bytes again changes nothing that CBT compares.
    source.remove_snapshot(vm.vm_id, sync.snapshot_id)
    again = source.create_snapshot(vm.vm_id, "xtract-sync2")
    assert source.query_changed_areas(vm.vm_id, again.snapshot_id, disk.key, sync.disk_change_ids[disk.key]) == []
    # The older changeId still answers: everything since the seed.
    assert source.query_changed_areas(vm.vm_id, again.snapshot_id, disk.key, base_id) == delta


def test_paging_over_start_offset(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(max_areas=2)
    src = connect(sim)
    try:
        vm = src.inventory().vms[2]  # 12 MiB
        disk = vm.disks[0]
        src.enable_cbt(vm.vm_id)
        seed = src.create_snapshot(vm.vm_id, "xtract-seed")
        src.remove_snapshot(vm.vm_id, seed.snapshot_id)
        writes = [(b * BLOCK * 7 + 3, 10) for b in range(20)]  # 20 separate runs
        for off, n in writes:
            write_at(sim.flat_file(vm.name), off, b"\x01" * n)
        sync = src.create_snapshot(vm.vm_id, "xtract-sync")
        before = src.round_trips
        delta = src.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, seed.disk_change_ids[disk.key])
        calls = src.round_trips - before
        star = src.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, "*")
    finally:
        src.close()
    assert delta == blocks_of(writes, disk.capacity_bytes)
    assert calls >= 10  # at most two areas per answer: the adapter had to follow startOffset
    assert star == nonzero_blocks(sim.flat_file(vm.name), disk.capacity_bytes)


def test_unknown_change_id_means_cbt_was_reset(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    source.enable_cbt(vm.vm_id)
    ref = source.create_snapshot(vm.vm_id, "xtract-sync")
    bogus = "52 de 00 00 00 00 00 00-00 00 00 00 00 00 00 00/7"
    with pytest.raises(UnsupportedError) as err:
        source.query_changed_areas(vm.vm_id, ref.snapshot_id, vm.disks[0].key, bogus)
    assert "CBT was reset" in str(err.value) and "full copy" in str(err.value)


def test_turning_cbt_off_and_on_invalidates_old_change_ids(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    disk = vm.disks[0]
    source.enable_cbt(vm.vm_id)
    old = source.create_snapshot(vm.vm_id, "xtract-seed")
    source.remove_snapshot(vm.vm_id, old.snapshot_id)
    api_vm = vim.VirtualMachine(vm.vm_id, source.session.stub)
    task = source.session.call("cbt off", lambda: api_vm.ReconfigVM_Task(
        spec=vim.vm.ConfigSpec(changeTrackingEnabled=False)))
    source.session.wait_task(task, "cbt off")
    assert source.get_vm(vm.vm_id).disks[0].change_id == ""
    source.enable_cbt(vm.vm_id)
    new = source.create_snapshot(vm.vm_id, "xtract-sync")
    with pytest.raises(UnsupportedError):
        source.query_changed_areas(vm.vm_id, new.snapshot_id, disk.key, old.disk_change_ids[disk.key])
    assert source.query_changed_areas(vm.vm_id, new.snapshot_id, disk.key, "*")


def test_cbt_off_is_unsupported_and_unknown_disk_not_found(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    ref = source.create_snapshot(vm.vm_id, "xtract-nocbt")
    with pytest.raises(UnsupportedError):
        source.query_changed_areas(vm.vm_id, ref.snapshot_id, vm.disks[0].key, "*")
    with pytest.raises(NotFoundError):
        source.query_changed_areas(vm.vm_id, ref.snapshot_id, 31337, "*")


def test_star_is_the_allocated_blocks_even_those_holding_zeros(source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[2]  # 12 MiB, mostly holes
    disk = vm.disks[0]
    path = vcsim.flat_file(vm.name)
    write_at(path, 40 * BLOCK + 512, bytes(4096))  # the guest wrote zeros: the block is allocated now
    source.enable_cbt(vm.vm_id)
    ref = source.create_snapshot(vm.vm_id, "xtract-seed")
    star = source.query_changed_areas(vm.vm_id, ref.snapshot_id, disk.key, "*")
    assert star == normalize([*nonzero_blocks(path, disk.capacity_bytes), Extent(40 * BLOCK, BLOCK)])


def test_a_silent_cbt_reset_is_never_asked_about_changes_before_it(
        source: VSphereSource, vcsim: VcsimProcess) -> None:
    vm = source.inventory().vms[1]
    disk = vm.disks[0]
    flat = vcsim.flat_file(vm.name)
    source.enable_cbt(vm.vm_id)
    seed = source.create_snapshot(vm.vm_id, "xtract-seed")
    old = seed.disk_change_ids[disk.key]
    source.remove_snapshot(vm.vm_id, seed.snapshot_id)
    write_at(flat, 5 * BLOCK, b"\x11" * 100)  # before the reset
    vcsim.control("/xtract/cbt", method="POST", query={"vm": vm.vm_id, "disk": str(disk.key), "silentReset": "true"})
    write_at(flat, 30 * BLOCK, b"\x22" * 100)  # after it
    sync = source.create_snapshot(vm.vm_id, "xtract-sync")
    new = sync.disk_change_ids[disk.key]
    assert change_id_uuid(new) != change_id_uuid(old)
    # vSphere answers the old changeId without a fault, and wrongly: the write before the reset is missing.
    api_vm = vim.VirtualMachine(vm.vm_id, source.session.stub)
    snap = vim.vm.Snapshot(sync.snapshot_id, source.session.stub)
    answer = source.session.call("raw query", lambda: api_vm.QueryChangedDiskAreas(
        snapshot=snap, deviceKey=disk.key, startOffset=0, changeId=old))
    assert [(a.start, a.length) for a in answer.changedArea] == [(30 * BLOCK, BLOCK)]
    # The adapter does not ask: another UUID means a full copy.
    with pytest.raises(UnsupportedError, match="CBT was reset"):
        source.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, old)


def test_an_extended_disk_keeps_its_change_ids_and_loses_the_new_range(
        source: VSphereSource, vcsim: VcsimProcess) -> None:
    """VMware KB 2090639 as the simulator plays it; the engine copies such a disk whole (tests/engine)."""
    vm = source.inventory().vms[0]
    disk = vm.disks[0]
    source.enable_cbt(vm.vm_id)
    seed = source.create_snapshot(vm.vm_id, "xtract-seed")
    old = seed.disk_change_ids[disk.key]
    source.remove_snapshot(vm.vm_id, seed.snapshot_id)
    grown = disk.capacity_bytes + 8 * BLOCK
    devices = source.session.call("read devices", lambda: vim.VirtualMachine(
        vm.vm_id, source.session.stub).config.hardware.device)
    device = next(d for d in devices if d.key == disk.key)
    device.capacityInKB, device.capacityInBytes = grown // 1024, grown
    task = source.session.call("extend", lambda: vim.VirtualMachine(vm.vm_id, source.session.stub).ReconfigVM_Task(
        spec=vim.vm.ConfigSpec(deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="edit", device=device)])))
    source.session.wait_task(task, "extend")
    write_at(vcsim.flat_file(vm.name), grown - 2 * BLOCK, b"\x33" * 10)
    sync = source.create_snapshot(vm.vm_id, "xtract-sync")
    assert change_id_uuid(sync.disk_change_ids[disk.key]) == change_id_uuid(old)
    assert source.get_vm(vm.vm_id).disks[0].capacity_bytes == grown
    assert source.query_changed_areas(vm.vm_id, sync.snapshot_id, disk.key, old) == []  # wrong, no fault
    reader = source.open_disk_reader(vm.vm_id, sync.snapshot_id, disk.key)
    try:  # the descriptor grew with the disk: the added range reads from the flat file
        assert reader.capacity == grown and reader.read(grown - 2 * BLOCK, 10) == b"\x33" * 10
    finally:
        reader.close()
