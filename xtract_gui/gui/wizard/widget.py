"""The wizard widget: step list, page stack, Back/Next driven by ``flow.WizardFlow``."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .flow import PAGES, PageId
from .pages_base import Page, PageContext, tr_flow
from .pages_connect import SourcePage, TargetPage
from .pages_plan import NetworkPage, SummaryPage
from .pages_vms import GuestsPage, VmsPage


class WizardWidget(QWidget):
    startRequested = Signal(object)  # Plan

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.flow = ctx.flow
        self.steps = QListWidget(self)
        self.steps.setObjectName("stepList")
        self.steps.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.steps.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.steps.setFixedWidth(240)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("pageSubtitle")
        self.subtitle.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.pages: dict[PageId, Page] = {}
        for cls in (SourcePage, TargetPage, VmsPage, GuestsPage, NetworkPage, SummaryPage):
            page = cls(ctx, self.stack)
            self.pages[page.page_id] = page
            self.stack.addWidget(page)
            page.changed.connect(self.revalidate)
            self.steps.addItem(QListWidgetItem(page.short_title()))
        self.back_button = QPushButton(self.tr("Back"), self)
        self.next_button = QPushButton(self.tr("Next"), self)
        self.next_button.setProperty("role", "primary")
        self.next_button.setDefault(True)
        self.reason = QLabel(self)
        self.reason.setObjectName("nextReason")
        self.reason.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.title)
        right.addWidget(self.subtitle)
        right.addWidget(self.stack, 1)
        nav = QHBoxLayout()
        nav.addWidget(self.reason, 1)
        nav.addWidget(self.back_button)
        nav.addWidget(self.next_button)
        right.addLayout(nav)
        outer = QHBoxLayout(self)
        outer.addWidget(self.steps)
        outer.addLayout(right, 1)
        self.back_button.clicked.connect(self.go_back)
        self.next_button.clicked.connect(self.go_next)
        summary = self.pages[PageId.SUMMARY]
        assert isinstance(summary, SummaryPage)
        summary.startRequested.connect(self.startRequested)
        summary.planLoaded.connect(self.plan_loaded)
        self.show_page(PageId.SOURCE)

    def page(self, pid: PageId) -> Page:
        return self.pages[pid]

    def show_page(self, pid: PageId) -> None:
        self.flow.current = pid
        page = self.pages[pid]
        self.stack.setCurrentWidget(page)
        page.enter()
        self.title.setText(page.title())
        self.subtitle.setText(page.subtitle())
        for i, p in enumerate(PAGES):
            item = self.steps.item(i)
            font = item.font()
            font.setBold(p is pid)
            item.setFont(font)
            item.setText(f"{i + 1}. {self.pages[p].short_title()}")
            item.setToolTip(self.pages[p].title())
            done = PAGES.index(p) < PAGES.index(pid)
            item.setForeground(self.palette().color(self.palette().ColorRole.Text if p is pid or done
                                                    else self.palette().ColorRole.PlaceholderText))
        self.revalidate(touched=False)

    @Slot()
    def revalidate(self, touched: bool = True) -> None:
        page = self.pages[self.flow.current]
        errors = self.flow.errors()
        page.show_errors(errors, touched=touched)
        last = self.flow.current is PageId.SUMMARY
        self.next_button.setVisible(not last)
        self.next_button.setEnabled(not errors and not last)
        self.back_button.setEnabled(self.flow.can_go_back())
        # The line next to Next explains what the page itself does not show already.
        shown = {k for k, label in page.error_labels.items() if not label.isHidden()}
        rest = [m for k, m in errors.items() if k not in shown and not page.handles_all_errors]
        self.reason.setText(tr_flow(rest[0]) if rest and not last else "")

    @Slot()
    def go_next(self) -> None:
        if self.flow.can_advance():
            self.show_page(self.flow.next())

    @Slot()
    def go_back(self) -> None:
        self.show_page(self.flow.back())

    @Slot()
    def plan_loaded(self) -> None:
        self.show_page(PageId.SOURCE)
