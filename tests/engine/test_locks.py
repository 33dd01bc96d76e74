"""One process drives a job: a second manager on the same data folder (the wizard next to a CLI, two CLIs) leaves
it alone, says who drives it, and hands a cutover over through the store; a holder that goes away frees it.

Two managers in one test process stand for two processes: an OS file lock (``flock``) held through one open file
is refused to another open file of the same process too.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.engine.fakes import Rig, make_plan, make_rig
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.locks import JobLockedError, JobLocks

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def test_a_second_manager_leaves_a_driven_job_alone_and_its_cutover_is_carried_out_by_the_driver(rig: Rig) -> None:
    async def go() -> None:
        first = rig.manager()
        second = rig.manager()
        second.locks.who = "the second"
        first.locks.who = "xtract-gui run plan.json (pid 1)"
        try:
            plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
            (vm_id,) = [v.vm_id for v in plan.vms]
            await first.start(plan)
            await first.wait([vm_id], lambda s: s.ready_for_cutover or s.state in STOPPED)
            await second.resume_all()
            assert vm_id not in second._tasks  # it did not start driving it
            assert second.running(vm_id)  # ... but knows that someone does
            with pytest.raises(JobLockedError) as info:
                await second.cancel([vm_id])
            assert "xtract-gui run plan.json (pid 1)" in str(info.value)
            with pytest.raises(JobLockedError):
                await second.pause([vm_id])
            await second.cutover([vm_id], requested_by="dave in another shell")
            (snap,) = await second.wait([vm_id], lambda s: s.state in STOPPED)
            assert snap.state.is_done, snap.error
            assert [r["requested_by"] for r in first.store.cutovers(vm_id)] == ["dave in another shell"]
            assert first.store.job(vm_id).data["cutover_requested_by"] == "dave in another shell"  # type: ignore[union-attr]
        finally:
            await first.close()
            await second.close()

    asyncio.run(asyncio.wait_for(go(), 90))


def test_a_job_whose_driver_went_away_is_driven_by_the_next_one(rig: Rig) -> None:
    async def go() -> None:
        first = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        (vm_id,) = [v.vm_id for v in plan.vms]
        await first.start(plan)
        await first.wait([vm_id], lambda s: s.ready_for_cutover or s.state in STOPPED)
        await first.close()  # the process ends: the OS lets go of its locks
        second = rig.manager()
        try:
            assert not second.running(vm_id)
            await second.resume_all()
            assert vm_id in second._tasks
            await second.cutover([vm_id], requested_by="erin")
            (snap,) = await second.wait([vm_id], lambda s: s.state in STOPPED)
            assert snap.state.is_done, snap.error
        finally:
            await second.close()

    asyncio.run(asyncio.wait_for(go(), 90))


def test_the_holder_is_named_and_a_lock_is_free_again_once_released(tmp_path: Path) -> None:
    one, two = JobLocks(tmp_path, who="one"), JobLocks(tmp_path, who="two")
    assert one.acquire("vm-1", "web") and not one.acquire("vm-1", "web")  # held already: nothing new
    with pytest.raises(JobLockedError) as info:
        two.acquire("vm-1", "web")
    assert info.value.holder == "one" and "web" in str(info.value)
    assert two.holder("vm-1") == "one" and two.elsewhere("vm-1") and not one.elsewhere("vm-1")
    one.release("vm-1")
    assert two.holder("vm-1") is None and two.acquire("vm-1", "web")
    two.release_all()
