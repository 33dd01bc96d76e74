"""Promises of the engine issue the journey tests do not pin down: the NFS whitelist goes away after a crash,
retained IPs are checked where reachable, and each VM's log names the script every task ran and its result."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from xtract_gui.domain.plan import GuestChannelKind, Plan
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import StepState
from xtract_gui.engine.manager import JobSnapshot

from .fakes import Rig, Writers, make_plan, make_rig

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


def _stopped(s: JobSnapshot) -> bool:
    return s.state in STOPPED


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


@pytest.mark.parametrize("after", ["cancel", "cutover"])
def test_the_whitelist_entry_goes_after_a_crash(rig: Rig, after: str) -> None:
    async def before_crash() -> None:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        await m.start(plan)
        await m.wait([v.vm_id for v in plan.vms], lambda s: s.ready_for_cutover or _stopped(s))
        assert rig.target.whitelist == [Writers.whitelist_entry]
        await m.close()  # the app goes away: nothing is cleaned up on the way out

    asyncio.run(before_crash())
    assert rig.target.whitelist == [Writers.whitelist_entry]
    vm_id = rig.lab.inventory().vms[0].vm_id

    async def after_restart() -> None:
        m = rig.manager()  # a new process: only the store remembers the entry
        if after == "cancel":
            await m.cancel([vm_id])
        else:
            await m.resume_all()
            await m.cutover([vm_id], requested_by="gina")
            (snap,) = await m.wait([vm_id], _stopped)
            assert snap.state.is_done, snap.error
        await m.close()

    asyncio.run(after_restart())
    assert rig.target.whitelist == []


def test_retained_ips_are_checked_where_reachable(rig: Rig) -> None:
    vm_id = rig.lab.inventory().vms[0].vm_id
    # 127.0.0.1 answers (a refused connection is an answer); 192.0.2.0/24 (TEST-NET-1) never does.
    with rig.lab.state.edit() as st:
        st["vms"][vm_id]["ips"] = ["127.0.0.1", "192.0.2.44"]

    async def go() -> None:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, retain_ip=True)
        await m.start(plan)
        await m.wait([vm_id], lambda s: s.ready_for_cutover or _stopped(s))
        await m.cutover([vm_id], requested_by="hank")
        (snap,) = await m.wait([vm_id], _stopped)
        assert snap.state.is_done, snap.error
        (check,) = [s for s in m.steps(vm_id) if s.step_id == "cutover.check_ip"]
        assert check.state is StepState.WARNING and "192.0.2.44" in check.message and "127.0.0.1" not in check.message
        await m.close()

    asyncio.run(go())


def _ready_then_cancelled(rig: Rig, plan: Plan) -> None:
    """Guest preparation, seed and a sync for every VM of ``plan``, then a cancel (what the tests look at is the
    work done on the way)."""

    async def go() -> None:
        m = rig.manager()
        await m.start(plan)
        ids = [v.vm_id for v in plan.vms]
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        await m.cancel(ids)
        await m.close()

    asyncio.run(go())


def test_each_vm_log_names_the_script_of_every_task_and_its_result(rig: Rig) -> None:
    _ready_then_cancelled(rig, make_plan(rig.lab))
    vm = rig.lab.inventory().vms[0]
    (log,) = rig.log_dir.glob(f"*{vm.name}*.log")
    text = log.read_text()
    ran = [task for task, _ in rig.guests.ran]
    assert ran  # the guest tasks ran through the channel
    for task in ran:
        assert f"[{task}] running windows/" in text, task  # the script it ran
        assert f"[{task}] exit 0" in text, task  # and its result
    assert "GuestPass!1" not in text


@pytest.mark.parametrize("auth", ["basic", "ntlm"])
def test_each_guest_gets_the_winrm_authentication_of_its_plan(rig: Rig, auth: str) -> None:
    base = make_plan(rig.lab)
    vms = tuple(dataclasses.replace(v, guest=dataclasses.replace(v.guest, winrm_auth=auth)) for v in base.vms)
    _ready_then_cancelled(rig, dataclasses.replace(base, vms=vms))
    assert rig.guests.targets and {t.auth for t in rig.guests.targets} == {auth}
