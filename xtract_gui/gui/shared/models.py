"""Qt item models: the VM inventory (wizard page 3), the jobs (monitor) and one VM's task list.

Each is a ``QAbstractTableModel`` that changes by rows (``dataChanged`` on the
row that moved), so views repaint only what changed; pytest-qt's
``qtmodeltester`` checks all three.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon

from ...domain.inventory import SourceVM
from ...domain.states import JobState
from ...domain.units import human_bytes
from ...engine.events import JobStateChanged, Progress, StepChanged, StepState, SyncSummary
from ..wizard.flow import Finding
from .icons import severity_icon, step_icon
from .texts import human_seconds

_Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
VM_ID_ROLE = Qt.ItemDataRole.UserRole + 2
FRACTION_ROLE = Qt.ItemDataRole.UserRole + 3


def tr(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def _units(template: str) -> str:
    return tr("units", template)


# -- shared table plumbing -------------------------------------------------------------------------


class ColumnsModel(QAbstractTableModel):
    """A flat table with fixed column titles, translated in the context named after the subclass (so each
    table keeps its own entries in the translation files)."""

    COLUMNS: tuple[str, ...] = ()

    def _row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else self._row_count()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self.COLUMNS):
            return tr(type(self).__name__, self.COLUMNS[section])
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


# -- inventory -------------------------------------------------------------------------------------


class InventoryModel(ColumnsModel):
    """Source VMs with a checkbox column (selection) and a live readiness column."""

    COLUMNS = ("Name", "Readiness", "Power", "Guest OS", "Folder", "Cluster", "Disks", "Size", "NICs")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._vms: list[SourceVM] = []
        self._row: dict[str, int] = {}
        self.selected: set[str] = set()
        self.findings: dict[str, list[Finding]] = {}

    def set_vms(self, vms: list[SourceVM] | tuple[SourceVM, ...]) -> None:
        self.beginResetModel()
        self._vms = list(vms)
        self._row = {v.vm_id: i for i, v in enumerate(self._vms)}
        self.selected &= set(self._row)
        self.endResetModel()

    def vm_at(self, row: int) -> SourceVM:
        return self._vms[row]

    def vms(self) -> list[SourceVM]:
        return list(self._vms)

    def set_findings(self, vm_id: str, findings: list[Finding]) -> None:
        self.findings[vm_id] = findings
        self._row_changed(vm_id)

    def set_checked(self, vm_id: str, checked: bool) -> None:
        if checked:
            self.selected.add(vm_id)
        else:
            self.selected.discard(vm_id)
        self._row_changed(vm_id)

    def _row_changed(self, vm_id: str) -> None:
        row = self._row.get(vm_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _row_count(self) -> int:
        return len(self._vms)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() and index.column() == 0 else base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._vms):
            return None
        vm, col = self._vms[index.row()], index.column()
        if role == VM_ID_ROLE:
            return vm.vm_id
        if col == 0 and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if vm.vm_id in self.selected else Qt.CheckState.Unchecked
        if col == 1:
            return self._readiness(vm, role)
        if role == SORT_ROLE:
            return (vm.name.lower(), None, vm.power_state.value, vm.guest_full_name or vm.guest_id, vm.folder,
                    vm.cluster, len(vm.disks), vm.provisioned_bytes, len(vm.nics))[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return (vm.name, None, tr("InventoryModel", vm.power_state.value), vm.guest_full_name or vm.guest_id,
                    vm.folder, vm.cluster, str(len(vm.disks)), human_bytes(vm.provisioned_bytes),
                    ", ".join(sorted({n.network for n in vm.nics})))[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            self.set_checked(self._vms[index.row()].vm_id, checked)
            return True
        return False

    def _readiness(self, vm: SourceVM, role: int) -> Any:
        found = self.findings.get(vm.vm_id)
        worst = _worst(found)
        if role == Qt.ItemDataRole.DisplayRole:
            if found is None:
                return "" if vm.vm_id not in self.selected else tr("InventoryModel", "checking…")
            return {"BLOCKER": tr("InventoryModel", "blocked"), "WARNING": tr("InventoryModel", "warnings"),
                    "INFO": tr("InventoryModel", "ready")}.get(worst, tr("InventoryModel", "ready"))
        if role == Qt.ItemDataRole.DecorationRole and found is not None:
            return severity_icon(worst or "OK")
        if role == Qt.ItemDataRole.ToolTipRole and found:
            return "\n".join(f"• [{f.severity}] {f.message} {f.fix}".strip() for f in found)
        if role == SORT_ROLE:
            return {"BLOCKER": 0, "WARNING": 1, "INFO": 2}.get(worst or "", 3 if found is not None else 4)
        return None


def _worst(found: list[Finding] | None) -> str | None:
    if not found:
        return None
    for sev in ("BLOCKER", "WARNING", "INFO"):
        if any(f.severity == sev for f in found):
            return sev
    return None


# -- jobs ------------------------------------------------------------------------------------------


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
    history: deque[tuple[float, float]] = field(default_factory=_history)

    @property
    def fraction(self) -> float:
        # Clamped: a retried chunk can be counted twice by the engine, and a bar past 100% helps nobody.
        return min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes else 0.0


STATE_TEXT = {
    JobState.PENDING: "Pending", JobState.VALIDATING: "Validating", JobState.PREPARING: "Preparing guest",
    JobState.SEEDING: "Seeding", JobState.SYNCING: "Syncing", JobState.CUTTING_OVER: "Cutting over",
    JobState.POST: "Post tasks", JobState.DONE: "Done", JobState.DONE_UNVERIFIED: "Done — check the console", JobState.PAUSED: "Paused", JobState.FAILED: "Failed",
    JobState.CANCELLED: "Cancelled", JobState.ROLLED_BACK: "Rolled back",
}


class JobsModel(ColumnsModel):
    COLUMNS = ("VM", "Phase", "Progress", "Rate", "ETA", "Last sync", "Delta", "Projected downtime")
    PROGRESS_COLUMN = 2

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
        for attr in ("step_title", "done_bytes", "total_bytes", "rate_bytes_per_s", "eta_seconds", "last_sync_at",
                     "last_delta_bytes", "projected_downtime_seconds", "downtime_seconds", "ready_for_cutover", "error",
                     "test_vm_uuid"):
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
        if role == Qt.ItemDataRole.ToolTipRole and col == 1 and r.error:
            return r.error
        if role == Qt.ItemDataRole.DecorationRole and col == 1:
            return _state_icon(r)
        return None

    def _display(self, r: JobRow, col: int) -> str:
        if col == 0:
            return r.name
        if col == 1:
            phase = tr("JobsModel", STATE_TEXT[r.state])
            if r.state is JobState.SYNCING and r.ready_for_cutover:
                phase = tr("JobsModel", "Ready for cutover")
            # While copying, the progress bar says enough; in other phases the running task says what happens.
            detail = r.step_title and r.state.active and r.state not in (JobState.SEEDING, JobState.SYNCING)
            return f"{phase} – {r.step_title}" if detail else phase
        if col == 2:
            return f"{r.fraction * 100:.0f}%" if r.total_bytes else ""
        copying = r.state in (JobState.SEEDING, JobState.SYNCING, JobState.CUTTING_OVER) \
            and r.total_bytes and r.done_bytes < r.total_bytes
        if col == 3:
            return f"{human_bytes(r.rate_bytes_per_s)}/s" if copying and r.rate_bytes_per_s else ""
        if col == 4:
            return human_seconds(r.eta_seconds, _units) if copying and r.eta_seconds is not None else ""
        if col == 5:
            return time.strftime("%H:%M:%S", time.localtime(r.last_sync_at)) if r.last_sync_at else ""
        if col == 6:
            return human_bytes(r.last_delta_bytes) if r.last_delta_bytes is not None else ""
        if col == 7:
            if r.state is JobState.DONE:  # a projection is moot once the real downtime is known
                measured = r.downtime_seconds
                return tr("JobsModel", "{time} (measured)").format(time=human_seconds(measured, _units)) \
                    if measured is not None else ""
            downtime = r.projected_downtime_seconds
            return human_seconds(downtime, _units) if downtime is not None else ""
        return ""


def _state_icon(r: JobRow) -> QIcon:
    if r.state is JobState.DONE:
        return step_icon(StepState.SUCCEEDED)
    if r.state in (JobState.FAILED, JobState.ROLLED_BACK):
        return step_icon(StepState.FAILED)
    if r.state in (JobState.PAUSED, JobState.CANCELLED):
        return step_icon(StepState.SKIPPED)
    if r.ready_for_cutover:
        return step_icon(StepState.SUCCEEDED)
    return step_icon(StepState.RUNNING if r.state.active else StepState.PENDING)
