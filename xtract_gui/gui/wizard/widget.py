"""The wizard widget: step list, page stack, Back/Next driven by ``flow.WizardFlow``.

Each page sits in a scroll area, so a small screen scrolls a long page instead of pushing Back/Next off
the window; the navigation row is always visible.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .flow import PAGES, PageId
from .page_endpoint import SourcePage
from .page_guests import GuestsPage
from .page_network import NetworkPage
from .page_summary import SummaryPage
from .page_target import TargetPage
from .page_vms import VmsPage
from .pages_base import Page, PageContext, tr_flow


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
        self.steps.setFixedWidth(220)
        self.steps.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.steps.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.title = QLabel(self)
        self.title.setObjectName("pageTitle")
        self.subtitle = QLabel(self)
        self.subtitle.setObjectName("pageSubtitle")
        self.subtitle.setWordWrap(True)
        self.stack = QStackedWidget(self)
        self.pages: dict[PageId, Page] = {}
        self.scrolls: dict[PageId, QScrollArea] = {}
        for cls in (SourcePage, TargetPage, VmsPage, GuestsPage, NetworkPage, SummaryPage):
            page = cls(ctx)
            scroll = QScrollArea(self.stack)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.pages[page.page_id] = page
            self.scrolls[page.page_id] = scroll
            self.stack.addWidget(scroll)
            page.changed.connect(self.revalidate)
            page.goTo.connect(self.go_to)
            self.steps.addItem(QListWidgetItem(page.short_title()))
        self.back_button = QPushButton(self)
        self.next_button = QPushButton(self)
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
        self.retranslate()
        self.show_page(PageId.SOURCE)

    def retranslate(self) -> None:
        self.back_button.setText(self.tr("&Back"))  # Alt+B / Alt+N: the keyboard walks the wizard
        self.next_button.setText(self.tr("&Next"))
        if self.flow.current in self.pages:
            self._show_heading()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def page(self, pid: PageId) -> Page:
        return self.pages[pid]

    def show_page(self, pid: PageId) -> None:
        self.flow.current = pid
        page = self.pages[pid]
        self.stack.setCurrentWidget(self.scrolls[pid])
        page.enter()
        self._show_heading()
        self.revalidate(touched=False)

    def _show_heading(self) -> None:
        pid = self.flow.current
        page = self.pages[pid]
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

    @Slot()
    def revalidate(self, touched: bool = True) -> None:
        page = self.pages[self.flow.current]
        errors = self.flow.errors()
        page.show_errors(errors, touched=touched)
        last = self.flow.current is PageId.SUMMARY
        self.next_button.setVisible(not last)
        self.next_button.setEnabled(not errors and not last)
        self.back_button.setEnabled(self.flow.can_go_back())
        self.subtitle.setText(page.subtitle())
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

    @Slot(str)
    def go_to(self, page: str) -> None:
        """A link on a page (a finding's fix): back to any page; forward only across complete pages."""
        target = PageId(page)
        here = PAGES.index(self.flow.current)
        there = PAGES.index(target)
        if there > here and any(self.flow.errors(p) for p in PAGES[here:there]):
            self.reason.setText(tr_flow(next(iter(self.flow.errors(next(p for p in PAGES[here:there]
                                                                         if self.flow.errors(p))).values()))))
            return
        self.show_page(target)

    @Slot()
    def plan_loaded(self) -> None:
        self.show_page(PageId.SOURCE)
