"""The job monitor: per-VM rows with progress, actions, and a detail pane (tasks, log, throughput)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QItemSelection, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...domain.states import JobState
from ...engine.events import JobStateChanged, LogLine, Progress, StepChanged, SyncSummary
from ..shared.models import JobsModel
from .feed import DetailFeed, JobsFeed
from .plot import ProgressDelegate, ThroughputPlot
from .steps_model import StepsModel

ACTIONS = ("test", "cutover", "pause", "resume", "cancel", "retry")


def allowed(action: str, state: JobState, ready: bool) -> bool:
    """Which action makes sense for a job in ``state`` (the engine still decides; this only greys buttons)."""
    if action == "cutover":
        return ready and state is JobState.SYNCING
    if action == "test":
        return ready and state is JobState.SYNCING
    if action == "pause":
        return state.active and state is not JobState.CUTTING_OVER
    if action == "resume":
        return state is JobState.PAUSED
    if action == "cancel":
        return not state.terminal and state is not JobState.CUTTING_OVER
    if action == "retry":
        return state in (JobState.FAILED, JobState.ROLLED_BACK)
    return False


class JobMonitor(QWidget):
    actionRequested = Signal(str, list)  # action, vm ids (after any confirmation)
    exportRequested = Signal()
    bandwidthChanged = Signal(float)  # Mbit/s, 0: unlimited

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager: Any = None
        self.jobs = JobsModel(self)
        self.steps = StepsModel(self)
        self.buttons: dict[str, QPushButton] = {}
        labels = {"test": self.tr("Test"), "cutover": self.tr("Cut over…"), "pause": self.tr("Pause"),
                  "resume": self.tr("Resume"), "cancel": self.tr("Cancel…"), "retry": self.tr("Retry")}
        bar = QHBoxLayout()
        for action in ACTIONS:
            b = QPushButton(labels[action], self)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, a=action: self.request(a))
            self.buttons[action] = b
            bar.addWidget(b)
        self.buttons["cutover"].setProperty("role", "primary")
        bar.addStretch(1)
        self.bandwidth = QSpinBox(self)
        self.bandwidth.setRange(0, 100_000)
        self.bandwidth.setSingleStep(100)
        self.bandwidth.setSuffix(self.tr(" Mbit/s"))
        self.bandwidth.setSpecialValueText(self.tr("No limit"))
        self.bandwidth.setToolTip(self.tr("Bandwidth limit for all copies, applied at once"))
        self.bandwidth.setKeyboardTracking(False)  # apply on Enter or arrows, not on every digit
        self.bandwidth.valueChanged.connect(lambda v: self.bandwidthChanged.emit(float(v)))
        bar.addWidget(QLabel(self.tr("Bandwidth"), self))
        bar.addWidget(self.bandwidth)
        self.export_button = QPushButton(self.tr("Export report…"), self)
        self.export_button.clicked.connect(self.exportRequested)
        bar.addWidget(self.export_button)
        self.table = QTableView(self)
        self.table.setModel(self.jobs)
        self.table.setItemDelegateForColumn(JobsModel.PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.resizeSection(0, 150)
        header.resizeSection(1, 220)
        header.resizeSection(JobsModel.PROGRESS_COLUMN, 160)
        self.detail_title = QLabel(self.tr("Select a VM to see its tasks and log."), self)
        self.detail_title.setObjectName("detailTitle")
        self.step_view = QTableView(self)
        self.step_view.setModel(self.steps)
        self.step_view.verticalHeader().setVisible(False)
        self.step_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.step_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.step_view.horizontalHeader().setStretchLastSection(True)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(2000)
        self.plot = ThroughputPlot(self)
        tabs = QTabWidget(self)
        tabs.addTab(self.step_view, self.tr("Tasks"))
        tabs.addTab(self.log, self.tr("Log"))
        detail = QWidget(self)
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.detail_title)
        dl.addWidget(tabs, 1)
        dl.addWidget(self.plot)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(detail)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._row_menu)
        self.jobs.dataChanged.connect(self._rows_changed)
        self.jobs.modelReset.connect(self._update_buttons)
        self._confirm: QMessageBox | None = None
        self._stale: set[str] = set()
        self._menu: QMenu | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(300)
        self._refresh.timeout.connect(self._refresh_stale)
        self.confirm_buttons: dict[str, QPushButton] = {}
        # Nothing the engine stores is read on this (the GUI) thread: snapshots come from the executor.
        self.feed = JobsFeed(self.jobs, self._jobs_loaded)
        self.detail = DetailFeed(self.steps, self._append_lines, self.log.clear)

    # -- feeding (connected by app._connect_signals) ------------------------------------------------
    def attach(self, manager: Any) -> None:
        self.manager = manager
        self.detail.manager = manager
        self.feed.attach(manager)
        self.detail.reload()

    def reload(self) -> None:
        """Rebuild the table from the engine's rows (read off the GUI thread; applied when they arrive)."""
        self.feed.manager = self.manager
        self.feed.request(full=True)

    def _jobs_loaded(self) -> None:
        if self.jobs.rowCount() and not self.selected_ids():
            # A rebuilt table lost its selection: keep the VM the detail pane shows, else the first one.
            self.table.selectRow(self.jobs.position(self.detail.vm_id) or 0)
        self._update_buttons()

    @Slot(object)
    def on_event(self, event: Any) -> None:
        self.feed.on_event(event)
        if isinstance(event, StepChanged):
            at_end = self.step_view.verticalScrollBar().value() >= self.step_view.verticalScrollBar().maximum()
            if self.detail.on_event(event) and at_end:
                self.step_view.scrollToBottom()  # follow the newest task unless the user scrolled up
        elif isinstance(event, LogLine):
            self.detail.on_event(event)
        if isinstance(event, JobStateChanged | SyncSummary) and self.manager is not None:
            # The engine's own view of the row (ready_for_cutover, errors) is authoritative, but reading it
            # costs a database query: do it once for a burst of state changes.
            self._stale.add(event.vm_id)
            if not self._refresh.isActive():
                self._refresh.start()
        if isinstance(event, Progress) and event.vm_id == self.detail.vm_id:
            row = self.jobs.row(event.vm_id)
            self.plot.set_points(list(row.history) if row else [])

    @Slot()
    def _refresh_stale(self) -> None:
        stale, self._stale = self._stale, set()
        self.feed.request(vm_ids=stale)

    def _append_lines(self, lines: list[LogLine]) -> None:
        if lines:  # one append for a whole snapshot: a block per line would relayout 500 times
            self.log.appendPlainText("\n".join(
                f"{time.strftime('%H:%M:%S', time.localtime(line.at))} {line.level:<7} {line.message}"
                for line in lines))

    # -- selection and actions ---------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.jobs.row_at(r).vm_id for r in rows]

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, *_: Any) -> None:
        ids = self.selected_ids()
        self._update_buttons()
        vm_id = ids[0] if ids else ""
        if vm_id == self.detail.vm_id:
            return
        row = self.jobs.row(vm_id) if vm_id else None
        self.detail_title.setText(row.name if row else self.tr("Select a VM to see its tasks and log."))
        self.detail.show(vm_id)
        self.plot.set_points(list(row.history) if row else [])

    @Slot()
    def _rows_changed(self, *_: Any) -> None:
        self._update_buttons()

    def _update_buttons(self) -> None:
        rows = [self.jobs.row(v) for v in self.selected_ids()]
        rows = [r for r in rows if r is not None]
        for action, button in self.buttons.items():
            button.setEnabled(bool(rows) and all(allowed(action, r.state, r.ready_for_cutover) for r in rows))

    @Slot(QPoint)
    def _row_menu(self, pos: QPoint) -> None:
        """The same actions per row, on right click."""
        menu = QMenu(self)
        for action, button in self.buttons.items():
            act = menu.addAction(button.text())
            act.setEnabled(button.isEnabled())
            act.triggered.connect(lambda _=False, a=action: self.request(a))
        rows = [r for v in self.selected_ids() if (r := self.jobs.row(v)) is not None]
        menu.addSeparator()
        undo_test = menu.addAction(self.tr("Remove test VM"))
        undo_test.setEnabled(bool(rows) and all(r.test_vm_uuid for r in rows))
        undo_test.triggered.connect(lambda: self.request("test_undo"))
        self._menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))

    def request(self, action: str, vm_ids: list[str] | None = None) -> None:
        ids = vm_ids if vm_ids is not None else self.selected_ids()
        if not ids:
            return
        if action in ("cutover", "cancel"):
            self._ask(action, ids)
        else:
            self.actionRequested.emit(action, ids)

    def _ask(self, action: str, ids: list[str]) -> None:
        names = ", ".join(r.name for v in ids if (r := self.jobs.row(v)) is not None)
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        if action == "cutover":
            box.setWindowTitle(self.tr("Cut over"))
            box.setText(self.tr("Cut over {n} VM(s): {names}?").format(n=len(ids), names=names))
            box.setInformativeText(self.tr(
                "For each VM:\n1. the guest is shut down (downtime starts);\n2. a final delta sync copies the last "
                "changes;\n3. the VM is created on AHV and powered on;\n4. the source VM stays off and its NICs are "
                "disconnected so it cannot come back with the same IP.\nA failure before the AHV VM boots rolls back "
                "and powers the source on again."))
            ok = box.addButton(self.tr("Cut over"), QMessageBox.ButtonRole.AcceptRole)
        else:
            box.setWindowTitle(self.tr("Cancel migration"))
            box.setText(self.tr("Cancel the migration of {names}?").format(names=names))
            box.setInformativeText(self.tr("Snapshots and partial disks on the target are removed. "
                                           "The source VMs keep running unchanged."))
            box.setCheckBox(QCheckBox(self.tr("Also undo the guest preparation (remove the first-boot task and the "
                                              "saved network settings, restore the SAN policy)"), box))
            ok = box.addButton(self.tr("Cancel migration"), QMessageBox.ButtonRole.DestructiveRole)
        no = box.addButton(self.tr("Keep going") if action == "cancel" else self.tr("Not now"),
                           QMessageBox.ButtonRole.RejectRole)
        self.confirm_buttons = {"ok": ok, "no": no}
        box.setDefaultButton(ok)
        def answered(button: object) -> None:
            if button is ok:
                undo = action == "cancel" and box.checkBox() is not None and box.checkBox().isChecked()
                self.actionRequested.emit("cancel_undo" if undo else action, ids)

        box.buttonClicked.connect(answered)
        self._confirm = box
        box.open()  # never exec(): the qasync loop must keep running

    def confirm_dialog(self) -> QMessageBox | None:
        return self._confirm

    def running_count(self) -> int:
        return sum(1 for r in self.jobs.rows() if r.state.active or r.state is JobState.PENDING)
