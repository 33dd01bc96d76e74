"""What every wizard page shares: access to the flow and the service, field errors, busy state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, QFile, QIODevice, Signal
from PySide6.QtUiTools import QUiLoader
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ... import paths
from ..bridge import Service
from .flow import Msg, PageId, WizardFlow


def tr_flow(m: Msg) -> str:
    return m.render(lambda s: QCoreApplication.translate("flow", s))


def load_ui(name: str, parent: QWidget | None = None) -> QWidget:
    """Load ``ui/<name>.ui`` at run time with QUiLoader (strings go through the installed translators)."""
    path = paths.ui_dir() / f"{name}.ui"
    f = QFile(str(path))
    if not f.open(QIODevice.OpenModeFlag.ReadOnly):
        raise FileNotFoundError(f"Qt Designer form {path} is missing")
    try:
        loader = QUiLoader()
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

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.root = QVBoxLayout(self)
        self.root.setContentsMargins(0, 0, 0, 0)
        self.error_labels: dict[str, QLabel] = {}

    def title(self) -> str:
        raise NotImplementedError

    def subtitle(self) -> str:
        return ""

    def short_title(self) -> str:
        """What the step list on the left shows."""
        return self.title()

    def enter(self) -> None:
        """Called each time the page is shown."""

    def show_errors(self, errors: dict[str, Msg], *, touched: bool = True) -> None:
        """Put each message under the field it concerns; fields without a label are left to the page."""
        for key, label in self.error_labels.items():
            m = errors.get(key)
            label.setText(tr_flow(m) if m and touched else "")
            label.setVisible(bool(m and touched))

    def error_label(self, key: str, label: QLabel | None = None) -> QLabel:
        label = label or QLabel(self)
        label.setProperty("role", "error")  # styled by assets/style.qss
        label.setWordWrap(True)
        label.setVisible(False)
        self.error_labels[key] = label
        return label
