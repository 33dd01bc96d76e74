"""The per-VM pipeline through the ports: the lab source, a file-backed target and a scripted guest."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import Event, JobStateChanged, Progress, StepState, SyncSummary
from xtract_gui.engine.manager import JobManager, JobSnapshot
from xtract_gui.lab.runner import same_bytes

from .fakes import CLUSTER, Rig, Writers, make_plan, make_rig

T = TypeVar("T")
STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


def run(fn: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await asyncio.wait_for(fn(), 90)

    return asyncio.run(main())


def _stopped(s: JobSnapshot) -> bool:
    return s.state in STOPPED


def _byte_exact(rig: Rig) -> None:
    """Every AHV VM's own (cloned) disks equal its source; the staging files are gone after the cutover."""
    writers = Writers(rig.target.containers_dir, "default")
    for vm in rig.lab.inventory().vms:
        (made,) = [v for v in rig.target.vms_.values() if v["spec"].name == vm.name]
        assert len(made["disks"]) == len(vm.disks)
        for d, vmdisk in zip(vm.disks, made["disks"], strict=True):
            assert same_bytes(rig.lab.live_disk_path(vm.vm_id, d.key), vmdisk), (vm.name, d.key)
            assert not writers.path(vm.name, d.key).exists(), (vm.name, d.key)


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=2)


async def _to_ready(m: JobManager, rig: Rig, *, syncs: int = 1, **options: Any) -> list[str]:
    plan = make_plan(rig.lab, **options)
    await m.start(plan)
    ids = [v.vm_id for v in plan.vms]
    snaps = await m.wait(ids, lambda s: s.sync_count >= syncs or _stopped(s))
    assert all(s.ready_for_cutover for s in snaps), snaps
    return ids


def test_a_cutover_of_several_vms_with_one_not_ready_cuts_none_over(rig: Rig) -> None:
    """The monitor's selection is one decision: when one VM cannot cut over now, the ones before it in the
    selection must not have been asked to shut down already."""
    from xtract_gui.domain.errors import ConflictError

    async def go() -> None:
        m = rig.manager()
        ready, other = await _to_ready(m, rig, channel=GuestChannelKind.NONE)
        await m.cancel([other])
        await m.wait([other], _stopped)
        with pytest.raises(ConflictError, match="was cancelled"):
            await m.cutover([ready, other], requested_by="erin")
        (snap,) = await m.wait([ready], lambda s: True)
        assert snap.state is JobState.SYNCING and not m.store.job(ready).data.get("cutover_requested_by")
        assert m.store.cutovers(ready) == []
        await m.close()

    run(go)


def test_warm_migration_end_to_end(rig: Rig) -> None:
    events: list[Event] = []

    async def go() -> None:
        rig.lab.start_workload(blocks_per_second=20)
        m = rig.manager()
        m.subscribe(events.append)
        ids = await _to_ready(m, rig, syncs=2)
        assert rig.target.whitelist == [Writers.whitelist_entry]
        assert set(rig.target.whitelist_clusters) == {CLUSTER}  # the plan's cluster, as Prism Central needs
        await m.cutover(ids, requested_by="alice")
        snaps = await m.wait(ids, _stopped)
        rig.lab.stop_workload()
        assert [s.state.is_done for s in snaps] == [True, True], [s.error for s in snaps]
        titles = [s.title for s in m.steps(ids[0])]
        for want in ("Checking readiness", "Checking admin permissions", "Seed", "Sync 1", "Sync 2",
                     "Shutting down source", "Final sync", "Creating VM on AHV", "Powering on",
                     "Waiting for guest"):
            assert want in titles
        assert titles.index("Seed") < titles.index("Sync 1") < titles.index("Final sync")
        html = m.report_html()
        assert "alice" in html and "lab-win-01" in html and "Final sync" in html
        for vm_id in ids:  # who pressed cutover, and what came of it
            (request,) = m.store.cutovers(vm_id)
            assert request["requested_by"] == "alice" and request["outcome"] == "done"
            assert request["downtime"] is not None and request["downtime"] >= 0
        await m.close()

    run(go)
    _byte_exact(rig)
    for vm in rig.lab.inventory().vms:
        assert vm.power_state.value == "off" and vm.snapshot_count == 0
        assert not any(n.connected for n in vm.nics) and "Migrated to Nutanix AHV" in vm.annotation
    assert rig.target.whitelist == []
    created = [v for v in rig.target.vms_.values()]
    assert len(created) == 2 and all(v["power"].value == "on" for v in created)
    win = next(v["spec"] for v in created if v["spec"].name == "lab-win-01")
    assert win.boot_type.value == "UEFI" and win.nics[0].mac == rig.lab.inventory().vms[0].nics[0].mac
    assert any(isinstance(e, SyncSummary) and e.sync_number == 0 for e in events)
    assert any(isinstance(e, Progress) and e.done_bytes == e.total_bytes > 0 for e in events)
    # the guest password reached the guest task, and nowhere else
    assert any(p.get("password") == "GuestPass!1" for _, p in rig.guests.ran)
    for path in [*rig.log_dir.glob("*.log"), rig.store_path, Path(f"{rig.store_path}-wal")]:
        if path.exists():
            assert b"GuestPass!1" not in path.read_bytes(), path


@pytest.mark.parametrize("fault", ["create_vm", "power_on"])
def test_cutover_failure_rolls_back_then_retry_finishes(rig: Rig, fault: str) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig, channel=GuestChannelKind.NONE)
        rig.target.fail[fault] = 1
        await m.cutover(ids[:1], requested_by="bob")
        (snap,) = await m.wait(ids[:1], _stopped)
        assert snap.state is JobState.ROLLED_BACK and "Injected failure" in snap.error
        assert rig.target.vms_ == {}
        assert rig.lab.get_vm(ids[0]).power_state.value == "on"
        assert [s.state for s in m.steps(ids[0]) if s.step_id == "cutover.rollback"] == [StepState.SUCCEEDED]
        await m.retry(ids[:1])
        await m.wait(ids[:1], lambda s: s.ready_for_cutover or _stopped(s))
        await m.cutover(ids[:1], requested_by="bob")
        (snap,) = await m.wait(ids[:1], _stopped)
        assert snap.state.is_done, snap.error
        await m.close()

    run(go)
    assert len(rig.target.vms_) == 1


def test_guest_prep_failure_keeps_the_safety_snapshot_and_reverts(rig: Rig) -> None:
    rig.guests.fail.add("win.set_san_policy")

    async def go() -> None:
        m = rig.manager()
        plan = make_plan(rig.lab)
        await m.start(plan)
        win = plan.vms[0].vm_id
        (snap,) = await m.wait([win], _stopped)
        assert snap.state is JobState.FAILED and "Setting SAN policy" in snap.error
        kept = rig.lab.list_snapshots(win)
        assert [s.name.startswith("xtract-prep") for s in kept] == [True]
        assert "win.retain_ip" not in [t for t, _ in rig.guests.ran]  # stopped at the failing task
        await m.revert_guest_prep([win])
        assert rig.lab.list_snapshots(win) == []
        await m.cancel([v.vm_id for v in plan.vms])
        await m.close()

    run(go)


def test_cancel_cleans_both_sides(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig)
        await m.test_migration(ids[:1])
        assert len(rig.target.vms_) == 1
        await m.cancel(ids, undo_guest=True)
        assert [s.state for s in m.jobs()] == [JobState.CANCELLED, JobState.CANCELLED]
        await m.close()

    run(go)
    assert rig.target.vms_ == {} and rig.target.whitelist == []
    assert list((rig.target.containers_dir / "default" / "xtract").rglob("*.raw")) == []
    assert all(rig.lab.list_snapshots(v.vm_id) == [] for v in rig.lab.inventory().vms)
    assert "win.undo" in [t for t, _ in rig.guests.ran]


def test_test_migration_and_undo_leave_the_source_alone(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig, channel=GuestChannelKind.NONE)
        await m.test_migration(ids)
        test_vms = list(rig.target.vms_.values())
        assert {v["spec"].name for v in test_vms} == {"lab-win-01-xtract-test", "lab-lin-02-xtract-test"}
        assert all(n.subnet_uuid == "s-test" and n.mac == "" for v in test_vms for n in v["spec"].nics)
        assert all(rig.lab.get_vm(i).power_state.value == "on" for i in ids)
        assert all(s.test_vm_uuid for s in m.jobs())
        await m.test_migration(ids, undo=True)
        assert rig.target.vms_ == {} and not any(s.test_vm_uuid for s in m.jobs())
        assert all(s.state is JobState.SYNCING for s in m.jobs())
        await m.close()

    run(go)


@pytest.mark.slow
def test_restart_recovers_strays_and_resumes_the_copy_at_its_cursor(rig: Rig) -> None:
    paused = asyncio.Event()

    async def first() -> None:
        m = rig.manager()
        # The plan's limit keeps the seed going long enough to stop mid-way (a person's limit set on the manager,
        # even 0 = none, would override it for every plan).
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, bandwidth_limit_mbps=16.0)
        win = plan.vms[0].vm_id

        def on_event(e: Event) -> None:
            if isinstance(e, Progress) and e.vm_id == win and e.step_id == "seed" and e.done_bytes > 0 \
                    and not paused.is_set():
                paused.set()

        m.subscribe(on_event)
        await m.start(plan)
        await asyncio.wait_for(paused.wait(), 30)
        # A copy worker reports bytes before the engine checkpoints them: wait for the first checkpoint, or the
        # app may go away with nothing to resume from (the second run would then rightly copy it all again).
        cursor = m.store.cursor(win, rig.lab.get_vm(win).disks[0].key, "sync0")
        for _ in range(300):
            if cursor.load():
                break
            await asyncio.sleep(0.1)
        await m.close()  # the app goes away mid-seed: states stay, the snapshot stays

    run(first)
    win = rig.lab.inventory().vms[0].vm_id
    assert [s.name.startswith("xtract-seed") for s in rig.lab.list_snapshots(win)] == [True]
    rig.lab.create_snapshot(win, "xtract-sync7")  # a stray from a crash between intent and outcome
    from xtract_gui.engine.store import Store

    store = Store(rig.store_path)
    store.update_data(win, job_id="j0b")  # made before the create's intent, as the engine does
    store.intent(win, "target", "create_vm", "lab-win-01")  # ... and a create that never recorded its outcome
    store.close()
    from xtract_gui.domain.inventory import BootType, TargetVMSpec

    rig.target.create_vm(TargetVMSpec("lab-win-01", "c-1", 1, 1, 512, BootType.LEGACY, (), (),
                                      description="Migrated by xtract-gui [xtract-job j0b]"))
    # Someone else's VM of that name is none of the job's business.
    theirs = rig.target.create_vm(TargetVMSpec("lab-win-01", "c-1", 1, 1, 512, BootType.LEGACY, (), ()))

    async def second() -> None:
        m = rig.manager()
        await m.resume_all()
        ids = [v.vm_id for v in rig.lab.inventory().vms]
        await m.wait(ids, lambda s: s.ready_for_cutover or _stopped(s))
        assert list(rig.target.vms_) == [theirs]  # the half-created VM is gone, the other one is kept
        rig.target.delete_vm(theirs)
        writes = [e for e in m.store.journal(win) if e.action == "write_disk" and e.outcome == "ok"]
        assert sum(int(e.params.get("resumed", 0)) for e in writes) > 0
        await m.cutover(ids, requested_by="carol")
        snaps = await m.wait(ids, _stopped)
        assert all(s.state.is_done for s in snaps), [s.error for s in snaps]
        await m.close()

    run(second)
    _byte_exact(rig)
    assert all(rig.lab.list_snapshots(v.vm_id) == [] for v in rig.lab.inventory().vms)


def test_automatic_cutover_inside_the_budget(rig: Rig) -> None:
    states: list[JobStateChanged] = []

    async def go() -> None:
        m = rig.manager()
        m.subscribe(lambda e: states.append(e) if isinstance(e, JobStateChanged) else None)
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, auto_cutover=True, downtime_budget_seconds=3600)
        await m.start(plan)
        snaps = await m.wait([v.vm_id for v in plan.vms], _stopped)
        assert all(s.state.is_done for s in snaps)
        assert all(m.store.cutovers(s.vm_id)[0]["requested_by"] == "automatic cutover" for s in snaps)
        await m.close()

    run(go)
    assert any(e.new is JobState.SYNCING for e in states)


def test_pause_and_resume(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig, channel=GuestChannelKind.NONE)
        await m.pause(ids[:1])
        assert m.jobs()[0].state is JobState.PAUSED and not m.running(ids[0])
        await m.resume(ids[:1])
        snaps = await m.wait(ids[:1], lambda s: s.sync_count >= 2 or _stopped(s))
        assert snaps[0].state is JobState.SYNCING
        await m.close()

    run(go)


def test_post_cleanup_takes_an_ahv_snapshot_first(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig, post_cleanup=True)
        await m.cutover(ids[:1], requested_by="dave")
        (snap,) = await m.wait(ids[:1], _stopped)
        assert snap.state.is_done, snap.error
        steps = [s.step_id for s in m.steps(ids[0])]
        assert steps.index("post.snapshot") < steps.index("post.win.remove_vmware_tools")
        await m.cancel(ids[1:])
        await m.close()

    run(go)
    ran = [t for t, _ in rig.guests.ran]
    assert "win.remove_vmware_tools" in ran and "win.read_firstboot_result" in ran
    assert rig.target.calls.index("snapshot_vm") < len(rig.target.calls)


@pytest.mark.parametrize("now, start, end, inside", [
    ("12:00", "", "", True), ("22:30", "22:00", "23:00", True), ("23:00", "22:00", "23:00", False),
    ("01:00", "22:00", "02:00", True), ("03:00", "22:00", "02:00", False),
])
def test_cutover_window(now: str, start: str, end: str, inside: bool) -> None:
    from datetime import datetime

    from xtract_gui.engine.pipeline import in_window

    assert in_window(datetime.strptime(now, "%H:%M"), start, end) is inside


def test_a_guest_that_will_not_shut_down_rolls_back_without_forcing(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        ids = await _to_ready(m, rig, channel=GuestChannelKind.NONE, shutdown_timeout_seconds=1)
        rig.lab.set_guest_hung(ids[0])
        await m.cutover(ids[:1], requested_by="erin")
        (snap,) = await m.wait(ids[:1], _stopped)
        assert snap.state is JobState.ROLLED_BACK and "did not shut down within 1 s" in snap.error
        assert rig.lab.get_vm(ids[0]).power_state.value == "on" and rig.target.vms_ == {}
        await m.cancel(ids)
        await m.close()

    run(go)
