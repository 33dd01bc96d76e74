"""Composition root: Designer forms, assets, translations, crash handler, language switch, run_gui itself."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale, Qt
from PySide6.QtGui import QFontDatabase, QIcon
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QLabel

from tests.support.wizard_script import wizard_script
from xtract_gui import paths
from xtract_gui.gui import app as gui_app
from xtract_gui.gui import i18n
from xtract_gui.gui.wizard.flow import PageId
from xtract_gui.gui.wizard.pages_base import load_ui

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


@pytest.mark.parametrize("form", sorted(p.stem for p in paths.ui_dir().glob("*.ui")))
def test_every_designer_form_loads(qtbot, form: str) -> None:  # type: ignore[no-untyped-def]
    widget = load_ui(form)
    qtbot.addWidget(widget)
    assert widget.objectName()
    assert widget.findChildren(QLabel)


def test_missing_form_is_a_clear_error(qtbot) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FileNotFoundError, match=r"no_such_form\.ui"):
        load_ui("no_such_form")


def test_icon_and_stylesheet(qtbot) -> None:  # type: ignore[no-untyped-def]
    assert QSvgRenderer(str(paths.assets_dir() / "xtract-gui.svg")).isValid()
    assert not QIcon(str(paths.assets_dir() / "xtract-gui.png")).isNull()
    qss = gui_app.load_stylesheet()
    assert "QLabel[role=\"error\"]" in qss
    label = QLabel("x")
    qtbot.addWidget(label)
    label.setStyleSheet(qss)  # a parse error would be logged as a Qt warning and fail the test
    label.show()


def test_japanese_translation_is_complete_and_compiled(tmp_path: Path) -> None:
    assert i18n.unfinished("ja") == []
    done = {(c, s): t for c, s, _, t in i18n.translations("ja")}
    assert done[("WizardWidget", "&Next")] == "次へ(&N)"
    for (_, source), text in done.items():  # placeholders survive translation
        assert sorted(_fields(source)) == sorted(_fields(text)), source
    fresh = tmp_path / "ja.qm"
    subprocess.run([i18n._tool("pyside6-lrelease"), str(i18n.ts_path("ja")), "-qm", str(fresh)], check=True,
                   capture_output=True)
    assert fresh.read_bytes() == i18n.ts_path("ja").with_suffix(".qm").read_bytes(), "run: python -m " \
        "xtract_gui.gui.i18n compile"


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


def test_installing_japanese_translates_and_picks_a_cjk_font(qapp) -> None:  # type: ignore[no-untyped-def]
    t = gui_app.Translations(qapp)
    try:
        assert t.install("ja")
        assert QCoreApplication.translate("WizardWidget", "&Next") == "次へ(&N)"
        assert QCoreApplication.translate("messages", "Enter the password.", "wizard.password") == \
            "パスワードを入力してください。"
        cjk = [f for f in gui_app.CJK_FAMILIES if f in QFontDatabase.families()]
        if not cjk:
            pytest.skip("no CJK font installed (tests/run.sh installs fonts-noto-cjk)")
        assert cjk[0] in QApplication.font().families()
    finally:
        t.install("en")
    assert QCoreApplication.translate("WizardWidget", "&Next") == "&Next"


def test_language_choice_menu_over_system(xtract_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(QLocale, "system", staticmethod(lambda: QLocale("ja_JP")))
    assert gui_app.chosen_language() == "ja"
    gui_app.settings().setValue("language", "en")
    assert gui_app.chosen_language() == "en"
    assert gui_app.chosen_language("fr") == "en"


def test_crash_handler_scrubs_secrets_logs_and_opens_a_dialog(qtbot, xtract_home: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.domain.plan import SecretRef
    from xtract_gui.gui.wizard.backend import SessionSecrets

    secrets = SessionSecrets(None)
    secrets.remember(SecretRef("xtract-gui", "u@h"), "S3cret-Value", persist=False)
    handler = gui_app.CrashHandler(secrets)
    handler.install()
    try:
        assert sys.excepthook == handler.handle
        try:
            raise RuntimeError("login failed for u with S3cret-Value (password=hunter22)")
        except RuntimeError as exc:
            with caplog.at_level(logging.ERROR, logger="xtract_gui.gui"):
                sys.excepthook(type(exc), exc, exc.__traceback__)
    finally:
        handler.uninstall()
    assert "S3cret-Value" not in handler.last_text and "hunter22" not in handler.last_text
    assert "RuntimeError" in handler.last_text
    assert "S3cret-Value" not in caplog.text and "RuntimeError" in caplog.text
    (box,) = handler.dialogs
    qtbot.addWidget(box)
    assert box.isVisible()  # shown with open(), so the event loop keeps running
    assert "S3cret-Value" not in box.detailedText()


def test_switching_language_keeps_every_state(preview_window, aloop, qapp) -> None:  # type: ignore[no-untyped-def]
    """Issue 15.7/15.8: a language switch re-labels in place: answers, connection, the wizard page, the monitor's
    rows and selection, its graph and the bandwidth limit stay; going back to English drops the CJK font."""
    from xtract_gui.gui.screenshots import drive

    w = preview_window
    w.translations = gui_app.Translations(qapp)
    english_font = QApplication.font().families()
    run(aloop, drive(w, None, guest_password=w.test_password, cut_over=False, timeout=60))
    mon = w.monitor
    mon.table.selectRow(1)
    mon.bandwidth.setValue(50)
    points = mon.plot.points()
    rows, selected = len(mon.jobs.rows()), mon.selected_ids()
    window_ids = {id(w.wizard), id(mon), id(w.wizard.page(PageId.SOURCE))}
    try:
        w.set_language("ja")
        assert w.wizard.next_button.text() == "次へ(&N)" and mon.buttons["pause"].text() == "一時停止"
        assert {id(w.wizard), id(mon), id(w.wizard.page(PageId.SOURCE))} == window_ids  # nothing rebuilt
        assert mon.jobs.headerData(0, Qt.Orientation.Horizontal) == "VM"
        assert len(mon.jobs.rows()) == rows and mon.selected_ids() == selected
        assert mon.bandwidth.value() == 50 and w.controller.manager.bandwidth == 50.0
        assert mon.plot.points() == points and mon.plot.limit_bytes_per_s == 50 * 125_000
        assert w.flow.state.source.connected and w.flow.state.target.connected
        assert w.stack.currentWidget() is mon
        w.show_wizard()
        assert w.wizard.title.text() == "概要"  # still the page it was on (Summary), in Japanese
    finally:
        w.set_language("en")
    assert w.wizard.next_button.text() == "&Next"
    assert QApplication.font().families() == english_font  # the CJK font goes with Japanese


def test_run_gui_demo_starts_the_lab_and_quits_cleanly(tmp_path: Path) -> None:
    script = wizard_script('print("ready", window.windowTitle(), flush=True)',
                           when="window.flow.state.source.password and window.controller.manager")
    env = {**os.environ, "XTRACT_GUI_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ready xtract-gui — demo" in done.stdout
    assert (tmp_path / "logs" / "xtract-gui.log").exists()
