"""The lab's vSphere stand-in: CBT semantics, frozen snapshots, power, shared state between instances."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from xtract_gui.domain.errors import NotFoundError, UnsupportedError
from xtract_gui.domain.extents import Extent, normalize, total_bytes
from xtract_gui.lab.source import LabSource
from xtract_gui.lab.source.disks import CBT_BLOCK


@pytest.fixture
def lab(tmp_path: Path) -> LabSource:
    return LabSource.create(tmp_path / "lab", vms=3)


def _blocks(path: Path, capacity: int) -> set[int]:
    """Indexes of 64 KiB blocks that are not all zero, read the slow obvious way."""
    out = set()
    with open(path, "rb") as f:
        for b in range(-(-capacity // CBT_BLOCK)):
            if f.read(CBT_BLOCK).strip(b"\0"):
                out.add(b)
    return out


def _as_blocks(extents: list[Extent]) -> set[int]:
    return {b for e in extents for b in range(e.offset // CBT_BLOCK, -(-e.end // CBT_BLOCK))}


def test_inventory_mixes_os_disks_and_nics(lab: LabSource) -> None:
    vms = lab.inventory().vms
    assert {v.guest_family.value for v in vms} == {"windows", "linux"}
    assert sorted(len(v.disks) for v in vms) == [1, 2, 3]
    assert any(d.capacity_bytes % (1024 * 1024) for v in vms for d in v.disks)  # odd sizes
    assert {len(v.nics) for v in vms} == {1, 2}


def test_star_gives_exactly_the_allocated_blocks(lab: LabSource) -> None:
    vm = lab.inventory().vms[1]
    lab.enable_cbt(vm.vm_id)
    snap = lab.create_snapshot(vm.vm_id, "xtract-t")
    for disk in vm.disks:
        areas = lab.query_changed_areas(vm.vm_id, snap.snapshot_id, disk.key, "*")
        assert areas == normalize(areas, capacity=disk.capacity_bytes)
        frozen = lab.dir / "snapshots" / snap.snapshot_id / f"{disk.key}.raw"
        assert _as_blocks(areas) == _blocks(frozen, disk.capacity_bytes)
        assert 0 < total_bytes(areas) < disk.capacity_bytes


def test_since_change_id_gives_the_blocks_written_in_between(lab: LabSource) -> None:
    vm = lab.inventory().vms[0]
    lab.enable_cbt(vm.vm_id)
    first = lab.create_snapshot(vm.vm_id, "xtract-a")
    key = vm.disks[0].key
    live = lab.live_disk_path(vm.vm_id, key)
    offsets = [3 * CBT_BLOCK + 100, 40 * CBT_BLOCK]
    with open(live, "r+b") as f:
        for off in offsets:
            f.seek(off)
            f.write(random.Random(off).randbytes(512))
    second = lab.create_snapshot(vm.vm_id, "xtract-b")
    delta = lab.query_changed_areas(vm.vm_id, second.snapshot_id, key, first.disk_change_ids[key])
    assert _as_blocks(delta) == {off // CBT_BLOCK for off in offsets}
    same = lab.query_changed_areas(vm.vm_id, second.snapshot_id, key, second.disk_change_ids[key])
    assert same == []


def test_unknown_or_reset_change_id_is_unsupported(lab: LabSource) -> None:
    vm = lab.inventory().vms[0]
    lab.enable_cbt(vm.vm_id)
    snap = lab.create_snapshot(vm.vm_id, "xtract-a")
    key = vm.disks[0].key
    with pytest.raises(UnsupportedError):
        lab.query_changed_areas(vm.vm_id, snap.snapshot_id, key, "52 aa bb/9-9")
    with pytest.raises(NotFoundError):
        lab.query_changed_areas(vm.vm_id, "snapshot-999", key, "*")


def test_snapshot_freezes_the_disk_while_the_guest_writes(lab: LabSource) -> None:
    vm = lab.inventory().vms[0]
    key = vm.disks[0].key
    snap = lab.create_snapshot(vm.vm_id, "xtract-a")
    reader = lab.open_disk_reader(vm.vm_id, snap.snapshot_id, key)
    before = reader.read(0, 8192)
    with open(lab.live_disk_path(vm.vm_id, key), "r+b") as f:
        f.write(b"\xff" * 8192)
    assert reader.read(0, 8192) == before
    tail = reader.read(reader.capacity - 100, 4096)
    assert len(tail) == 100  # short only at the end of the disk
    reader.close()
    lab.remove_snapshot(vm.vm_id, snap.snapshot_id)
    lab.remove_snapshot(vm.vm_id, snap.snapshot_id)  # already gone: not an error
    assert lab.list_snapshots(vm.vm_id) == []


def test_workload_writes_only_to_running_vms(lab: LabSource) -> None:
    vms = lab.inventory().vms
    lab.power_off(vms[0].vm_id)
    rng = random.Random(5)
    assert lab.write_random_blocks(rng, 2) == 2 * (len(vms) - 1)


def test_guest_shutdown_power_nics_annotation_and_a_second_instance(lab: LabSource) -> None:
    vm_id = lab.inventory().vms[0].vm_id
    lab.shutdown_guest(vm_id)
    assert lab.wait_for_power_state(vm_id, "off", timeout=5)
    lab.set_nics_connected(vm_id, False)
    lab.set_annotation(vm_id, "moved")
    other = LabSource(lab.root)  # what a second process (the CLI after 'lab serve') sees
    vm = other.get_vm(vm_id)
    assert vm.power_state.value == "off" and not any(n.connected for n in vm.nics) and vm.annotation == "moved"
    other.power_on(vm_id)
    assert lab.get_vm(vm_id).power_state.value == "on"
    with pytest.raises(NotFoundError):
        lab.get_vm("vm-404")
