"""The job monitor: every job of every plan with progress, actions, and a detail pane (tasks, log, throughput)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QItemSelection, QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
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
from .confirm import cancel_box, cutover_box
from .feed import DetailFeed, JobsFeed
from .jobs_model import JobsModel
from .plot import ProgressDelegate, ThroughputPlot
from .steps_model import StepsModel

ACTIONS = ("test", "test_undo", "cutover", "pause", "resume", "cancel", "retry")
_TEST_STEPS = ("test.create", "test.undo", "cutover.remove_test")


def allowed(action: str, state: JobState, ready: bool, test_vm: bool = False) -> bool:
    """Which action makes sense for a job in ``state`` (the engine still decides; this only greys buttons)."""
    if action == "cutover":
        return ready and state is JobState.SYNCING
    if action == "test":
        return ready and state is JobState.SYNCING and not test_vm
    if action == "test_undo":
        return test_vm and state is not JobState.CUTTING_OVER
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
        bar = QHBoxLayout()
        for action in ACTIONS:
            b = QPushButton(self)
            b.setEnabled(False)
            b.clicked.connect(lambda _=False, a=action: self.request(a))
            self.buttons[action] = b
            bar.addWidget(b)
        self.buttons["cutover"].setProperty("role", "primary")
        bar.addStretch(1)
        self.plan_label = QLabel(self)
        self.plan_filter = QComboBox(self)
        self.plan_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.plan_filter.currentIndexChanged.connect(self._apply_filter)
        bar.addWidget(self.plan_label)
        bar.addWidget(self.plan_filter)
        self.bandwidth = QSpinBox(self)
        self.bandwidth.setRange(0, 100_000)
        self.bandwidth.setSingleStep(10)
        self.bandwidth.setKeyboardTracking(False)  # apply on Enter or arrows, not on every digit
        self.bandwidth.valueChanged.connect(self._bandwidth_set)
        self.bandwidth_label = QLabel(self)
        bar.addWidget(self.bandwidth_label)
        bar.addWidget(self.bandwidth)
        self.export_button = QPushButton(self)
        self.export_button.clicked.connect(self.exportRequested)
        bar.addWidget(self.export_button)
        self.table = QTableView(self)
        self.table.setModel(self.jobs)
        self.table.setItemDelegateForColumn(JobsModel.PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in ((0, 130), (JobsModel.PLAN_COLUMN, 110), (JobsModel.PHASE_COLUMN, 250),
                              (JobsModel.PROGRESS_COLUMN, 130), (4, 95), (5, 75), (6, 75), (7, 80), (8, 165)):
            header.resizeSection(column, width)
        self.detail_title = QLabel(self)
        self.detail_title.setObjectName("detailTitle")
        self.detail_title.setWordWrap(True)
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
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.step_view, "")
        self.tabs.addTab(self.log, "")
        detail = QWidget(self)
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.addWidget(self.detail_title)
        dl.addWidget(self.tabs, 1)
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
        self.jobs.modelReset.connect(self._rows_reset)
        self.jobs.rowsInserted.connect(self._rows_reset)
        self._confirm: QMessageBox | None = None
        self._stale: set[str] = set()
        self._menu: QMenu | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(300)
        self._refresh.timeout.connect(self._refresh_stale)
        # A burst of row changes (every row's progress at each flush, sixteen state changes at a cutover) settles
        # the buttons and the detail title once, when the burst has been handled, not once per row.
        self._rows_dirty = QTimer(self)
        self._rows_dirty.setSingleShot(True)
        self._rows_dirty.setInterval(0)
        self._rows_dirty.timeout.connect(self._rows_settled)
        self.confirm_buttons: dict[str, QPushButton] = {}
        # Nothing the engine stores is read on this (the GUI) thread: snapshots come from the executor.
        self.feed = JobsFeed(self.jobs, self._jobs_loaded)
        self.detail = DetailFeed(self.steps, self._append_lines, self.log.clear)
        self.retranslate()

    def retranslate(self) -> None:
        """Every text in the language just installed; rows, selection, graph and the limit stay as they are."""
        labels = {"test": self.tr("Test"), "test_undo": self.tr("Remove test VM"), "cutover": self.tr("C&ut over…"),
                  "pause": self.tr("Pause"), "resume": self.tr("Resume"), "cancel": self.tr("Cancel…"),
                  "retry": self.tr("Retry")}
        for action, button in self.buttons.items():
            button.setText(labels[action])
        self.buttons["test"].setToolTip(self.tr("Create a throw-away copy of the VM on the isolated test subnet; "
                                                "the source keeps running"))
        self.plan_label.setText(self.tr("Plan"))
        self.bandwidth.setSuffix(self.tr(" Mbit/s"))
        self.bandwidth.setSpecialValueText(self.tr("No limit"))
        self.bandwidth.setToolTip(self.tr("Bandwidth limit for all copies, applied at once"))
        self.bandwidth_label.setText(self.tr("Bandwidth"))
        self.export_button.setText(self.tr("Export report…"))
        self.tabs.setTabText(0, self.tr("Tasks"))
        self.tabs.setTabText(1, self.tr("Log"))
        self._fill_plans()
        self._show_detail_title()
        self.jobs.retranslate()
        self.steps.retranslate()
        self.plot.update()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # -- feeding (connected by window._connect_signals) ----------------------------------------------
    def attach(self, manager: Any) -> None:
        self.manager = manager
        self.detail.manager = manager
        self.feed.attach(manager)
        self.detail.reload()

    def reload(self) -> None:
        """Rebuild the table from the engine's rows (read off the GUI thread; applied when they arrive)."""
        self.feed.manager = self.manager
        self.feed.request(full=True)

    def show_limit(self, mbps: float) -> None:
        """The limit in force (the plan's, or the one set here), shown without applying it again."""
        self.bandwidth.blockSignals(True)
        self.bandwidth.setValue(round(mbps))
        self.bandwidth.blockSignals(False)
        self.plot.set_limit(mbps)

    @Slot(int)
    def _bandwidth_set(self, value: int) -> None:
        self.plot.set_limit(value)
        self.bandwidthChanged.emit(float(value))

    def _jobs_loaded(self) -> None:
        if self.jobs.rowCount() and not self.selected_ids():
            # A rebuilt table lost its selection: keep the VM the detail pane shows, else the first one shown.
            row = self.jobs.position(self.detail.vm_id)
            shown = [r for r in range(self.jobs.rowCount()) if not self.table.isRowHidden(r)]
            if row is None or self.table.isRowHidden(row):
                row = shown[0] if shown else None
            if row is not None:
                self.table.selectRow(row)
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
        test_step = isinstance(event, StepChanged) and event.step_id in _TEST_STEPS
        if (isinstance(event, JobStateChanged | SyncSummary) or test_step) and self.manager is not None:
            # The engine's own view of the row (ready_for_cutover, errors, the test VM) is authoritative, but
            # reading it costs a database query: do it once for a burst of changes.
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

    # -- plans --------------------------------------------------------------------------------------
    def _fill_plans(self) -> None:
        current = self.plan_filter.currentData() or ""
        self.plan_filter.blockSignals(True)
        self.plan_filter.clear()
        self.plan_filter.addItem(self.tr("All plans"), "")
        for plan_id, name in self.jobs.plans().items():
            self.plan_filter.addItem(name, plan_id)
        self.plan_filter.setCurrentIndex(max(0, self.plan_filter.findData(current)))
        self.plan_filter.blockSignals(False)
        several = len(self.jobs.plans()) > 1
        for w in (self.plan_label, self.plan_filter):
            w.setVisible(several)
        self.table.setColumnHidden(JobsModel.PLAN_COLUMN, not several)

    @Slot()
    def _apply_filter(self) -> None:
        plan = self.plan_filter.currentData() or ""
        for r in range(self.jobs.rowCount()):
            self.table.setRowHidden(r, bool(plan) and self.jobs.row_at(r).plan_id != plan)
        hidden = [v for v in self.selected_ids() if self.table.isRowHidden(self.jobs.position(v) or 0)]
        if hidden:
            self.table.clearSelection()

    @Slot()
    def _rows_reset(self, *_: Any) -> None:
        self._fill_plans()
        self._apply_filter()
        self._update_buttons()

    # -- selection and actions ---------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        # From the selection's ranges (whole rows: SelectRows): selectedRows() asks the model's flags() for
        # every cell of every selected row, which is Python per cell and showed up in the GUI stall traces.
        ranges = self.table.selectionModel().selection()
        rows = sorted({r for rng in ranges for r in range(rng.top(), rng.bottom() + 1)})
        return [self.jobs.row_at(r).vm_id for r in rows if r < self.jobs.rowCount() and not self.table.isRowHidden(r)]

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, *_: Any) -> None:
        ids = self.selected_ids()
        self._update_buttons()
        vm_id = ids[0] if ids else ""
        if vm_id == self.detail.vm_id:
            return
        row = self.jobs.row(vm_id) if vm_id else None
        self.detail.show(vm_id)
        self._show_detail_title()
        self.plot.set_points(list(row.history) if row else [])

    def _show_detail_title(self) -> None:
        row = self.jobs.row(self.detail.vm_id) if self.detail.vm_id else None
        if row is None:
            self.detail_title.setText(self.tr("Select a VM to see its tasks and log."))
        else:
            self.detail_title.setText(f"{row.name} — {self.jobs.phase(row)}")

    @Slot()
    def _rows_changed(self, *_: Any) -> None:
        if not self._rows_dirty.isActive():
            self._rows_dirty.start()

    @Slot()
    def _rows_settled(self) -> None:
        self._update_buttons()
        self._show_detail_title()
        if len(self.jobs.plans()) != self.plan_filter.count() - 1:
            self._fill_plans()

    def _update_buttons(self) -> None:
        rows = [r for v in self.selected_ids() if (r := self.jobs.row(v)) is not None]
        for action, button in self.buttons.items():
            button.setEnabled(bool(rows) and all(allowed(action, r.state, r.ready_for_cutover, bool(r.test_vm_uuid))
                                                 for r in rows))

    @Slot(QPoint)
    def _row_menu(self, pos: QPoint) -> None:
        """The same actions per row, on right click."""
        menu = QMenu(self)
        for action, button in self.buttons.items():
            act = menu.addAction(button.text())
            act.setEnabled(button.isEnabled())
            act.triggered.connect(lambda _=False, a=action: self.request(a))
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
        rows = [r for v in ids if (r := self.jobs.row(v)) is not None]
        box, ok, no = cutover_box(self, rows) if action == "cutover" else cancel_box(self, rows)
        self.confirm_buttons = {"ok": ok, "no": no}

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
