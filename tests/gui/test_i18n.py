"""Issue 15.8: every user-facing string, the engine's and the domain's too, has Japanese.

Two proofs.  Statically: every message the code makes (``msg``/``plural`` anywhere in the package, step titles,
the models' words) has a finished Japanese translation in the shipped catalog.  At run time: the whole journey
on the preview engine, in Japanese, page by page and in the monitor, dialogs included — no visible text is an
English sentence (a text without a single Japanese character that uses English words).  Data are not
sentences: VM and host names, OS names, a guest's own words after a translated verdict.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QTabWidget,
    QTextBrowser,
    QWidget,
)

from xtract_gui.gui import app as gui_app
from xtract_gui.gui import i18n
from xtract_gui.gui.screenshots import drive, wait_until
from xtract_gui.gui.wizard.flow import PAGES

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]

CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")
# Words an English sentence cannot do without; none of them is a name a VM, host or OS carries.
ENGLISH = frozenset({
    "the", "a", "an", "is", "are", "was", "were", "be", "to", "of", "and", "or", "in", "on", "for", "with",
    "from", "by", "at", "as", "not", "no", "this", "that", "it", "its", "your", "you", "will", "can", "has",
    "have", "enter", "choose", "select", "press", "check", "connect", "cancel", "apply", "back", "next", "none",
    "all", "any", "shown", "clear", "trust", "default", "reports", "tick", "search", "start", "save", "load",
    "pause", "resume", "retry", "cut", "over", "log", "tasks", "plan", "keep", "remove", "done", "failed",
    "ready", "waiting", "pending", "seeding", "syncing", "copying", "checking", "blocked", "warnings", "only",
    "never", "guest", "password", "account", "channel", "certificate", "address", "user", "port", "limit",
    "bandwidth", "export", "report", "test", "key", "file",
})


def english_sentence(text: str) -> bool:
    """A text nobody translated: no Japanese character, and English words in it."""
    text = text.strip()
    if not text or CJK.search(text):
        return False
    words = re.findall(r"[A-Za-z]+", text)
    return any(w.lower() in ENGLISH for w in words)


def _model_texts(model: QAbstractItemModel) -> Iterator[str]:
    from PySide6.QtCore import QAbstractListModel, QModelIndex

    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(QModelIndex())
    for c in range(columns):
        yield str(model.headerData(c, Qt.Orientation.Horizontal) or "")
    for r in range(model.rowCount(QModelIndex())):
        for c in range(columns):
            value = model.index(r, c).data()
            if isinstance(value, str):
                yield value


def visible_texts(root: QWidget) -> Iterator[tuple[str, str]]:
    """(widget class, text) of everything a person sees in ``root``."""
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisible():
            continue
        kind = type(w).__name__
        if isinstance(w, QLabel):
            yield kind, re.sub(r"<[^>]+>", " ", w.text())
        elif isinstance(w, QAbstractButton):
            yield kind, w.text().replace("&", "")
        elif isinstance(w, QGroupBox):
            yield kind, w.title()
        elif isinstance(w, QLineEdit):
            yield kind, w.placeholderText() if not w.text() else ""
        elif isinstance(w, QComboBox):
            yield kind, w.currentText()
        elif isinstance(w, QTabWidget):
            yield from ((kind, w.tabText(i)) for i in range(w.count()))
        elif isinstance(w, QTextBrowser):
            yield from ((kind, line) for line in w.toPlainText().splitlines())
        elif isinstance(w, QAbstractItemView) and w.model() is not None:
            yield from ((kind, t) for t in _model_texts(w.model()))


# What stays English in Japanese by nature: the names of VMs/hosts/OSes and the guest's own words.
DATA = re.compile(r"^(Microsoft Windows|Red Hat|CentOS|Ubuntu|ssh-ed25519 |[\w.-]+-\d+\b|App-VLAN|DB-VLAN|"
                  r"VM Network|isolated-test|default-container|migration|xtract-gui|.*Administrators \(S-1-5-32-544\))")


def english_in(root: QWidget, where: str) -> list[str]:
    return [f"{where}: {kind}: {text!r}" for kind, text in visible_texts(root)
            if english_sentence(text) and not DATA.match(text.strip())]


def test_every_message_the_code_makes_has_japanese() -> None:
    """A new ``msg(...)`` without a Japanese translation fails here (run ``python -m xtract_gui.gui.i18n update``
    and translate what it lists)."""
    root = ET.parse(i18n.ts_path("ja")).getroot()
    done = {(m.findtext("source"), m.findtext("comment") or "") for c in root.findall("context")
            if c.findtext("name") == "messages" for m in c.findall("message")
            if (m.find("translation") is not None and m.find("translation").get("type") != "unfinished"
                and (m.find("translation").text or "").strip())}
    missing = [(mid, template) for template, mid in i18n.messages()
               if (template, mid) not in done and re.search(r"[A-Za-z]", re.sub(r"\{[^}]*\}", "", template))]
    assert missing == [], f"{len(missing)} messages without Japanese, e.g. {missing[:5]}"
    assert i18n.unfinished("ja") == []


def test_the_japanese_journey_shows_no_english(preview_window, aloop, qapp) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    translations = gui_app.Translations(qapp)
    w.translations = translations
    w.set_language("ja")
    try:
        run(aloop, drive(w, None, guest_password=w.test_password, cut_over=False, timeout=60), timeout=120)
        found: list[str] = []
        w.show_wizard()
        for page in PAGES:
            w.wizard.show_page(page)
            found += english_in(w, page.value)
        w.show_monitor()
        mon = w.monitor
        mon.table.selectRow(0)
        run(aloop, wait_until(lambda: mon.steps.rowCount() > 0, 10, "tasks"))
        found += english_in(w, "monitor")
        mon.table.selectAll()
        mon.buttons["cutover"].click()
        found += english_in(mon.confirm_dialog(), "cutover dialog")
        mon.confirm_buttons["ok"].click()
        run(aloop, wait_until(lambda: all(r.state.is_done for r in mon.jobs.rows()), 60, "cutover"))
        mon.table.selectRow(3)
        run(aloop, wait_until(lambda: mon.steps.rowCount() > 0, 10, "tasks"))
        found += english_in(w, "monitor after cutover")
        assert found == [], "\n".join(found)
    finally:
        w.set_language("en")
