"""Composition root of the desktop app: QApplication + qasync loop, translator, style, crash handler, wiring.

``run_gui(demo=False)`` is what ``xtract-gui`` and ``xtract-gui --demo`` call.
All signal connections between the window's parts are made in
``MainWindow._connect_signals`` and nowhere else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import traceback
from types import TracebackType
from typing import Any

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

from .. import __version__, paths
from ..domain.redact import scrub
from ..logfile import setup_logging
from .gc_guard import GuiThreadCollector
from .qpa_check import platform_problem

log = logging.getLogger("xtract_gui.gui")
LANGUAGES = {"en": "English", "ja": "日本語"}
GUI_SWITCH_INTERVAL = 0.001
CJK_FAMILIES = ("Noto Sans CJK JP", "Noto Sans JP", "Hiragino Sans", "Yu Gothic UI", "Meiryo", "MS Gothic")


def settings() -> QSettings:
    return QSettings(str(paths.data_dir() / "gui.ini"), QSettings.Format.IniFormat)


def chosen_language(override: str | None = None) -> str:
    """The menu choice if any, else the system locale; English when neither is a shipped language."""
    lang = override or str(settings().value("language", "") or "") or QLocale.system().name().split("_")[0]
    return lang if lang in LANGUAGES else "en"


class Translations:
    """Installs our .qm and Qt's own strings for a language; swapping languages removes the old ones."""

    def __init__(self, app: QCoreApplication) -> None:
        self.app = app
        self.installed: list[QTranslator] = []
        self.language = "en"

    def install(self, lang: str) -> bool:
        for t in self.installed:
            self.app.removeTranslator(t)
        self.installed = []
        self.language = lang
        set_font_for(lang)  # English too: it takes the CJK font Japanese added away again
        if lang == "en":
            return True
        ours = QTranslator(self.app)
        ok = ours.load(str(paths.assets_dir() / "i18n" / f"xtract_{lang}.qm"))
        if ok:
            self.app.installTranslator(ours)
            self.installed.append(ours)
        else:
            log.warning("no translation file for %s; showing English", lang)
        qt = QTranslator(self.app)
        if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            self.app.installTranslator(qt)
            self.installed.append(qt)
        return ok


def set_font_for(lang: str) -> None:
    """Japanese needs a CJK font: pick the first installed one so no glyph renders as a box."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    font = QFont(app.font())
    families = [f for f in font.families() if f not in CJK_FAMILIES]
    if lang == "ja":
        installed = set(QFontDatabase.families())
        family = next((f for f in CJK_FAMILIES if f in installed), "")
        if family:
            families = [family, *families]
    font.setFamilies(families)
    app.setFont(font)


def load_stylesheet() -> str:
    path = paths.assets_dir() / "style.qss"
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        log.warning("stylesheet %s missing; using the platform style", path)
        return ""


class CrashHandler:
    """Unexpected exceptions (including those raised in asyncSlots) → log + a dialog, secrets scrubbed."""

    def __init__(self, secrets: Any = None) -> None:
        self.secrets = secrets
        self._previous = sys.excepthook
        self.dialogs: list[QMessageBox] = []
        self.last_text = ""

    def install(self) -> None:
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        sys.excepthook = self._previous

    def scrubbed(self, text: str) -> str:
        known = self.secrets.known_secrets() if hasattr(self.secrets, "known_secrets") else []
        return scrub(text, known)

    def handle(self, etype: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(etype, KeyboardInterrupt):
            self._previous(etype, value, tb)
            return
        text = self.scrubbed("".join(traceback.format_exception(etype, value, tb)))
        self.last_text = text
        log.error("unexpected error:\n%s", text)
        if QApplication.instance() is None:
            return
        box = QMessageBox(QMessageBox.Icon.Critical, QCoreApplication.translate("CrashHandler", "Unexpected error"),
                          QCoreApplication.translate(
                              "CrashHandler",
                              "Something went wrong inside xtract-gui. Running migrations are not affected. "
                              "The details are in the log ({path}); please send them with your report.").format(
                              path=paths.log_dir() / "xtract-gui.log"))
        box.setDetailedText(text)
        box.finished.connect(lambda _=0, b=box: self.dialogs.remove(b) if b in self.dialogs else None)
        self.dialogs.append(box)
        box.open()  # never exec(): a nested loop inside qasync re-enters coroutines


def create_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setApplicationName("xtract-gui")
    app.setApplicationDisplayName("xtract-gui")
    app.setApplicationVersion(__version__)
    app.setOrganizationName("xtract-gui")
    from .shared.icons import app_icon

    app.setWindowIcon(app_icon())
    app.setStyleSheet(load_stylesheet())
    # Copy threads run Python too; a shorter GIL switch interval (default 5 ms) lets the GUI thread get the
    # interpreter back sooner, which is what keeps the window responsive while VMs copy.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL)
    return app


def run_gui(demo: bool = False, argv: list[str] | None = None, sync_seconds: float | None = None) -> int:
    """Start the desktop app; returns the process exit code.  ``sync_seconds``: the demo's sync interval (the
    Xvfb journey script keeps it short)."""
    import qasync

    from .window import MainWindow

    paths.keep_files_private()
    if QApplication.instance() is None and (problem := platform_problem()) is not None:
        # Qt would abort (SIGABRT, no library named) in QApplication(): name what is missing instead.
        print(f"xtract-gui: {problem.message()}", file=sys.stderr)
        return 1
    setup_logging()
    app = create_application(argv)
    translations = Translations(app)
    translations.install(chosen_language())
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    collector = GuiThreadCollector(app)  # Qt objects in garbage are freed on this thread, never a copy thread's
    closed = asyncio.Event()
    # The engine runs in a process of its own (enginehost); XTRACT_ENGINE_IN_PROCESS=1 keeps it in this one,
    # for a debugger that should see both.
    options: dict[str, Any] = {"engine_process": not os.environ.get("XTRACT_ENGINE_IN_PROCESS")}
    if sync_seconds:
        from ..engine.context import Tuning

        options["tuning"] = Tuning(sync_interval_seconds=sync_seconds, guest_wait_seconds=60)
    window = MainWindow(translations=translations, demo=demo, manager_options=options)
    crash = CrashHandler(window.secrets)
    crash.install()
    app.aboutToQuit.connect(closed.set)
    window.show()
    loop.create_task(window.start_up())
    try:
        with loop:
            loop.run_until_complete(closed.wait())
            loop.run_until_complete(window.shut_down())
    finally:
        crash.uninstall()
        collector.stop()
    return 0


__all__ = ["LANGUAGES", "CrashHandler", "Translations", "chosen_language", "create_application", "run_gui"]
