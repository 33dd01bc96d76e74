"""The engine against a source that behaves as real vSphere does where it hurts: CBT resets that do not
fault, disks that grow between syncs, guests without VMware Tools (lab source: fidelity.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.plan import GuestChannelKind, ShutdownPolicy
from xtract_gui.domain.states import JobState
from xtract_gui.engine.manager import JobManager
from xtract_gui.lab.runner import same_bytes
from xtract_gui.lab.source.disks import CBT_BLOCK

from .fakes import Rig, make_plan, make_rig

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def write(rig: Rig, vm_id: str, key: int, offset: int, data: bytes) -> None:
    with open(rig.lab.live_disk_path(vm_id, key), "r+b") as f:
        f.seek(offset)
        f.write(data)


async def _seeded(m: JobManager, rig: Rig, **options: object) -> str:
    """Seed done and the job idle until the cutover (no delta sync in between: the final sync is the delta)."""
    plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, **options)
    await m.start(plan)
    (vm_id,) = [v.vm_id for v in plan.vms]
    (snap,) = await m.wait([vm_id], lambda s: s.ready_for_cutover or s.state in STOPPED)
    assert snap.ready_for_cutover, snap.error
    return vm_id


def _cut_over(m: JobManager, vm_id: str) -> JobState:
    async def go() -> JobState:
        await m.cutover([vm_id], requested_by="test")
        (snap,) = await m.wait([vm_id], lambda s: s.state in STOPPED)
        return snap.state
    return asyncio.run(asyncio.wait_for(go(), 90))


def _target_equals_source(rig: Rig, vm_id: str) -> bool:
    vm = rig.lab.get_vm(vm_id)
    (made,) = [v for v in rig.target.vms_.values() if v["spec"].name == vm.name]
    return all(same_bytes(rig.lab.live_disk_path(vm_id, d.key), f) for d, f in zip(vm.disks, made["disks"],
                                                                                        strict=True))


def _whole_disk_copied(rig: Rig, m: JobManager, vm_id: str) -> dict[str, Any]:
    """Cut over; the AHV disk equals the source; the one full copy the job recorded."""
    assert _cut_over(m, vm_id).is_done
    assert _target_equals_source(rig, vm_id)
    row = m.store.job(vm_id)
    assert row is not None
    (full,) = row.data["full_copies"]
    return dict(full)


def test_a_silent_cbt_reset_is_caught_and_the_disk_copied_whole(rig: Rig) -> None:
    async def go() -> tuple[JobManager, str]:
        m = rig.manager(sync_interval_seconds=3600)
        vm_id = await _seeded(m, rig)
        key = rig.lab.get_vm(vm_id).disks[0].key
        # Written after the seed's snapshot, then CBT starts over under a new changeId UUID: vSphere still
        # answers a query since the seed's changeId, with the changes since the reset only.
        write(rig, vm_id, key, 3 * CBT_BLOCK, b"\xa5" * 4096)
        rig.lab.silent_cbt_reset(vm_id, key)
        write(rig, vm_id, key, 9 * CBT_BLOCK, b"\x5a" * 4096)
        return m, vm_id

    m, vm_id = asyncio.run(go())
    full = _whole_disk_copied(rig, m, vm_id)
    assert full["sync"] == 1 and "CBT was reset" in full["reason"]
    html = m.report_html()
    assert "Full copies instead of deltas" in html and "CBT was reset" in html
    assert any("Copying the whole disk" in line.message for line in m.log_lines(vm_id))


def test_a_disk_grown_between_syncs_is_copied_whole(rig: Rig) -> None:
    async def go() -> tuple[JobManager, str]:
        m = rig.manager(sync_interval_seconds=3600)
        vm_id = await _seeded(m, rig)
        disk = rig.lab.get_vm(vm_id).disks[0]
        grown = disk.capacity_bytes + 4 * CBT_BLOCK
        rig.lab.extend_disk(vm_id, disk.key, grown)  # CBT keeps its changeIds (VMware KB 2090639)
        write(rig, vm_id, disk.key, grown - 2 * CBT_BLOCK, b"\x77" * CBT_BLOCK)  # data in the added range
        return m, vm_id

    m, vm_id = asyncio.run(go())
    assert "KB 2090639" in _whole_disk_copied(rig, m, vm_id)["reason"]


def test_without_vmware_tools_the_cutover_powers_off_when_the_plan_allows_it(rig: Rig) -> None:
    async def go() -> tuple[JobManager, str]:
        m = rig.manager(sync_interval_seconds=3600)
        vm_id = await _seeded(m, rig, shutdown_policy=ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT,
                              shutdown_timeout_seconds=600)
        rig.lab.set_tools_running(vm_id, False)  # Tools died after readiness passed
        return m, vm_id

    m, vm_id = asyncio.run(go())
    # vSphere refuses ShutdownGuest (ToolsUnavailable); waiting 600 s for a shutdown would not help either.
    assert _cut_over(m, vm_id).is_done
    assert rig.lab.get_vm(vm_id).power_state.value == "off"
    actions = [(e.action, e.outcome) for e in m.store.journal(vm_id) if e.side == "source"]
    assert ("shutdown_guest", "refused") in actions and ("power_off", "ok") in actions
    assert _target_equals_source(rig, vm_id)


def test_without_vmware_tools_and_no_power_off_allowed_the_cutover_says_why(rig: Rig) -> None:
    async def go() -> tuple[JobManager, str]:
        m = rig.manager(sync_interval_seconds=3600)
        vm_id = await _seeded(m, rig, shutdown_policy=ShutdownPolicy.GUEST_ONLY)
        rig.lab.set_tools_running(vm_id, False)
        return m, vm_id

    m, vm_id = asyncio.run(go())
    assert _cut_over(m, vm_id) in (JobState.ROLLED_BACK, JobState.FAILED)
    row = m.store.job(vm_id)
    assert row is not None
    error = row.error
    assert "cannot be shut down" in error and "VMware Tools" in error
    assert rig.lab.get_vm(vm_id).power_state.value == "on"  # left as it was
