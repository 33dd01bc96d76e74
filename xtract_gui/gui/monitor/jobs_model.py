"""The job monitor's rows: one per VM job, of every plan, fed by engine snapshots and events."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

from ...domain.messages import seconds
from ...domain.states import JobState
from ...domain.units import human_bytes
from ...engine.events import JobStateChanged, Progress, StepChanged, StepState, SyncSummary
from ..shared.icons import AMBER_TEXT, severity_icon, step_icon
from ..shared.table import FRACTION_ROLE, VM_ID_ROLE, ColumnsModel, _Index, tr
from ..shared.tr import human_rate, shown, step_title


def _history() -> deque[tuple[float, float]]:
    return deque(maxlen=240)  # (time, bytes/s): the last minutes of the throughput plot


@dataclass
class JobRow:
    vm_id: str
    name: str
    state: JobState = JobState.PENDING
    step_title: str = ""
    done_bytes: int = 0
    total_bytes: int = 0
    rate_bytes_per_s: float = 0.0
    eta_seconds: float | None = None
    last_sync_at: float | None = None
    last_delta_bytes: int | None = None
    projected_downtime_seconds: float | None = None
    downtime_seconds: float | None = None  # measured, once cut over
    ready_for_cutover: bool = False
    error: str = ""
    test_vm_uuid: str = ""  # a test migration's VM on AHV, until it is removed
    test_vm_name: str = ""
    test_busy: str = ""  # "creating" / "removing" while that step runs
    plan_id: str = ""
    plan_name: str = ""
    check: str = ""  # done_unverified: what to look at on the console
    warnings: tuple[str, ...] = ()
    history: deque[tuple[float, float]] = field(default_factory=_history)

    @property
    def fraction(self) -> float:
        # Clamped: a retried chunk can be counted twice by the engine, and a bar past 100% helps nobody.
        return min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes else 0.0


STATE_TEXT = {
    JobState.PENDING: "Pending", JobState.VALIDATING: "Validating", JobState.PREPARING: "Preparing guest",
    JobState.SEEDING: "Seeding", JobState.SYNCING: "Syncing", JobState.CUTTING_OVER: "Cutting over",
    JobState.POST: "Post tasks", JobState.DONE: "Done", JobState.DONE_UNVERIFIED: "Done — check the console",
    JobState.PAUSED: "Paused", JobState.FAILED: "Failed", JobState.CANCELLED: "Cancelled",
    JobState.ROLLED_BACK: "Rolled back",
}
_SNAPSHOT_FIELDS = ("step_title", "done_bytes", "total_bytes", "rate_bytes_per_s", "eta_seconds", "last_sync_at",
                    "last_delta_bytes", "projected_downtime_seconds", "downtime_seconds", "ready_for_cutover", "error",
                    "test_vm_uuid", "test_vm_name", "plan_id", "plan_name", "check", "warnings")
_TEST_STEPS = {"test.create": "creating", "test.undo": "removing", "cutover.remove_test": "removing"}


class JobsModel(ColumnsModel):
    COLUMNS = ("VM", "Plan", "Phase", "Progress", "Rate", "ETA", "Last sync", "Delta", "Downtime", "Test VM")
    PLAN_COLUMN, PHASE_COLUMN, PROGRESS_COLUMN, TEST_COLUMN = 1, 2, 3, 9

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[JobRow] = []
        self._index: dict[str, int] = {}

    # -- feeding ---------------------------------------------------------------------------------
    def load(self, snapshots: list[Any]) -> None:
        """Replace every row from ``JobManager.jobs()`` (after start or resume); a VM keeps its rate history."""
        history = {r.vm_id: r.history for r in self._rows}
        self.beginResetModel()
        self._rows = [self._from_snapshot(JobRow(s.vm_id, s.name, history=history.get(s.vm_id) or _history()), s)
                      for s in snapshots]
        self._index = {r.vm_id: i for i, r in enumerate(self._rows)}
        self.endResetModel()

    def update_snapshot(self, snap: Any) -> None:
        row = self._index.get(snap.vm_id)
        if row is None:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows))
            self._rows.append(self._from_snapshot(JobRow(snap.vm_id, snap.name), snap))
            self._index[snap.vm_id] = len(self._rows) - 1
            self.endInsertRows()
            return
        self._from_snapshot(self._rows[row], snap)
        self._changed(row)

    @staticmethod
    def _from_snapshot(r: JobRow, s: Any) -> JobRow:
        r.name = s.name
        r.state = JobState(s.state)
        for attr in _SNAPSHOT_FIELDS:
            if hasattr(s, attr):
                setattr(r, attr, getattr(s, attr))
        return r

    def apply(self, event: Any, *, history: bool = True) -> None:
        """One engine event onto its row; ``history=False`` when it is applied again over a newer snapshot."""
        row = self._index.get(getattr(event, "vm_id", ""))
        if row is None:
            return
        r = self._rows[row]
        if isinstance(event, JobStateChanged):
            r.state = event.new
            r.error = event.reason if event.new in (JobState.FAILED, JobState.ROLLED_BACK) else ""
            r.check = event.reason if event.new is JobState.DONE_UNVERIFIED else ""
            if event.new is not JobState.SYNCING:
                r.ready_for_cutover = False
        elif isinstance(event, Progress):
            r.done_bytes, r.total_bytes = event.done_bytes, event.total_bytes
            r.rate_bytes_per_s, r.eta_seconds = event.rate_bytes_per_s, event.eta_seconds
            if history:
                r.history.append((event.at, event.rate_bytes_per_s))
        elif isinstance(event, SyncSummary):
            r.last_sync_at, r.last_delta_bytes = event.at, event.bytes_copied
            r.projected_downtime_seconds = event.projected_downtime_seconds
            r.ready_for_cutover = r.state is JobState.SYNCING
            r.rate_bytes_per_s, r.eta_seconds = 0.0, None
        elif isinstance(event, StepChanged) and event.step_id in _TEST_STEPS:
            r.test_busy = _TEST_STEPS[event.step_id] if event.state is StepState.RUNNING else ""
        elif isinstance(event, StepChanged) and event.state is StepState.RUNNING:
            r.step_title = event.title
        else:
            return  # log lines and finished steps change nothing in the row: no repaint
        self._changed(row)

    def _changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    # -- reading ---------------------------------------------------------------------------------
    def row(self, vm_id: str) -> JobRow | None:
        i = self._index.get(vm_id)
        return self._rows[i] if i is not None else None

    def row_at(self, i: int) -> JobRow:
        return self._rows[i]

    def position(self, vm_id: str) -> int | None:
        return self._index.get(vm_id)

    def rows(self) -> list[JobRow]:
        return list(self._rows)

    def plans(self) -> dict[str, str]:
        """plan id -> name, in the order the rows name them."""
        return {r.plan_id: r.plan_name or r.plan_id for r in self._rows if r.plan_id}

    def _row_count(self) -> int:
        return len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r, col = self._rows[index.row()], index.column()
        if role == VM_ID_ROLE:
            return r.vm_id
        if role == FRACTION_ROLE:
            return r.fraction
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, col)
        if role == Qt.ItemDataRole.ToolTipRole and col == self.PHASE_COLUMN:
            return shown(r.check or r.error) or None
        if role == Qt.ItemDataRole.DecorationRole and col == self.PHASE_COLUMN:
            return state_icon(r)
        if role == Qt.ItemDataRole.ForegroundRole and col == self.PHASE_COLUMN and r.state is JobState.DONE_UNVERIFIED:
            return QColor(AMBER_TEXT)
        return None

    def phase(self, r: JobRow) -> str:
        phase = tr("JobsModel", STATE_TEXT[r.state])
        if r.state is JobState.SYNCING and r.ready_for_cutover:
            phase = tr("JobsModel", "Ready for cutover")
        if r.state in (JobState.FAILED, JobState.ROLLED_BACK) and r.error:
            return f"{phase}: {shown(r.error)}"  # the cause in the row, not only in a tooltip
        # While copying, the progress bar says enough; in other phases the running task says what happens.
        detail = r.step_title and r.state.active and r.state not in (JobState.SEEDING, JobState.SYNCING)
        return f"{phase} – {step_title(r.step_title)}" if detail else phase

    def _display(self, r: JobRow, col: int) -> str:
        if col == 0:
            return r.name
        if col == self.PLAN_COLUMN:
            return r.plan_name
        if col == self.PHASE_COLUMN:
            return self.phase(r)
        if col == self.PROGRESS_COLUMN:
            return f"{r.fraction * 100:.0f}%" if r.total_bytes else ""
        if col == self.TEST_COLUMN:
            if r.test_busy:
                return tr("JobsModel", "creating…") if r.test_busy == "creating" else tr("JobsModel", "removing…")
            return tr("JobsModel", "{name} (running)").format(name=r.test_vm_name) if r.test_vm_uuid else ""
        copying = r.state in (JobState.SEEDING, JobState.SYNCING, JobState.CUTTING_OVER) \
            and r.total_bytes and r.done_bytes < r.total_bytes
        if col == 4:
            return human_rate(r.rate_bytes_per_s) if copying and r.rate_bytes_per_s else ""
        if col == 5:
            return shown(seconds(r.eta_seconds)) if copying and r.eta_seconds is not None else ""
        if col == 6:
            return time.strftime("%H:%M:%S", time.localtime(r.last_sync_at)) if r.last_sync_at else ""
        if col == 7:
            return human_bytes(r.last_delta_bytes) if r.last_delta_bytes is not None else ""
        if col == 8:
            if r.state.is_done:  # a projection is moot once the real downtime is known
                measured = r.downtime_seconds
                return tr("JobsModel", "{time} (measured)").format(time=shown(seconds(measured))) \
                    if measured is not None else ""
            downtime = r.projected_downtime_seconds
            return tr("JobsModel", "{time} (projected)").format(time=shown(seconds(downtime))) \
                if downtime is not None else ""
        return ""


def state_icon(r: JobRow) -> QIcon:
    if r.state is JobState.DONE:
        return step_icon(StepState.SUCCEEDED)
    if r.state is JobState.DONE_UNVERIFIED:
        return severity_icon("WARNING")
    if r.state in (JobState.FAILED, JobState.ROLLED_BACK):
        return step_icon(StepState.FAILED)
    if r.state in (JobState.PAUSED, JobState.CANCELLED):
        return step_icon(StepState.SKIPPED)
    if r.ready_for_cutover:
        return step_icon(StepState.SUCCEEDED)
    return step_icon(StepState.RUNNING if r.state.active else StepState.PENDING)
