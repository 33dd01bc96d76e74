"""What the engine promises a consultant (issue 15): no source powered off without a yes, "done" only when the guest
was seen, a test VM never outlives the cutover unmentioned, and a re-run names the real cause."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from xtract_gui.domain.messages import Message
from xtract_gui.domain.plan import GuestChannelKind, TransferMode
from xtract_gui.domain.states import JobState
from xtract_gui.engine.manager import JobSnapshot
from xtract_gui.engine.report import render_report

from .fakes import Rig, make_plan, make_rig
from .test_pipeline import _stopped, run


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def test_a_cold_plan_nobody_agreed_to_never_powers_the_source_off(rig: Rig) -> None:
    """15.1: readiness stops the job before anything touches the source; the cause says how to agree."""
    async def go() -> JobSnapshot:
        m = rig.manager()
        plan = dataclasses.replace(make_plan(rig.lab, channel=GuestChannelKind.NONE), transfer_mode=TransferMode.COLD)
        await m.start(plan)
        (snap,) = await m.wait([v.vm_id for v in plan.vms], _stopped)
        await m.close()
        return snap

    snap = run(go)
    vm = rig.lab.inventory().vms[0]
    assert snap.state is JobState.FAILED
    assert "nobody confirmed" in snap.error and "allow_power_off_for_cold" in snap.error
    assert rig.lab.get_vm(vm.vm_id).power_state.value == "on"
    assert rig.lab.list_snapshots(vm.vm_id) == []


@pytest.mark.parametrize(("channel", "state"), [(GuestChannelKind.NONE, JobState.DONE_UNVERIFIED),
                                                (GuestChannelKind.WINRM, JobState.DONE)])
def test_done_only_when_the_guest_reported_its_first_boot(rig: Rig, channel: GuestChannelKind,
                                                          state: JobState) -> None:
    """15.4: without a first-boot report the job ends "done, not verified" with what to check, in the store, the
    snapshot and the report; with one it is done."""
    async def go() -> JobSnapshot:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=channel)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        await m.cutover(ids, requested_by="test")
        (snap,) = await m.wait(ids, _stopped)
        await m.close()
        return snap

    snap = run(go)
    assert snap.state is state, snap.error
    report = render_report(rig.manager().store)
    if state is JobState.DONE_UNVERIFIED:
        assert isinstance(snap.check, Message) and "console" in snap.check and snap.check.id.startswith("cutover.")
        assert "done, not verified" in report and "console" in report
    else:
        assert snap.check == "" and "not verified" not in report


def test_the_test_vm_is_shown_and_removed_at_cutover_and_the_report_lists_it(rig: Rig) -> None:
    """15.5: the snapshot names the test VM while it exists; the cutover removes it (journaled) and the report
    keeps its story."""
    async def go() -> tuple[JobSnapshot, JobSnapshot, list[str]]:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.WINRM)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        await m.test_migration(ids)
        (tested,) = [s for s in m.jobs() if s.vm_id == ids[0]]
        await m.cutover(ids, requested_by="test")
        (done,) = await m.wait(ids, _stopped)
        steps = [s.step_id for s in m.steps(ids[0])]
        await m.close()
        return tested, done, steps

    tested, done, steps = run(go)
    name = rig.lab.inventory().vms[0].name
    assert tested.test_vm_name == f"{name}-xtract-test" and tested.test_vm_uuid
    assert done.state is JobState.DONE and done.test_vm_name == "" and not done.test_vm_uuid
    assert "cutover.remove_test" in steps
    assert [v["spec"].name for v in rig.target.vms_.values()] == [name]  # only the migrated VM is left
    report = render_report(rig.manager().store)
    assert "Test VMs" in report and f"{name}-xtract-test" in report and "cutover" in report


def test_a_vm_migrated_before_fails_with_the_name_clash_first(rig: Rig) -> None:
    """15.9: running a migrated VM again (source off, its name on AHV) fails on the clash, not on "power it on"."""
    async def go() -> JobSnapshot:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.WINRM)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        await m.cutover(ids, requested_by="test")
        await m.wait(ids, _stopped)
        await m.start(plan)  # the old inventory in the wizard still showed it on and ready
        (snap,) = await m.wait(ids, _stopped)
        await m.close()
        return snap

    snap = run(go)
    assert snap.state is JobState.FAILED
    assert "already exists on the target" in snap.error and "Power the VM on" not in snap.error


def test_the_bandwidth_limit_in_force_is_the_plans_until_a_person_sets_one(rig: Rig) -> None:
    """15.7: the monitor asks the engine which limit holds (it showed "No limit" for a plan saved with one); a
    limit set while jobs run holds for sessions opened later too (a resumed plan)."""
    async def go() -> tuple[float, float, float | None]:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, bandwidth_limit_mbps=50.0)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        from_plan = m.bandwidth_limit()
        m.set_bandwidth_limit(80)
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        await m.pause(ids)
        await m.close()
        again = rig.manager()
        again.set_bandwidth_limit(80)
        await again.resume(ids)
        session = next(iter(again._sessions.values()))
        rate = session.scheduler.throttle.rate
        await again.cancel(ids)
        await again.close()
        return from_plan, m.bandwidth_limit(), rate

    from_plan, set_here, rate = run(go)
    assert (from_plan, set_here) == (50.0, 80.0) and rate == 80 * 125_000
