"""The main window: wizard and job monitor in one stack, menus, status, and the one place signals are wired."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from .. import __version__, paths
from ..domain.plan import Plan
from ..domain.redact import scrub
from .bridge import EngineBridge, Service
from .controller import Controller
from .monitor.widget import JobMonitor
from .wizard.backend import Backend, SessionSecrets
from .wizard.flow import PageId, WizardFlow
from .wizard.pages_base import PageContext
from .wizard.widget import WizardWidget

log = logging.getLogger(__name__)
DEMO_SYNC_SECONDS = 20.0


class MainWindow(QMainWindow):
    def __init__(self, *, translations: Any = None, demo: bool = False, wiring: Any = None,
                 lab_factory: Any = None, state_dir: Path | None = None,
                 manager_options: dict[str, Any] | None = None, secret_store: Any = None) -> None:
        super().__init__()
        self.translations = translations
        self.demo = demo
        self.lab_factory = lab_factory
        self.lab: Any = None
        self.state_dir = state_dir
        self.secrets = SessionSecrets(secret_store)  # None: the OS keyring, opened in start_up
        self.backend = Backend(self.secrets, state_dir=state_dir, wiring=wiring, manager_options=manager_options)
        self.service = Service(self.backend, self)
        self.bridge = EngineBridge(self)
        self.controller = Controller(self.bridge, self)
        self.flow = WizardFlow()
        self.ctx = PageContext(self.flow, self.service, demo=demo)
        self._close_box: QMessageBox | None = None
        self.close_buttons: dict[str, QPushButton] = {}
        self._quit_ok = False
        self._dialog: QFileDialog | None = None
        self.setWindowTitle("xtract-gui" + (" — demo" if demo else ""))
        self.resize(1280, 800)
        self._build_menus()
        self._build_central()

    # -- building --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        bar.clear()
        file_menu = bar.addMenu(self.tr("&File"))
        self.act_wizard = QAction(self.tr("New migration (wizard)"), self)
        self.act_monitor = QAction(self.tr("Job monitor"), self)
        self.act_quit = QAction(self.tr("Quit"), self)
        file_menu.addAction(self.act_wizard)
        file_menu.addAction(self.act_monitor)
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        lang_menu = bar.addMenu(self.tr("&Language"))
        group = QActionGroup(self)
        self.lang_actions: dict[str, QAction] = {}
        current = getattr(self.translations, "language", "en")
        from .app import LANGUAGES

        for code, name in LANGUAGES.items():
            act = QAction(name, self, checkable=True)
            act.setChecked(code == current)
            group.addAction(act)
            lang_menu.addAction(act)
            self.lang_actions[code] = act
        help_menu = bar.addMenu(self.tr("&Help"))
        self.act_about = QAction(self.tr("About xtract-gui"), self)
        help_menu.addAction(self.act_about)

    def _build_central(self) -> None:
        old = self.centralWidget()
        central = QWidget(self)
        lay = QVBoxLayout(central)
        banner_row = QHBoxLayout()
        self.banner = QLabel(central)
        self.banner.setProperty("role", "banner")
        self.banner.setWordWrap(True)
        self.banner_close = QPushButton(self.tr("Dismiss"), central)
        banner_row.addWidget(self.banner, 1)
        banner_row.addWidget(self.banner_close)
        self.banner_widgets = (self.banner, self.banner_close)
        for w in self.banner_widgets:
            w.setVisible(False)
        lay.addLayout(banner_row)
        self.stack = QStackedWidget(central)
        self.wizard = WizardWidget(self.ctx, self.stack)
        self.monitor = JobMonitor(self.stack)
        self.stack.addWidget(self.wizard)
        self.stack.addWidget(self.monitor)
        lay.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        if old is not None:
            old.deleteLater()
        self.busy = QProgressBar(self)
        self.busy.setMaximum(0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy)
        self._connect_signals()
        if self.controller.manager is not None:
            self.monitor.attach(self.controller.manager)

    def _connect_signals(self) -> None:
        """Every connection between the window's parts, in one place (qutebrowser style)."""
        b, m, c = self.bridge, self.monitor, self.controller
        for signal in (b.jobStateChanged, b.stepChanged, b.progressChanged, b.syncSummary, b.logLine):
            signal.connect(m.on_event)
        c.managerReady.connect(m.attach)
        c.started.connect(self._started)
        c.problem.connect(self.show_problem)
        self.service.busyChanged.connect(self._busy)
        m.actionRequested.connect(self._act)
        m.exportRequested.connect(self._ask_export)
        m.bandwidthChanged.connect(self._bandwidth)
        self.wizard.startRequested.connect(self._start)
        self.banner_close.clicked.connect(lambda: [w.setVisible(False) for w in self.banner_widgets])
        for code, act in self.lang_actions.items():
            act.triggered.connect(lambda _=False, lang=code: self.set_language(lang))
        self.act_wizard.triggered.connect(lambda: self.show_wizard())
        self.act_monitor.triggered.connect(lambda: self.show_monitor())
        self.act_quit.triggered.connect(self.close)
        self.act_about.triggered.connect(self._about)

    # -- life cycle ------------------------------------------------------------------------------
    async def start_up(self) -> None:
        """Start the lab (demo), connect the keyring, build the engine and resume unfinished jobs."""
        try:
            if self.demo:
                await self._start_lab()
            elif self.secrets.keyring is None:
                self.secrets.keyring = await asyncio.to_thread(self.backend.wiring.keyring_secrets)
            manager = await self.service.run("engine", self.backend.build_manager)
        except Exception as exc:  # the window stays usable to show why
            log.exception("start-up failed")
            self.show_problem(self.tr("xtract-gui could not start its engine: {why}").format(
                why=scrub(str(exc), self.secrets.known_secrets())))
            return
        self.controller.attach(manager, self.secrets)
        if await self.controller.resume_all():
            self.show_monitor()

    async def _start_lab(self) -> None:
        self.statusBar().showMessage(self.tr("Starting the demo lab…"))
        factory = self.lab_factory
        if factory is None:
            from ..lab.runner import Lab

            factory = Lab
        self.lab = factory((self.state_dir or paths.data_dir()) / "demo-lab")
        endpoints = await self.service.run("lab", self.lab.start)
        self.secrets.keyring = endpoints.secrets
        # Syncs every few seconds keep the journey short.  (WinRM authentication comes from the lab's plan.)
        if not self.backend.manager_options:
            from ..engine.context import Tuning

            self.backend.manager_options = {"tuning": Tuning(sync_interval_seconds=DEMO_SYNC_SECONDS,
                                                             guest_wait_seconds=60)}
        self.prefill(endpoints.plan)
        self.statusBar().showMessage(self.tr("Demo lab running: the fields are pre-filled; press Connect."), 10000)

    def prefill(self, plan: Plan) -> None:
        self.flow.load_plan(plan)
        s = self.flow.state
        for ep, ref in ((s.source, plan.source.password), (s.target, plan.target.password)):
            ep.password = self.secrets.get(ref.service, ref.username) or ""
        for vm in plan.vms:
            g = s.guest(vm.vm_id)
            if vm.guest.password is not None:
                g.password = self.secrets.get(vm.guest.password.service, vm.guest.password.username) or ""
        self.wizard.show_page(PageId.SOURCE)

    async def shut_down(self) -> None:
        await self.controller.close()
        await asyncio.to_thread(self.backend.close)
        if self.lab is not None:
            lab, self.lab = self.lab, None
            await asyncio.to_thread(lab.stop)

    # -- slots -----------------------------------------------------------------------------------
    @asyncSlot(object)
    async def _start(self, plan: Plan) -> None:
        problems = await self.service.run("keyring", self.backend.persist_guest_passwords, self.flow.state)
        if problems:
            self.show_problem(self.tr("Guest passwords are kept for this session only: {why}").format(
                why=problems[0]))
        await self.controller.start(plan)

    @Slot(str)
    def _started(self, plan_id: str) -> None:
        self.monitor.reload()
        self.show_monitor()
        self.statusBar().showMessage(self.tr("Migration started."), 5000)

    @asyncSlot(str, list)
    async def _act(self, action: str, vm_ids: list[str]) -> None:
        await self.controller.act(action, vm_ids)

    @Slot()
    def _ask_export(self) -> None:
        d = QFileDialog(self, self.tr("Export report"))
        d.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        d.setNameFilter(self.tr("HTML report (*.html)"))
        d.setDefaultSuffix("html")
        d.fileSelected.connect(self._export)
        self._dialog = d
        d.open()

    @asyncSlot(str)
    async def _export(self, path: str) -> None:
        if await self.controller.export_report(Path(path)):
            self.statusBar().showMessage(self.tr("Report saved to {path}.").format(path=path), 8000)

    @Slot(float)
    def _bandwidth(self, mbps: float) -> None:
        if self.controller.manager is not None:
            self.controller.manager.set_bandwidth_limit(mbps)
            self.statusBar().showMessage(self.tr("Bandwidth limit: {v}").format(
                v=f"{mbps:g} Mbit/s" if mbps else self.tr("none")), 5000)

    @Slot(bool, str)
    def _busy(self, busy: bool, label: str) -> None:
        self.busy.setVisible(busy)

    @Slot(str)
    def show_problem(self, text: str) -> None:
        self.banner.setText(text)
        for w in self.banner_widgets:
            w.setVisible(True)

    def show_wizard(self) -> None:
        self.stack.setCurrentWidget(self.wizard)

    def show_monitor(self) -> None:
        self.stack.setCurrentWidget(self.monitor)

    def set_language(self, lang: str) -> None:
        from .app import settings

        settings().setValue("language", lang)
        if self.translations is not None:
            self.translations.install(lang)
        on_monitor = self.stack.currentWidget() is self.monitor
        self._build_menus()
        self._build_central()
        self.wizard.show_page(self.flow.current)
        if on_monitor:
            self.show_monitor()

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("About xtract-gui"), self.tr(
            "xtract-gui {version}\nMigrates running VMware vSphere VMs to Nutanix AHV with minimal downtime.")
            .format(version=__version__), parent=self)
        box.open()

    # -- closing while jobs run ------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.monitor.running_count()
        if self._quit_ok or not running:
            event.accept()
            return
        event.ignore()
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Migrations are running"), self.tr(
            "{n} migration(s) are still running. They cannot continue without this window.").format(n=running),
            parent=self)
        box.setInformativeText(self.tr("Pause them (they continue from where they are when you reopen xtract-gui), "
                                       "cancel them (snapshots and partial disks are cleaned up), or stay."))
        pause = box.addButton(self.tr("Pause all and quit"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(self.tr("Cancel all and quit"), QMessageBox.ButtonRole.DestructiveRole)
        stay = box.addButton(self.tr("Stay"), QMessageBox.ButtonRole.RejectRole)
        self.close_buttons = {"pause": pause, "cancel": cancel, "stay": stay}
        box.setDefaultButton(pause)
        box.buttonClicked.connect(lambda b: self._close_choice("pause" if b is pause else
                                                               "cancel" if b is cancel else "stay"))
        self._close_box = box
        box.open()

    @asyncSlot(str)
    async def _close_choice(self, choice: str) -> None:
        if choice == "stay":
            return
        await (self.controller.pause_all() if choice == "pause" else self.controller.cancel_all())
        self._quit_ok = True
        self.close()

    def close_dialog(self) -> QMessageBox | None:
        return self._close_box

