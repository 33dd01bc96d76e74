"""Replication details the journey tests do not pin: progress accounting and a final sync that fails."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.errors import XtractError
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import Event, Progress, StepState
from xtract_gui.lab.source.disks import CBT_BLOCK

from .fakes import Rig, make_plan, make_rig

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def _fragment(rig: Rig) -> None:
    """CBT blocks one block apart: the copy reads the gaps too (coalescing), which it must not count as planned."""
    vm = rig.lab.inventory().vms[0]
    with open(rig.lab.live_disk_path(vm.vm_id, vm.disks[0].key), "r+b") as f:
        for k in range(64):
            f.seek(8 * 1024 * 1024 + 2 * k * CBT_BLOCK)
            f.write(bytes([k + 1]) * CBT_BLOCK)


def test_progress_never_passes_the_planned_bytes_when_gaps_are_read_too(rig: Rig) -> None:
    _fragment(rig)
    events: list[Event] = []

    async def go() -> None:
        m = rig.manager()
        m.subscribe(events.append)
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        await m.start(plan)
        ids = [v.vm_id for v in plan.vms]
        await asyncio.wait_for(m.wait(ids, lambda s: s.ready_for_cutover or s.state in STOPPED), 60)
        writes = [e for e in m.store.journal(ids[0]) if e.action == "write_disk" and e.outcome == "ok"]
        # The scenario is real: the copy read more than CBT planned (gap bytes merged into reads).
        assert any(int(e.params["copied"]) > int(e.params["bytes"]) for e in writes), [e.params for e in writes]
        await m.cancel(ids)
        await m.close()

    asyncio.run(go())
    seed = [e for e in events if isinstance(e, Progress) and e.step_id == "seed"]
    assert seed and all(e.done_bytes <= e.total_bytes for e in seed), max(e.done_bytes / e.total_bytes for e in seed)
    assert seed[-1].done_bytes == seed[-1].total_bytes


def test_a_failing_final_sync_rolls_back(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    lab = rig.lab
    real_open = lab.open_disk_reader

    def open_disk_reader(vm_id: str, snapshot_id: str, disk_key: int) -> Any:
        # Only the final sync runs with the source off: seed and delta syncs read normally.  Failing at
        # open fails the final sync whether or not the guest changed blocks since the last sync.
        if lab.get_vm(vm_id).power_state.value == "off":
            raise XtractError("The datastore refused the read (injected).", hint="Check the datastore.")
        return real_open(vm_id, snapshot_id, disk_key)

    monkeypatch.setattr(lab, "open_disk_reader", open_disk_reader)

    async def go() -> None:
        m = rig.manager()
        plan = make_plan(lab, channel=GuestChannelKind.NONE)
        await m.start(plan)
        ids = [v.vm_id for v in plan.vms]
        await asyncio.wait_for(m.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED), 60)
        await m.cutover(ids, requested_by="frank")
        (snap,) = await asyncio.wait_for(m.wait(ids, lambda s: s.state in STOPPED), 60)
        assert snap.state is JobState.ROLLED_BACK, snap.error
        assert "injected" in snap.error
        steps = {s.step_id: s.state for s in m.steps(ids[0])}
        assert steps["cutover.final_sync"] is StepState.FAILED
        assert steps["cutover.rollback"] is StepState.SUCCEEDED
        assert "cutover.create_vm" not in steps
        await m.cancel(ids)
        await m.close()

    asyncio.run(go())
    assert lab.get_vm(lab.inventory().vms[0].vm_id).power_state.value == "on"
    assert rig.target.vms_ == {} and "create_vm" not in rig.target.calls
    assert lab.list_snapshots(lab.inventory().vms[0].vm_id) == []
