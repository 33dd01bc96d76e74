"""Staging files after the cutover: removed through the writer factory (journaled) once the VM runs on AHV;
a removal that fails leaves the migration done, with a warning naming the files."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from xtract_gui.domain.errors import XtractError
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Adapters, Tuning
from xtract_gui.engine.events import StepState
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.staging import STEP_ID
from xtract_gui.engine.store import Store

from .fakes import Rig, Writers, make_plan, make_rig

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


class FolderWriters(Writers):
    """The local writer plus the optional whole-folder removal (``StagingCleanup``), as the NFS writer has."""

    folders: list[str] = []

    def discard_vm(self, vm_name: str) -> None:
        self.folders.append(vm_name)
        (self.root / self.folder / vm_name).rmdir()  # every disk went before: an empty folder is left


class StuckWriters(Writers):
    def discard(self, vm_name: str, disk_key: int) -> None:
        raise XtractError("The container refused the removal (NFS3ERR_ACCES).", hint="Check the whitelist.")


def _manager(rig: Rig, writers: type[Writers]) -> JobManager:
    adapters = Adapters(secrets=rig.secrets, source=lambda ep, pw: rig.lab, target=lambda ep, pw: rig.target,
                        writers=lambda plan, t: writers(rig.target.containers_dir, "default"),
                        guests=rig.guests, log_dir=rig.log_dir, script_text=lambda rel: f"# {rel}\n")
    return JobManager(store=Store(rig.store_path), adapters=adapters,
                      tuning=Tuning(sync_interval_seconds=0.3, guest_wait_seconds=5.0, checkpoint_seconds=0.05))


def _cut_over(rig: Rig, writers: type[Writers]) -> tuple[list[str], JobManager]:
    async def go() -> tuple[list[str], JobManager]:
        m = _manager(rig, writers)
        plan = make_plan(rig.lab)
        await m.start(plan)
        ids = [v.vm_id for v in plan.vms]
        snaps = await m.wait(ids, lambda s: s.ready_for_cutover or s.state in STOPPED)
        assert all(s.ready_for_cutover for s in snaps), snaps
        await m.cutover(ids, requested_by="test")
        snaps = await m.wait(ids, lambda s: s.state in STOPPED)
        assert [s.state.is_done for s in snaps] == [True] * len(ids), [s.error for s in snaps]
        await m.close()
        return ids, m

    return asyncio.run(asyncio.wait_for(go(), 90))


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def test_the_staging_folder_goes_once_the_vm_runs_on_ahv(rig: Rig) -> None:
    FolderWriters.folders = []
    (vm_id,), m = _cut_over(rig, FolderWriters)
    vm = rig.lab.inventory().vms[0]
    staging = rig.target.containers_dir / "default" / "xtract"
    assert list(staging.iterdir()) == []
    name = m.store.job(vm_id).data["staging_name"]  # type: ignore[union-attr]
    assert name.startswith(f"{vm.name}-")
    assert FolderWriters.folders == [name]
    (entry,) = [e for e in m.store.journal(vm_id) if e.action == "remove_staging"]
    assert (entry.object, entry.outcome) == (name, "ok")
    assert entry.params["files"] == [f"/default/xtract/{name}/disk-{d.key}.raw" for d in vm.disks]
    actions = [e.action for e in m.store.journal(vm_id)]
    # after the VM booted and the source was fenced off; before the whitelist goes
    assert actions.index("power_on") < actions.index("set_annotation") < actions.index("remove_staging") \
        < actions.index("remove_nfs_whitelist")
    (made,) = rig.target.vms_.values()
    assert all(p.exists() for p in made["disks"])  # the VM's own copies stay
    m.store.close()


def test_a_failed_removal_is_a_warning_and_the_files_stay(rig: Rig) -> None:
    (vm_id,), m = _cut_over(rig, StuckWriters)
    vm = rig.lab.inventory().vms[0]
    step = {s.step_id: s for s in m.steps(vm_id)}[STEP_ID]
    assert step.state is StepState.WARNING and "NFS3ERR_ACCES" in step.message
    (entry,) = [e for e in m.store.journal(vm_id) if e.action == "remove_staging"]
    assert entry.outcome == "failed"
    name = m.store.job(vm_id).data["staging_name"]  # type: ignore[union-attr]
    assert all((rig.target.containers_dir / "default" / "xtract" / name / f"disk-{d.key}.raw").exists()
               for d in vm.disks)
    m.store.close()
