"""The laptop's NFS whitelist entry, shared by every job writing to one cluster, across plans."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import StepState
from xtract_gui.engine.manager import JobManager, JobSnapshot
from xtract_gui.engine.store import Store

from .fakes import CLUSTER, OTHER_CLUSTER, Rig, Writers, make_plan, make_rig

ENTRY = Writers.whitelist_entry


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=2)


def _ready(s: JobSnapshot) -> bool:
    return s.ready_for_cutover or s.state in (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED, JobState.PAUSED)


def _done(s: JobSnapshot) -> bool:
    return s.state.is_done or s.state in (JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED)


def _first_vm_ready_then_closed(rig: Rig) -> str:
    """The lab's first VM seeded and syncing, then the app goes away (its database stays); its id."""
    vm_id = rig.lab.inventory().vms[0].vm_id

    async def until_ready() -> None:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        await m.start(dataclasses.replace(plan, vms=plan.vms[:1]))
        await m.wait([vm_id], _ready)
        await m.close()

    asyncio.run(asyncio.wait_for(until_ready(), 90))
    return vm_id


async def _two_plans(m: JobManager, rig: Rig, *, second_cluster: str) -> tuple[str, str]:
    """One VM per plan; the second plan targets ``second_cluster``."""
    base = make_plan(rig.lab, channel=GuestChannelKind.NONE)
    first = dataclasses.replace(base, name="plan-1", vms=base.vms[:1])
    second = dataclasses.replace(base, name="plan-2", vms=base.vms[1:],
                                 target=dataclasses.replace(base.target, cluster_uuid=second_cluster))
    await m.start(first)
    await m.start(second)
    a, b = first.vms[0].vm_id, second.vms[0].vm_id
    await m.wait([a, b], _ready)
    return a, b


def test_plans_on_two_clusters_each_remove_their_own_entry(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        a, b = await _two_plans(m, rig, second_cluster=OTHER_CLUSTER)
        assert rig.target.whitelists == {CLUSTER: [ENTRY], OTHER_CLUSTER: [ENTRY]}
        await m.cutover([a], requested_by="ivan")
        (snap,) = await m.wait([a], _done)
        assert snap.state.is_done, snap.error
        # The job on the other cluster still writes, but it holds another cluster's entry.
        assert rig.target.whitelists == {CLUSTER: [], OTHER_CLUSTER: [ENTRY]}
        await m.cutover([b], requested_by="ivan")
        (snap,) = await m.wait([b], _done)
        assert snap.state.is_done, snap.error
        assert rig.target.whitelists == {CLUSTER: [], OTHER_CLUSTER: []}
        await m.close()

    asyncio.run(asyncio.wait_for(go(), 90))


def test_a_paused_job_does_not_keep_the_entry_and_takes_it_again_to_write(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        a, b = await _two_plans(m, rig, second_cluster=CLUSTER)  # two plans, one cluster: one entry
        await m.pause([b])
        await m.wait([b], lambda s: s.state is JobState.PAUSED)
        await m.cutover([a], requested_by="judy")
        (snap,) = await m.wait([a], _done)
        assert snap.state.is_done, snap.error
        assert rig.target.whitelist == []  # the paused job does not write: nothing holds the entry
        adds = len(rig.target.whitelist_adds)
        await m.resume([b])
        await m.cutover([b], requested_by="judy")
        (snap,) = await m.wait([b], _done)
        assert snap.state.is_done, snap.error
        # Before writing again (a sync or the final sync) it put the entry back, and took it away at the end.
        assert rig.target.whitelist_adds[adds:] == [(CLUSTER, ENTRY)]
        assert rig.target.whitelist == []
        await m.close()

    asyncio.run(asyncio.wait_for(go(), 90))


def test_an_entry_that_was_there_before_stays(rig: Rig) -> None:
    rig.target.whitelist.append(ENTRY)  # an administrator whitelisted this laptop for good

    async def go() -> None:
        m = rig.manager()
        a, b = await _two_plans(m, rig, second_cluster=CLUSTER)
        await m.cutover([a, b], requested_by="kim")
        snaps = await m.wait([a, b], _done)
        assert [s.state.is_done for s in snaps] == [True] * 2, [s.error for s in snaps]
        await m.close()

    asyncio.run(asyncio.wait_for(go(), 90))
    assert rig.target.whitelist == [ENTRY] and rig.target.whitelist_adds == []


def test_a_paused_job_whose_entry_went_can_still_be_cancelled(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager(enforce_whitelist=True)  # NFS is refused without the entry, as on a cluster
        a, b = await _two_plans(m, rig, second_cluster=CLUSTER)
        await m.pause([b])
        await m.wait([b], lambda s: s.state is JobState.PAUSED)
        await m.cutover([a], requested_by="lee")
        (snap,) = await m.wait([a], _done)
        assert snap.state.is_done, snap.error
        assert rig.target.whitelist == []  # the last writer gave it back
        await m.cancel([b])  # removing b's staging files needs NFS: the entry is taken for that
        (snap,) = await m.wait([b], _done)
        assert snap.state is JobState.CANCELLED, snap.error
        await m.close()

    asyncio.run(asyncio.wait_for(go(), 90))
    assert rig.target.whitelist == []
    assert not any(rig.target.containers_dir.rglob("*.raw")), "the cancelled job's staging files are gone"
    assert sum(w.refused for w in rig.guarded) == 0


def test_an_entry_of_an_old_laptop_address_is_given_back(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> None:
    vm_id = _first_vm_ready_then_closed(rig)
    assert rig.target.whitelist == [ENTRY]
    monkeypatch.setattr(Writers, "whitelist_entry", "10.9.9.9/255.255.255.255")  # VPN on, another address

    async def after_restart() -> None:
        m = rig.manager()
        await m.resume_all()
        await m.cutover([vm_id], requested_by="mia")
        (snap,) = await m.wait([vm_id], _done)
        assert snap.state.is_done, snap.error
        await m.close()

    asyncio.run(asyncio.wait_for(after_restart(), 90))
    assert rig.target.whitelist == []  # neither the old address's entry nor the new one is left
    assert [e for _, e in rig.target.whitelist_adds] == [ENTRY, "10.9.9.9/255.255.255.255"]


def test_prism_refusing_the_last_remove_leaves_a_done_vm_that_cannot_be_cancelled(rig: Rig) -> None:
    rig.target.fail["remove_nfs_whitelist"] = 1  # Prism answers 503 once, at the very end of the cutover

    async def go() -> None:
        m = rig.manager()
        a, _ = await _two_plans(m, rig, second_cluster=OTHER_CLUSTER)
        await m.cutover([a], requested_by="noa")
        (snap,) = await m.wait([a], _done)
        assert snap.state.is_done, snap.error  # migrated; the entry is a warning, not a failure
        step = {s.step_id: s for s in m.steps(a)}["whitelist.remove"]
        assert step.state is StepState.WARNING and "Filesystem Whitelists" in step.message
        await m.cancel([a])  # a done job is left alone: its AHV VM stays
        assert [v["power"].value for v in rig.target.vms_.values()] == ["on"]
        await m.close()

    asyncio.run(asyncio.wait_for(go(), 90))
    assert rig.target.whitelists[CLUSTER] == [ENTRY]  # what the warning tells the user to remove


def test_a_cancel_that_stopped_half_way_is_finished_not_continued(rig: Rig) -> None:
    vm_id = _first_vm_ready_then_closed(rig)
    # What a process that died inside the cancel's clean-up leaves: the mark, the staging files already gone.
    Store(rig.store_path).update_data(vm_id, cancelling=True)
    for staged in rig.target.containers_dir.rglob("*.raw"):
        staged.unlink()

    async def after_restart() -> None:
        m = rig.manager()
        await m.resume_all()
        await m.cutover([vm_id], requested_by="omar")  # even a cutover asked for now must not build a VM
        (snap,) = await m.wait([vm_id], _done)
        assert snap.state is JobState.CANCELLED, snap.error
        await m.close()

    asyncio.run(asyncio.wait_for(after_restart(), 90))
    assert rig.target.vms_ == {} and rig.target.whitelist == []
