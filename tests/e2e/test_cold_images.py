"""Cold mode's streamed disk images go once the VM runs on AHV on its own cloned vmdisks and its guest
reported the first boot: a delete Prism refuses is a warning (the migration is done), a crash between
two deletes neither leaks an image nor asks Prism to delete one twice, and without a first-boot report
(no guest channel) the images stay for a person to check the VM first.

The lab with the real adapters: the Prism simulator over HTTP through the Prism adapter, the lab source.
The VM is the lab's two-disk Windows VM, so there are two images to delete.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.plans import in_mode
from xtract_gui.domain.errors import CancelledError
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, Plan, TransferMode
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Adapters, Tuning
from xtract_gui.engine.events import StepState
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.ports import TargetPlatform
from xtract_gui.engine.staging import STEP_ID
from xtract_gui.engine.store import Store
from xtract_gui.lab.runner import Lab, verify_disks
from xtract_gui.wiring import SourceAwareGuests, connect_source, connect_target_endpoint, writer_factory

pytestmark = [pytest.mark.e2e, pytest.mark.prism]
STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    # Two Windows VMs, the second with two disks: its guest (the lab's WinRM guest) reports its first boot
    # on AHV, which is what lets the images go.
    with Lab(tmp_path / "lab", vms=2, workload=False, guest_os_mix=("windows",)) as lab:
        yield lab


def _cold_plan(lab: Lab, *, channel: GuestChannelKind | None = None) -> Plan:
    assert lab.endpoints is not None and lab.source is not None
    base = lab.endpoints.plan
    (vm,) = [v for v in base.vms if len(lab.source.get_vm(v.vm_id).disks) == 2]
    if channel is not None:
        vm = dataclasses.replace(vm, guest=GuestAccess(channel=channel))
    return in_mode(base, TransferMode.COLD, vms=(vm,))


def _manager(lab: Lab, db: Path, tmp_path: Path,
             target: Callable[..., TargetPlatform] = connect_target_endpoint) -> JobManager:
    assert lab.endpoints is not None
    adapters = Adapters(secrets=lab.endpoints.secrets, source=connect_source, target=target,
                        writers=writer_factory, session_guests=SourceAwareGuests, log_dir=tmp_path / "logs")
    return JobManager(store=Store(db), adapters=adapters, tuning=Tuning(checkpoint_seconds=0.1,
                                                                        guest_wait_seconds=30))


def _images(lab: Lab) -> set[str]:
    assert lab.prism is not None
    with lab.prism.state.lock:
        return set(lab.prism.state.data["images"])


def _image_deletes(lab: Lab) -> list[str]:
    """The image uuid of every DELETE Prism answered."""
    assert lab.prism is not None
    return [p.rsplit("/", 1)[1] for m, p, s in lab.prism.request_log if m == "DELETE" and "/images/" in p]


def _run(coro: Any) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 180))


def _migrate(lab: Lab, plan: Plan, tmp_path: Path) -> JobManager:
    """Run the plan's one VM to DONE; the closed manager's store is still readable."""
    m = _manager(lab, tmp_path / "x.sqlite3", tmp_path)

    async def go() -> None:
        try:
            await m.start(plan)
            (snap,) = await m.wait([plan.vms[0].vm_id], lambda s: s.state in STOPPED)
            assert snap.state.is_done, snap.error
            # The image was made and uploaded by a copy worker over its own Prism connection.
            assert any("in copy worker" in line.message for line in m.log_lines(plan.vms[0].vm_id, 2000))
        finally:
            await m.close()

    _run(go())
    return m


def test_a_delete_prism_refuses_is_a_warning_and_the_migration_is_done(lab: Lab, tmp_path: Path) -> None:
    assert lab.prism is not None
    plan = _cold_plan(lab)
    vm_id = plan.vms[0].vm_id
    lab.prism.fail_next("DELETE", r"/images/", 403)  # the first image's delete only
    m = _migrate(lab, plan, tmp_path)
    refs = {k: str(r["target_ref"]) for k, r in m.store.disks(vm_id).items()}
    assert len(refs) == 2
    kept, gone = refs[min(refs)], refs[max(refs)]
    assert _images(lab) == {kept}  # only the refused one is left; the VM does not need it
    step = {s.step_id: s for s in m.steps(vm_id)}[STEP_ID]
    assert step.state is StepState.WARNING and "Delete them in Prism" in step.message
    warnings = [line.message for line in m.log_lines(vm_id) if line.level == "WARNING"]
    assert any(kept in w and "by hand" in w for w in warnings), warnings
    outcomes = {e.object: e.outcome for e in m.store.journal(vm_id) if e.action == "delete_image"}
    assert outcomes == {kept: "failed", gone: "ok"}
    assert m.store.open_intents(vm_id) == []
    m.store.close()
    assert verify_disks(lab, plan) == {vm_id: []}


class DiesInTheSecondDelete:
    """The Prism adapter, except that the second image delete kills the process before it is sent."""

    def __init__(self, inner: TargetPlatform) -> None:
        self.inner = inner
        self.deleted: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def delete_image(self, image_uuid: str) -> None:
        if self.deleted:
            raise CancelledError("The laptop went away.")  # nothing sent; the engine stops where it stands
        self.inner.delete_image(image_uuid)
        self.deleted.append(image_uuid)


def test_a_crash_between_two_deletes_neither_leaks_nor_deletes_twice(lab: Lab, tmp_path: Path) -> None:
    plan = _cold_plan(lab)
    vm_id = plan.vms[0].vm_id
    db = tmp_path / "engine" / "xtract.sqlite3"
    dying: list[DiesInTheSecondDelete] = []

    def target(endpoint: Any, password: str) -> TargetPlatform:
        dying.append(DiesInTheSecondDelete(connect_target_endpoint(endpoint, password)))
        return dying[-1]  # type: ignore[return-value]

    first = _manager(lab, db, tmp_path, target)

    async def until_the_crash() -> None:
        await first.start(plan)
        while True:  # until the job stopped inside the removal
            steps = {s.step_id: s for s in first.steps(vm_id)}
            if STEP_ID in steps and steps[STEP_ID].message == "interrupted":
                break
            assert not {s.state for s in first.jobs()} & set(STOPPED), [(s.state, s.error) for s in first.jobs()]
            await asyncio.sleep(0.05)
        await first.close()  # what the dead process held; its database rows stay

    _run(until_the_crash())
    first.store.close()
    (deleted,) = dying[0].deleted
    crashed = Store(db)
    refs = {k: str(r["target_ref"]) for k, r in crashed.disks(vm_id).items()}
    (left,) = set(refs.values()) - {deleted}
    assert _images(lab) == {left}
    assert [(e.action, e.object) for e in crashed.open_intents(vm_id)] == [("delete_image", left)]
    crashed.close()

    second = _manager(lab, db, tmp_path)

    async def after_restart() -> None:
        try:
            await second.resume_all()
            (snap,) = await second.wait([vm_id], lambda s: s.state in STOPPED)
            assert snap.state.is_done, snap.error
        finally:
            await second.close()

    _run(after_restart())
    assert _images(lab) == set()
    assert sorted(_image_deletes(lab)) == sorted([deleted, left])  # each asked for once, across the crash
    journal = [(e.object, e.outcome) for e in second.store.journal(vm_id) if e.action == "delete_image"]
    assert journal == [(deleted, "ok"), (left, "interrupted"), (left, "ok")]
    assert second.store.open_intents(vm_id) == []
    second.store.close()
    assert verify_disks(lab, plan) == {vm_id: []}


def test_without_a_first_boot_report_the_images_stay(lab: Lab, tmp_path: Path) -> None:
    plan = _cold_plan(lab, channel=GuestChannelKind.NONE)  # nothing can tell whether the VM came up
    vm_id = plan.vms[0].vm_id
    m = _migrate(lab, plan, tmp_path)
    refs = {str(r["target_ref"]) for r in m.store.disks(vm_id).values()}
    assert len(refs) == 2 and _images(lab) == refs and _image_deletes(lab) == []
    warnings = [line.message for line in m.log_lines(vm_id) if line.level == "WARNING"]
    assert any("Kept 2 disk image(s)" in w and all(u in w for u in refs) for w in warnings), warnings
    step = {s.step_id: s for s in m.steps(vm_id)}[STEP_ID]  # in the task list and the report, not only the log
    assert step.state is StepState.WARNING and step.title == "Keeping staging images"
    staging = m.store.job(vm_id).data["staging_name"]  # type: ignore[union-attr]
    assert staging.startswith(f"{plan.vms[0].name}-")
    assert all(f"xtract-{staging}-disk-{key}" in step.message for key in m.store.disks(vm_id))
    m.store.close()
