"""Why a cutover cannot start names the job's real state and what to do (not "wait for the seed" for a failed or
paused job)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.engine.fakes import make_plan, make_rig
from xtract_gui.domain.errors import ConflictError
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


def test_a_paused_or_failed_job_says_so_when_asked_to_cut_over(tmp_path: Path) -> None:
    rig = make_rig(tmp_path, vms=1)

    async def go() -> None:
        m = rig.manager()
        try:
            plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
            (vm_id,) = [v.vm_id for v in plan.vms]
            await m.start(plan)
            await m.wait([vm_id], lambda s: s.ready_for_cutover or s.state in STOPPED)
            await m.pause([vm_id])
            with pytest.raises(ConflictError) as info:
                await m.cutover([vm_id], requested_by="frank")
            assert "paused" in info.value.message and "resume" in info.value.hint
            m.store.set_state(vm_id, JobState.FAILED, error="Prism at 10.0.0.5:9440 did not answer in time")
            with pytest.raises(ConflictError) as info:
                await m.cutover([vm_id], requested_by="frank")
            assert "failed" in info.value.message and "did not answer in time" in info.value.message
            assert "Retry" in info.value.hint and "seed" not in str(info.value)
        finally:
            await m.close()

    asyncio.run(asyncio.wait_for(go(), 60))
