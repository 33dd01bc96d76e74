"""Snapshots through the adapter: create, list, remove (twice), revert, and their disk chains."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from pyVmomi import vim, vmodl

from tests.source.conftest import connect
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import CancelledError, NotFoundError
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim


def _disk_backings(source: VSphereSource, vm_id: str) -> list[str]:
    """The VM's current disk backing chains, "file<-parent<-…", read straight through pyVmomi."""
    vm = vim.VirtualMachine(vm_id, source.session.stub)
    devices = source.session.call("read devices", lambda: vm.config.hardware.device)
    chains = []
    for d in devices:
        if isinstance(d, vim.vm.device.VirtualDisk) and d.backing.diskMode == "persistent":
            names, b = [], d.backing
            while b is not None:
                names.append(b.fileName)
                b = b.parent
            chains.append("<-".join(names))
    return chains


def test_create_list_remove(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    progress: list[float] = []
    ref = source.create_snapshot(vm.vm_id, "xtract-seed", description="seed",
                                 progress=lambda f, m: progress.append(f))
    assert ref.name == "xtract-seed" and ref.snapshot_id.startswith("snapshot-") and ref.vm_id == vm.vm_id
    assert progress and progress[-1] == 1.0
    assert ref.disk_change_ids == {}  # CBT is off
    assert [s.snapshot_id for s in source.list_snapshots(vm.vm_id)] == [ref.snapshot_id]
    assert source.get_vm(vm.vm_id).snapshot_count == 1
    # While the snapshot exists the VM runs on a delta whose parent is the base disk.
    assert _disk_backings(source, vm.vm_id) == [
        "[LocalDS_0] DC0_C0_RP0_VM0/disk1-000001.vmdk<-[LocalDS_0] DC0_C0_RP0_VM0/disk1.vmdk"]

    source.remove_snapshot(vm.vm_id, ref.snapshot_id)
    assert source.list_snapshots(vm.vm_id) == []
    assert _disk_backings(source, vm.vm_id) == ["[LocalDS_0] DC0_C0_RP0_VM0/disk1.vmdk"]
    source.remove_snapshot(vm.vm_id, ref.snapshot_id)  # already gone: not an error


def test_our_snapshots_carry_the_prefix(source: VSphereSource) -> None:
    vm = source.inventory().vms[1]
    ref = source.create_snapshot(vm.vm_id, "sync-3")
    assert ref.name == "xtract-sync-3"
    assert [s.name for s in source.list_snapshots(vm.vm_id)] == ["xtract-sync-3"]


def test_nested_snapshots_and_revert(source: VSphereSource) -> None:
    vm = source.inventory().vms[2]
    first = source.create_snapshot(vm.vm_id, "xtract-a")
    second = source.create_snapshot(vm.vm_id, "xtract-b")
    assert [s.name for s in source.list_snapshots(vm.vm_id)] == ["xtract-a", "xtract-b"]
    assert _disk_backings(source, vm.vm_id)[0].count("<-") == 2
    source.revert_snapshot(vm.vm_id, first.snapshot_id)
    assert _disk_backings(source, vm.vm_id)[0].count("<-") == 1
    current = source.session.call("read", lambda: vim.VirtualMachine(vm.vm_id, source.session.stub).snapshot)
    assert current.currentSnapshot._moId == first.snapshot_id
    source.remove_snapshot(vm.vm_id, second.snapshot_id)
    source.remove_snapshot(vm.vm_id, first.snapshot_id)
    assert source.get_vm(vm.vm_id).snapshot_count == 0


def test_revert_to_a_missing_snapshot_is_not_found(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    with pytest.raises(NotFoundError) as err:
        source.revert_snapshot(vm.vm_id, "snapshot-424242")
    assert "Refresh" in str(err.value)


def test_cancelled_before_start_creates_nothing(source: VSphereSource) -> None:
    vm = source.inventory().vms[0]
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        source.create_snapshot(vm.vm_id, "xtract-x", cancel=cancel)
    assert source.list_snapshots(vm.vm_id) == []


def test_snapshot_faults_do_not_leak_pyvmomi_types(source: VSphereSource) -> None:
    with pytest.raises(NotFoundError):
        source.create_snapshot("vm-31337", "xtract-x")
    assert not issubclass(NotFoundError, vmodl.MethodFault)


def test_cancelling_a_running_snapshot_task(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(slow_snapshot_ms=60_000)
    src = connect(sim)
    try:
        vm = src.inventory().vms[0]
        cancel = threading.Event()
        seen: list[float] = []

        def progress(fraction: float, message: str) -> None:
            seen.append(fraction)
            cancel.set()  # the task is running (vCenter reported progress): cancel it now

        with pytest.raises(CancelledError):
            src.create_snapshot(vm.vm_id, "xtract-slow", progress=progress, cancel=cancel)
        assert seen and set(seen) == {0.1}  # it never finished
        assert src.list_snapshots(vm.vm_id) == []
        assert sim.stats().get("cancelled_tasks") == 1
    finally:
        src.close()


def test_a_slow_snapshot_task_is_polled_to_its_end(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(slow_snapshot_ms=1500)
    src = connect(sim)
    try:
        vm = src.inventory().vms[0]
        seen: list[float] = []
        ref = src.create_snapshot(vm.vm_id, "xtract-slow", progress=lambda f, m: seen.append(f))
        assert 0.1 in seen and seen[-1] == 1.0  # seen running, then done
        assert [s.snapshot_id for s in src.list_snapshots(vm.vm_id)] == [ref.snapshot_id]
    finally:
        src.close()
