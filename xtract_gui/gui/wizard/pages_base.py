"""What every wizard page shares: access to the flow and the service, field errors, busy state, and texts set
again in place when the language changes (nothing is rebuilt, so no answer, selection or connection is lost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QFile, QIODevice, Signal
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from ... import paths
from ..bridge import Service
from ..shared.tr import shown
from .flow import Msg, PageId, WizardFlow

MAX_FORM_WIDTH = 900  # forms stay readable on a 1920-pixel screen instead of stretching across it


def tr_flow(m: Msg) -> str:
    return shown(m)


def load_ui(name: str, parent: QWidget | None = None) -> QWidget:
    """Load ``ui/<name>.ui`` at run time with QUiLoader (strings go through the installed translators)."""
    path = paths.ui_dir() / f"{name}.ui"
    f = QFile(str(path))
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"Qt Designer form {path} is missing")
    try:
        loader = QUiLoader()
        loader.setLanguageChangeEnabled(True)  # the form's own texts follow a language switch
        widget = loader.load(f, parent)
    finally:
        f.close()
    if widget is None:
        raise RuntimeError(f"Qt Designer form {path} cannot be loaded: {loader.errorString()}")
    return widget


@dataclass
class PageContext:
    flow: WizardFlow
    service: Service
    demo: bool = False

    @property
    def backend(self) -> Any:
        return self.service.backend

    @property
    def state(self) -> Any:
        return self.flow.state


class Page(QWidget):
    """A wizard page: shows the flow's answers, edits them, and displays the flow's errors."""

    page_id: PageId
    handles_all_errors = False  # True: the page lists every error itself (not only per field)
    changed = Signal()  # the answers changed: the wizard re-validates and updates Next
    goTo = Signal(str)  # a link on the page asks for another page (a PageId value)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(0, 0, 0, 0)
        self.error_labels: dict[str, QLabel] = {}
        self._texts: list[tuple[Callable[[str], None], Callable[[], str]]] = []

    def say(self, set_text: Callable[[str], None], text: Callable[[], str]) -> None:
        """``set_text(text())`` now, and again whenever the language changes."""
        self._texts.append((set_text, text))
        set_text(text())

    def title(self) -> str:
        raise NotImplementedError

    def subtitle(self) -> str:
        return ""

    def short_title(self) -> str:
        """What the step list on the left shows."""
        return self.title()

    def enter(self) -> None:
        """Called each time the page is shown."""

    def retranslate(self) -> None:
        """Set every text the page made itself again, in the language just installed."""
        for set_text, text in self._texts:
            set_text(text())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def show_errors(self, errors: dict[str, Msg], *, touched: bool = True) -> None:
        """Put each message under the field it concerns; fields without a label are left to the page."""
        for key, label in self.error_labels.items():
            m = errors.get(key)
            label.setText(tr_flow(m) if m and touched else "")
            label.setVisible(bool(m and touched))

    def error_label(self, key: str, label: QLabel | None = None, *, keep_space: bool = False) -> QLabel:
        """``keep_space``: the label keeps its room while hidden, so a message appearing never moves the widgets
        below it (a button under the pointer)."""
        label = label or QLabel(self)
        label.setProperty("role", "error")  # styled by assets/style.qss
        label.setWordWrap(True)
        if keep_space:
            policy = label.sizePolicy()
            policy.setRetainSizeWhenHidden(True)
            policy.setVerticalPolicy(QSizePolicy.Policy.Fixed)
            label.setSizePolicy(policy)
            label.setFixedHeight(label.fontMetrics().lineSpacing() * 2 + 4)
        label.setVisible(False)
        self.error_labels[key] = label
        return label
