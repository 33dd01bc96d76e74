"""Page 3: choosing the VMs, with live readiness and a details pane that says, per finding, what to do and where.

The pane follows the current row (mouse or keyboard) and is itself reachable with Tab; a link in it opens the
wizard page where the fix is made.  Findings whose fix is made on a later page (guest access, network
mapping) do not hold Next here: that page holds them.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, QUrl, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QWidget,
)
from qasync import asyncSlot

from ...domain.units import human_bytes
from ..shared.table import SORT_ROLE, VM_ID_ROLE
from ..shared.tr import shown
from .flow import Finding, PageId
from .inventory_model import InventoryModel
from .pages_base import Page, PageContext

SECTION_PAGE = {"target": PageId.TARGET, "vms": PageId.VMS, "guests": PageId.GUESTS, "network": PageId.NETWORK,
                "options": PageId.NETWORK}


class InventoryFilter(QSortFilterProxyModel):
    """Free-text search over name, guest OS, folder and networks, plus a folder/cluster and power filter."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.place = ""  # "folder:/DC0/vm/app" or "cluster:C0"
        self.power = ""
        self.setSortRole(SORT_ROLE)
        self.setSortCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def set_filter(self, text: str, place: str, power: str) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateFilter() is deprecated there
            self.beginFilterChange()
            self.text, self.place, self.power = text.strip().lower(), place, power
            self.endFilterChange()
        else:  # pragma: no cover - older Qt
            self.text, self.place, self.power = text.strip().lower(), place, power
            self.invalidateFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex | QPersistentModelIndex) -> bool:
        model = self.sourceModel()
        if not isinstance(model, InventoryModel):
            return True
        vm = model.vm_at(row)
        if self.power and vm.power_state.value != self.power:
            return False
        if self.place:
            kind, _, value = self.place.partition(":")
            if (kind == "folder" and not vm.folder.startswith(value)) or (kind == "cluster" and vm.cluster != value):
                return False
        if self.text:
            hay = " ".join((vm.name, vm.guest_full_name, vm.guest_id, vm.folder, vm.cluster,
                            *(n.network for n in vm.nics), *vm.guest_ips)).lower()
            return all(word in hay for word in self.text.split())
        return True


class VmsPage(Page):
    page_id = PageId.VMS

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = InventoryModel(self)
        self.proxy = InventoryFilter(self)
        self.proxy.setSourceModel(self.model)
        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setClearButtonEnabled(True)
        self.place = QComboBox(self)
        self.power = QComboBox(self)
        self.select_visible = QPushButton(self)
        self.clear_selection = QPushButton(self)
        self.refresh_button = QPushButton(self)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.place, 2)
        bar.addWidget(self.power, 1)
        bar.addWidget(self.select_visible)
        bar.addWidget(self.clear_selection)
        bar.addWidget(self.refresh_button)
        self.root.addLayout(bar)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # networks take what is left
        self.table.setWordWrap(False)
        self.details = QTextBrowser(self)
        self.details.setObjectName("findingDetails")
        self.details.setOpenLinks(False)  # links name wizard pages, handled here
        self.details.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.details.anchorClicked.connect(self._link)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.root.addWidget(split, 1)
        self.totals = QLabel(self)
        self.totals.setObjectName("totals")
        self.root.addWidget(self.totals)
        self.root.addWidget(self.error_label("selection"))
        self.search.textChanged.connect(self._filter)
        self.place.currentIndexChanged.connect(self._filter)
        self.power.currentIndexChanged.connect(self._filter)
        self.select_visible.clicked.connect(self._select_shown)
        self.clear_selection.clicked.connect(self._clear)
        self.refresh_button.clicked.connect(self.refresh)
        self.model.dataChanged.connect(self._model_changed)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self._loaded_from: Any = None
        self.retranslate()

    def title(self) -> str:
        return self.tr("VM selection")

    def subtitle(self) -> str:
        return self.tr("Tick the VMs to migrate. Readiness is checked as you tick; the pane below says what each "
                       "finding means and where to fix it.")

    def retranslate(self) -> None:
        self.search.setPlaceholderText(self.tr("Search name, guest OS, folder, network, IP…"))
        power = self.power.currentData() or ""
        self.power.blockSignals(True)
        self.power.clear()
        self.power.addItem(self.tr("Any power state"), "")
        self.power.addItem(self.tr("Powered on"), "on")
        self.power.addItem(self.tr("Powered off"), "off")
        self.power.setCurrentIndex(max(0, self.power.findData(power)))
        self.power.blockSignals(False)
        self.select_visible.setText(self.tr("Select shown"))
        self.clear_selection.setText(self.tr("Clear"))
        self.refresh_button.setText(self.tr("Check again"))
        self.refresh_button.setToolTip(self.tr("Read the inventory again from vCenter and Prism, then check "
                                               "readiness again"))
        self._fill_places()
        self.model.retranslate()
        self._update_totals()
        self._show_details()

    def _fill_places(self) -> None:
        inv = self.ctx.state.inventory
        current = self.place.currentData() or ""
        self.place.blockSignals(True)
        self.place.clear()
        self.place.addItem(self.tr("All folders and clusters"), "")
        if inv is not None:
            for c in sorted({v.cluster for v in inv.vms if v.cluster}):
                self.place.addItem(self.tr("Cluster {name}").format(name=c), f"cluster:{c}")
            for f in sorted({v.folder for v in inv.vms if v.folder}):
                self.place.addItem(self.tr("Folder {name}").format(name=f), f"folder:{f}")
        self.place.setCurrentIndex(max(0, self.place.findData(current)))
        self.place.blockSignals(False)

    def enter(self) -> None:
        inv = self.ctx.state.inventory
        if inv is not None and inv is not self._loaded_from:
            self._loaded_from = inv
            self.model.selected = set(self.ctx.state.selected)
            self.model.set_vms(inv.vms)
            self._fill_places()
            if self.proxy.rowCount():
                self.table.setCurrentIndex(self.proxy.index(0, 0))
        # Target, guest and options may have changed since: check the selection again.
        self.ctx.state.findings.clear()
        self.model.findings.clear()
        for vm_id in list(self.model.selected):
            self._check(vm_id)
        self._update_totals()
        self._show_details()

    @asyncSlot()
    async def refresh(self) -> None:
        """Read the inventories again (a VM migrated since is off now, and on AHV by name), then check again."""
        self.refresh_button.setEnabled(False)
        try:
            inv = await self.ctx.service.run("inventory", self.ctx.backend.refresh_inventory)
        except Exception as exc:  # shown where the selection's errors go
            self.error_labels["selection"].setText(shown(exc.describe() if hasattr(exc, "describe") else str(exc)))
            self.error_labels["selection"].setVisible(True)
            return
        finally:
            self.refresh_button.setEnabled(True)
        if inv is not None:
            self.ctx.state.inventory = inv
            self.ctx.state.selected &= {v.vm_id for v in inv.vms}
        self._loaded_from = None
        self.enter()
        self.changed.emit()

    @Slot()
    def _filter(self) -> None:
        self.proxy.set_filter(self.search.text(), self.place.currentData() or "", self.power.currentData() or "")

    @Slot()
    def _select_shown(self) -> None:
        for r in range(self.proxy.rowCount()):
            self.proxy.setData(self.proxy.index(r, 0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)

    @Slot()
    def _clear(self) -> None:
        for vm_id in list(self.model.selected):
            self.model.set_checked(vm_id, False)
        self._sync_selection()

    @Slot(QModelIndex, QModelIndex)
    def _model_changed(self, top: QModelIndex, bottom: QModelIndex, roles: Any = None) -> None:
        if self.model.selected != self.ctx.state.selected:
            self._sync_selection()
        self._show_details()

    def _sync_selection(self) -> None:
        state = self.ctx.state
        added = self.model.selected - state.selected
        self.ctx.flow.set_selected(self.model.selected)
        for vm_id in added:
            self._check(vm_id)
        self._update_totals()
        self.changed.emit()

    def _check(self, vm_id: str) -> None:
        """Readiness is pure and fast (no I/O), so it runs right here as each VM is ticked."""
        inv = self.ctx.state.inventory
        try:
            found = self.ctx.backend.check_vm(self.ctx.state, inv.vm(vm_id))
        except KeyError:
            return
        self.ctx.state.findings[vm_id] = found
        self.model.set_findings(vm_id, found)

    def _update_totals(self) -> None:
        s = self.ctx.state
        vms = s.selected_vms()
        self.totals.setText(self.tr("{n} of {total} VMs selected · {disks} disks · {size} provisioned").format(
            n=len(vms), total=self.model.rowCount(), disks=sum(len(v.disks) for v in vms),
            size=human_bytes(s.selected_bytes())))

    # -- the details pane -------------------------------------------------------------------------------
    def current_vm_id(self) -> str:
        index = self.table.currentIndex()
        return str(index.data(VM_ID_ROLE) or "") if index.isValid() else ""

    @Slot(QModelIndex, QModelIndex)
    def _current_changed(self, *_: Any) -> None:
        self._show_details()

    def _show_details(self) -> None:
        vm_id = self.current_vm_id()
        inv = self.ctx.state.inventory
        if not vm_id or inv is None:
            text = self.tr("Select a VM to see what readiness found.")  # lupdate reads no tr() inside f-strings
            self.details.setHtml(f"<p>{html.escape(text)}</p>")
            return
        vm = inv.vm(vm_id)
        found = self.model.findings.get(vm_id)
        if found is None:
            found = self.ctx.backend.check_vm(self.ctx.state, vm)  # a VM not ticked: what ticking it would show
        head = f"<p><b>{html.escape(vm.name)}</b> — {html.escape(vm.guest_full_name or vm.guest_id)}</p>"
        if not found:
            ready = self.tr("Ready: nothing stands in the way.")
            self.details.setHtml(head + f"<p>{html.escape(ready)}</p>")
            return
        self.details.setHtml(head + "".join(self._finding_html(f) for f in found))

    def _finding_html(self, f: Finding) -> str:
        word = {"BLOCKER": self.tr("Blocks the migration"), "WARNING": self.tr("Warning"),
                "INFO": self.tr("Good to know")}.get(f.severity, f.severity)
        colour = {"BLOCKER": "#c62828", "WARNING": "#8a5a00"}.get(f.severity, "#2f5f9e")
        where = SECTION_PAGE.get(f.section)
        if where is not None and where is not PageId.VMS:
            link = self.tr("Fix it on the {page} page").format(page=self._page_name(where))
            fix_at = f' <a href="page:{where.value}">{html.escape(link)}</a>'
        else:
            fix_at = " " + html.escape(self.tr("(outside xtract-gui; then press Check again)")) if not f.section else ""
        todo = self.tr("What to do:")
        return (f'<p><span style="color:{colour}"><b>{html.escape(word)}:</b></span> {html.escape(shown(f.message))}'
                f'<br/>{html.escape(todo)} {html.escape(shown(f.fix))}{fix_at}</p>')

    def _page_name(self, page: PageId) -> str:
        return {PageId.SOURCE: self.tr("Source vCenter"), PageId.TARGET: self.tr("Target Prism"),
                PageId.VMS: self.tr("VM selection"), PageId.GUESTS: self.tr("Guest credentials"),
                PageId.NETWORK: self.tr("Network and options"), PageId.SUMMARY: self.tr("Summary")}[page]

    @Slot(QUrl)
    def _link(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("page:"):
            self.goTo.emit(text.removeprefix("page:"))
