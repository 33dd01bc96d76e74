"""The staging files of a warm migration go once the VM runs on AHV, also across a crash.

The lab with the real adapters (Prism simulator over HTTP, WinRM guest simulator, lab source, local
container writer).  The engine stops inside the removal of the staging files, after the AHV VM was
created, booted and verified, and its manager is dropped: the database is left as a crash leaves it (the
removal's intent open, the job cutting over).  A new manager on the same database must finish the
removal from the journal without touching the VM.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.errors import CancelledError
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Adapters, Tuning
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.ports import DiskWriter, DiskWriterFactory, TargetPlatform
from xtract_gui.engine.staging import STEP_ID
from xtract_gui.engine.store import Store
from xtract_gui.lab.runner import CONTAINER, Lab, verify_disks
from xtract_gui.wiring import SourceAwareGuests, connect_source, connect_target_endpoint, writer_factory

pytestmark = [pytest.mark.e2e, pytest.mark.prism, pytest.mark.guest]
STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


class DiesInDiscard:
    """The lab's writer factory, except that removing a staged disk kills the process (once)."""

    def __init__(self, inner: DiskWriterFactory) -> None:
        self.inner = inner
        self.whitelist_entry = inner.whitelist_entry
        self.discarded: list[tuple[str, int]] = []

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> DiskWriter:
        return self.inner.open(vm_name, disk_key, capacity, fresh=fresh)

    def discard(self, vm_name: str, disk_key: int) -> None:
        self.discarded.append((vm_name, disk_key))
        raise CancelledError("The laptop went away.")  # nothing removed; the engine stops where it stands

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab(tmp_path / "lab", vms=1) as lab:
        yield lab


def _manager(lab: Lab, db: Path, tmp_path: Path, writers: Any) -> JobManager:
    assert lab.endpoints is not None
    adapters = Adapters(secrets=lab.endpoints.secrets, source=connect_source, target=connect_target_endpoint,
                        writers=writers, guests=SourceAwareGuests(), log_dir=tmp_path / "logs")
    return JobManager(store=Store(db), adapters=adapters,
                      tuning=Tuning(sync_interval_seconds=0.5, guest_wait_seconds=30, checkpoint_seconds=0.1))


def _prism_vms(lab: Lab) -> dict[str, str]:
    assert lab.prism is not None
    with lab.prism.state.lock:
        return {v["uuid"]: v["power_state"] for v in lab.prism.state.data["vms"].values()}


def test_a_crash_before_the_staging_files_are_removed_is_finished_on_the_next_start(lab: Lab, tmp_path: Path) -> None:
    assert lab.endpoints is not None and lab.prism is not None
    plan = lab.endpoints.plan
    vm = plan.vms[0]
    ids = [vm.vm_id]
    db = tmp_path / "engine" / "xtract.sqlite3"
    dying: list[DiesInDiscard] = []

    def writers(p: Any, target: TargetPlatform) -> DiskWriterFactory:
        dying.append(DiesInDiscard(writer_factory(p, target)))
        return dying[-1]

    first = _manager(lab, db, tmp_path, writers)

    async def until_the_crash() -> None:
        await first.start(plan)
        snaps = await first.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED)
        assert all(s.ready_for_cutover for s in snaps), [(s.state, s.error) for s in snaps]
        await first.cutover(ids, requested_by="staging-e2e")
        while True:  # until the job stopped in the removal
            steps = {s.step_id: s for s in first.steps(vm.vm_id)}
            if STEP_ID in steps and steps[STEP_ID].message == "interrupted":
                break
            assert not {s.state for s in first.jobs()} & set(STOPPED), [(s.state, s.error) for s in first.jobs()]
            await asyncio.sleep(0.05)
        await first.close()  # what the dead process held (sockets, threads); its database rows stay

    asyncio.run(asyncio.wait_for(until_the_crash(), 180))
    staging_name = first.store.job(vm.vm_id).data["staging_name"]  # type: ignore[union-attr]
    first.store.close()

    assert dying and dying[0].discarded, "the removal never started"
    staging = lab.endpoints.containers_dir / CONTAINER / "xtract" / staging_name
    before = _prism_vms(lab)
    assert list(before.values()) == ["ON"]  # the VM was created and booted before the crash
    assert sorted(p.name for p in staging.iterdir()) == [f"disk-{d.key}.raw" for d in
                                                         lab.inventory().vms[0].disks]
    crashed = Store(db)
    opened = [e.action for e in crashed.open_intents(vm.vm_id)]
    crashed.close()
    assert opened == ["remove_staging"]  # the journal knows the removal may be half done

    second = _manager(lab, db, tmp_path, writer_factory)

    async def after_restart() -> None:
        try:
            await second.resume_all()
            snaps = await second.wait(ids, lambda s: s.state in STOPPED)
            assert [s.state.is_done for s in snaps] == [True], [s.error for s in snaps]
        finally:
            await second.close()

    asyncio.run(asyncio.wait_for(after_restart(), 180))
    outcomes = [e.outcome for e in second.store.journal(vm.vm_id) if e.action == "remove_staging"]
    assert outcomes == ["interrupted", "ok"]
    assert second.store.open_intents(vm.vm_id) == []
    assert [e.action for e in second.store.journal(vm.vm_id) if e.action == "create_vm"] == ["create_vm"]
    second.store.close()
    assert _prism_vms(lab) == before  # the same VM, still running: only the staging files went
    assert not staging.exists()  # the files and the VM's staging folder are gone
    assert verify_disks(lab, plan) == {vm.vm_id: []}
