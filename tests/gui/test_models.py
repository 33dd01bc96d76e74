"""The item models pass qtmodeltester and change by rows as engine events arrive."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import JobStateChanged, LogLine, Progress, StepChanged, StepState, SyncSummary
from xtract_gui.gui import preview
from xtract_gui.gui.monitor.jobs_model import JobsModel
from xtract_gui.gui.monitor.steps_model import StepsModel
from xtract_gui.gui.monitor.widget import allowed
from xtract_gui.gui.shared.table import FRACTION_ROLE, SORT_ROLE
from xtract_gui.gui.wizard.flow import Finding
from xtract_gui.gui.wizard.inventory_model import InventoryModel

pytestmark = pytest.mark.gui


def _job(vm_id: str, name: str, state: JobState = JobState.PENDING) -> preview._Job:
    return preview._Job(vm_id, name, state=state, total_bytes=1000)


def test_inventory_model(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = InventoryModel()
    model.set_vms(preview.SOURCE.vms)
    model.set_checked("vm-105", True)
    model.set_findings("vm-105", [Finding("existing_snapshots", "BLOCKER", "2 snapshots.", "Delete them.", "vm-105")])
    model.set_findings("vm-101", [Finding("cbt", "INFO", "CBT will be enabled.", "", "vm-101")])
    qtmodeltester.check(model)
    row = [v.vm_id for v in model.vms()].index("vm-105")
    assert model.index(row, 1).data() == "blocked"
    tip = model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert "2 snapshots." in tip and "[" not in tip  # issue 15.12: no raw "[BLOCKER]" tags
    assert model.index(row, 0).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert model.flags(model.index(row, 0)) & Qt.ItemFlag.ItemIsUserCheckable  # only the name column ticks
    assert not model.flags(model.index(row, 1)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.index(0, 7).data(SORT_ROLE) == preview.SOURCE.vms[0].provisioned_bytes
    assert model.setData(model.index(0, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert preview.SOURCE.vms[0].vm_id in model.selected


def test_jobs_model_follows_events_row_by_row(qtmodeltester, qtbot) -> None:  # type: ignore[no-untyped-def]
    model = JobsModel()
    model.load([_job("vm-1", "web-01"), _job("vm-2", "db-01")])
    qtmodeltester.check(model)
    with qtbot.waitSignal(model.dataChanged) as blocker:
        model.apply(JobStateChanged("vm-2", JobState.PENDING, JobState.SEEDING))
    assert blocker.args[0].row() == 1 and blocker.args[1].row() == 1
    model.apply(Progress("vm-2", "seed", 250, 1000, 2e6, 12.0))
    assert model.index(1, 3).data() == "25%"
    assert model.index(1, 3).data(FRACTION_ROLE) == 0.25
    assert model.index(1, 4).data() == "16 Mbit/s"  # issue 15.7: the network unit, as the limit is set in
    assert model.index(1, 5).data() == "12 s"
    model.apply(Progress("vm-2", "seed", 1030, 1000, 2e6, 0.0))
    assert model.index(1, 3).data() == "100%"  # never past the end
    model.apply(Progress("vm-2", "seed", 250, 1000, 2e6, 12.0))
    model.apply(StepChanged("vm-2", "seed", "Seed", StepState.RUNNING))
    assert model.index(1, 2).data() == "Seeding"
    model.apply(JobStateChanged("vm-1", JobState.PENDING, JobState.PREPARING))
    model.apply(StepChanged("vm-1", "guest.0", "Checking admin permissions", StepState.RUNNING))
    assert model.index(0, 2).data() == "Preparing guest – Checking admin permissions"
    model.apply(JobStateChanged("vm-2", JobState.SEEDING, JobState.SYNCING))
    model.apply(SyncSummary("vm-2", 1, 5 * 2**20, 2.0, 42.0))
    assert model.index(1, 2).data() == "Ready for cutover"
    assert model.index(1, 7).data() == "5.0 MiB" and model.index(1, 8).data() == "42 s (projected)"
    assert model.row("vm-2").ready_for_cutover
    model.apply(JobStateChanged("vm-1", JobState.PENDING, JobState.FAILED, reason="Prism refused the VM spec."))
    assert model.index(0, 2).data(Qt.ItemDataRole.ToolTipRole) == "Prism refused the VM spec."
    assert model.index(0, 2).data() == "Failed: Prism refused the VM spec."  # issue 15.12: the cause in the row
    model.apply(LogLine("vm-unknown", "INFO", "ignored"))
    qtmodeltester.check(model)


def test_done_jobs_show_the_measured_downtime_not_the_projection(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    model = JobsModel()
    syncing = _job("vm-1", "web-01", JobState.SYNCING)
    syncing.projected_downtime_seconds = 48.0
    done = _job("vm-2", "web-02", JobState.DONE)
    done.projected_downtime_seconds, done.downtime_seconds = 48.0, 41.0
    unknown = _job("vm-3", "web-03", JobState.DONE)
    unknown.projected_downtime_seconds = 48.0
    model.load([syncing, done, unknown])
    qtmodeltester.check(model)
    assert [model.index(r, 8).data() for r in range(3)] == ["48 s (projected)", "41 s (measured)", ""]
    assert model.headerData(8, Qt.Orientation.Horizontal) == "Downtime"
    assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsUserCheckable == Qt.ItemFlag.NoItemFlags


def test_steps_model(qtmodeltester, qtbot) -> None:  # type: ignore[no-untyped-def]
    model = StepsModel()
    model.show_vm("vm-1", [StepChanged("vm-1", "guest.0", "Checking admin permissions", StepState.SUCCEEDED, "OK")])
    with qtbot.waitSignal(model.rowsInserted):
        model.apply(StepChanged("vm-1", "seed", "Seed", StepState.RUNNING))
    with qtbot.waitSignal(model.dataChanged):
        model.apply(StepChanged("vm-1", "seed", "Seed", StepState.SUCCEEDED, "20 GiB"))
    model.apply(StepChanged("vm-2", "seed", "Seed", StepState.FAILED))  # another VM: not shown
    assert model.rowCount() == 2
    assert model.index(1, 2).data() == "20 GiB"
    qtmodeltester.check(model)


@pytest.mark.parametrize(("action", "state", "ready", "ok"), [
    ("cutover", JobState.SYNCING, True, True),
    ("cutover", JobState.SYNCING, False, False),
    ("cutover", JobState.SEEDING, False, False),
    ("pause", JobState.SEEDING, False, True),
    ("pause", JobState.CUTTING_OVER, False, False),
    ("resume", JobState.PAUSED, False, True),
    ("retry", JobState.FAILED, False, True),
    ("retry", JobState.SYNCING, True, False),
    ("cancel", JobState.DONE, False, False),
])
def test_actions_follow_job_state(action: str, state: JobState, ready: bool, ok: bool) -> None:
    assert allowed(action, state, ready) is ok


def test_a_job_nobody_saw_boot_is_amber_with_what_to_check(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    """Issue 15.4: "done" with a green tick only when the guest reported its first boot."""
    from PySide6.QtGui import QColor

    model = JobsModel()
    done, unseen = _job("vm-1", "web-01", JobState.DONE), _job("vm-2", "lin-01", JobState.DONE_UNVERIFIED)
    unseen.check = "Nobody saw lin-01 boot on AHV. Open its console in Prism."
    model.load([done, unseen])
    qtmodeltester.check(model)
    assert model.index(0, 2).data() == "Done" and model.index(1, 2).data() == "Done — check the console"
    assert "Open its console" in model.index(1, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(1, 2).data(Qt.ItemDataRole.ForegroundRole) == QColor("#8a5a00")
    assert model.index(0, 2).data(Qt.ItemDataRole.DecorationRole).cacheKey() != \
        model.index(1, 2).data(Qt.ItemDataRole.DecorationRole).cacheKey()


def test_the_test_vm_shows_in_its_row(qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    """Issue 15.5: a test VM on AHV is visible in the job's row while it exists, by name."""
    model = JobsModel()
    job = _job("vm-1", "web-01", JobState.SYNCING)
    job.test_vm_uuid, job.test_vm_name = "uuid-1", "web-01-xtract-test"
    model.load([job, _job("vm-2", "web-02", JobState.SYNCING)])
    qtmodeltester.check(model)
    assert model.index(0, JobsModel.TEST_COLUMN).data() == "web-01-xtract-test (running)"
    assert model.index(1, JobsModel.TEST_COLUMN).data() == ""
    assert allowed("test_undo", JobState.SYNCING, True, test_vm=True)
    assert not allowed("test_undo", JobState.SYNCING, True, test_vm=False)
    assert not allowed("test", JobState.SYNCING, True, test_vm=True)  # one test VM at a time
