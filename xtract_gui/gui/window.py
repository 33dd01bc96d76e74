"""The main window: wizard and job monitor in one stack, menus, status, and the one place signals are wired.

It opens to fit the screen it is on (remembering its size and place for next time), and a language switch
re-labels everything in place: answers, connections, selections, the monitor's rows, graph and limit stay.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
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
from ..domain.errors import described
from ..domain.plan import Plan
from ..domain.redact import scrub
from .bridge import EngineBridge, Service, read_view
from .controller import Controller
from .monitor.widget import JobMonitor
from .placement import place, remember
from .shared.tr import shown
from .wizard.backend import Backend, SessionSecrets
from .wizard.flow import PageId, WizardFlow, WizardState
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
        self._problem: Any = ""  # the banner's text (a Message is shown again in a new language)
        self._build_menus()
        self._build_central()
        self.retranslate()
        place(self)

    # -- building --------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.act_wizard = QAction(self)
        self.act_monitor = QAction(self)
        self.act_quit = QAction(self)
        self.act_quit.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        self.file_menu.addAction(self.act_wizard)
        self.file_menu.addAction(self.act_monitor)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.act_quit)
        self.lang_menu = bar.addMenu("")
        group = QActionGroup(self)
        self.lang_actions: dict[str, QAction] = {}
        current = getattr(self.translations, "language", "en")
        from .app import LANGUAGES

        for code, name in LANGUAGES.items():
            act = QAction(name, self, checkable=True)
            act.setChecked(code == current)
            group.addAction(act)
            self.lang_menu.addAction(act)
            self.lang_actions[code] = act
        self.help_menu = bar.addMenu("")
        self.act_about = QAction(self)
        self.help_menu.addAction(self.act_about)

    def _build_central(self) -> None:
        central = QWidget(self)
        lay = QVBoxLayout(central)
        banner_row = QHBoxLayout()
        self.banner = QLabel(central)
        self.banner.setProperty("role", "banner")
        self.banner.setWordWrap(True)
        self.banner_close = QPushButton(central)
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
        self.busy = QProgressBar(self)
        self.busy.setMaximum(0)
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.statusBar().addPermanentWidget(self.busy)
        self._connect_signals()
        if self.controller.manager is not None:
            self.monitor.attach(self.controller.manager)

    def retranslate(self) -> None:
        self.setWindowTitle("xtract-gui" + (" — " + self.tr("demo") if self.demo else ""))
        self.file_menu.setTitle(self.tr("&File"))
        self.act_wizard.setText(self.tr("New migration (wizard)"))
        self.act_monitor.setText(self.tr("Job monitor"))
        self.act_quit.setText(self.tr("Quit"))
        self.lang_menu.setTitle(self.tr("&Language"))
        self.help_menu.setTitle(self.tr("&Help"))
        self.act_about.setText(self.tr("About xtract-gui"))
        self.banner_close.setText(self.tr("Dismiss"))
        if self._problem:
            self.banner.setText(shown(self._problem))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def _connect_signals(self) -> None:
        """Every connection between the window's parts, in one place (qutebrowser style)."""
        b, m, c = self.bridge, self.monitor, self.controller
        for signal in (b.jobStateChanged, b.stepChanged, b.progressChanged, b.syncSummary, b.logLine):
            signal.connect(m.on_event)
        c.managerReady.connect(m.attach)
        c.started.connect(self._started)
        c.problem.connect(self.show_problem)
        b.engineLost.connect(self.show_problem)
        self.service.busyChanged.connect(self._busy)
        m.actionRequested.connect(self._act)
        m.exportRequested.connect(self._ask_export)
        m.bandwidthChanged.connect(self._bandwidth)
        self.wizard.startRequested.connect(self._start)
        self.banner_close.clicked.connect(self._dismiss)
        for code, act in self.lang_actions.items():
            act.triggered.connect(lambda _=False, lang=code: self.set_language(lang))
        self.act_wizard.triggered.connect(self.new_migration)
        self.act_monitor.triggered.connect(lambda: self.show_monitor())
        self.act_quit.triggered.connect(self.close)
        self.act_about.triggered.connect(self._about)

    def save_place(self) -> None:
        remember(self)

    # -- life cycle ------------------------------------------------------------------------------
    async def start_up(self) -> None:
        """Start the lab (demo), connect the keyring, build the engine and resume unfinished jobs."""
        try:
            if self.demo:
                await self._start_lab()
            elif self.secrets.keyring is None:
                self.secrets.keyring = await asyncio.to_thread(self.backend.wiring.keyring_secrets)
            manager = await self.service.run("engine", self.backend.build_manager)
            if self.lab is not None:  # plans this lab made follow it wherever it runs now
                await self.service.run("lab", self.backend.follow_lab, manager, self.lab)
        except Exception as exc:  # the window stays usable to show why
            log.exception("start-up failed")
            why = scrub(str(exc), self.secrets.known_secrets())
            self.show_problem(self.tr("xtract-gui could not start its engine: {why}").format(why=why))
            return
        self.controller.attach(manager, self.secrets)
        await self._show_limit()
        if await self.controller.resume_all():
            self.show_monitor()

    async def _show_limit(self) -> None:
        manager = self.controller.manager
        if manager is None or not hasattr(manager, "bandwidth_limit"):
            return
        try:
            self.monitor.show_limit(float(await read_view(manager, "bandwidth_limit")))
        except Exception:  # only what the box shows; the engine keeps its limit
            log.warning("the bandwidth limit could not be read", exc_info=True)

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
        self.save_place()
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
                why=shown(problems[0])))
        await self.controller.start(plan)

    @asyncSlot(str)
    async def _started(self, plan_id: str) -> None:
        self.monitor.reload()
        self.show_monitor()
        self.statusBar().showMessage(self.tr("Migration started."), 5000)
        await self._show_limit()

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
        self._problem = text
        self.banner.setText(shown(text))
        for w in self.banner_widgets:
            w.setVisible(True)

    @Slot()
    def _dismiss(self) -> None:
        self._problem = ""
        for w in self.banner_widgets:
            w.setVisible(False)

    def show_wizard(self) -> None:
        self.stack.setCurrentWidget(self.wizard)

    def show_monitor(self) -> None:
        self.stack.setCurrentWidget(self.monitor)

    @asyncSlot()
    async def new_migration(self) -> None:
        """A fresh plan on the same connections, with both inventories read again: a VM migrated since is off
        on vSphere and on AHV by name, and must not look "on and ready"."""
        old = self.flow.state
        self.flow.state = WizardState(source=old.source, target=old.target, inventory=old.inventory)
        self.ctx.flow = self.flow
        self.show_wizard()
        if not (old.source.connected and old.target.connected):
            self.wizard.show_page(PageId.SOURCE)
            return
        try:
            inventory = await self.service.run("inventory", self.backend.refresh_inventory)
        except Exception as exc:  # the pages show the old connection as broken
            self.show_problem(described(exc))
            self.flow.source_changed()
            self.wizard.show_page(PageId.SOURCE)
            return
        if inventory is not None:
            self.flow.state.inventory = inventory
        self.wizard.show_page(PageId.VMS)

    def set_language(self, lang: str) -> None:
        """Install the language; Qt's LanguageChange re-labels every widget in place (nothing is rebuilt)."""
        from .app import settings

        settings().setValue("language", lang)
        if self.translations is not None:
            self.translations.install(lang)
            # Qt posts the LanguageChange it sends top-level widgets on (un)installing translators: deliver it now, so
            # the window reads the new language when this returns.
            QCoreApplication.sendPostedEvents(None, QEvent.Type.LanguageChange)
        for code, act in self.lang_actions.items():
            act.setChecked(code == lang)

    def _about(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, self.tr("About xtract-gui"), self.tr(
            "xtract-gui {version}\nMigrates running VMware vSphere VMs to Nutanix AHV with minimal downtime.")
            .format(version=__version__), parent=self)
        box.open()

    # -- closing while jobs run ------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        running = self.monitor.running_count()
        if self._quit_ok or not running:
            self.save_place()
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
        box.setDefaultButton(stay)  # Enter keeps everything running
        box.setEscapeButton(stay)
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
