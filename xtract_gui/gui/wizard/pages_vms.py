"""Pages 3 and 4: choosing the VMs (with live readiness) and their guest credentials."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)
from qasync import asyncSlot

from ...domain.plan import GuestChannelKind
from ...domain.units import human_bytes
from ..shared.icons import severity_icon
from ..shared.models import SORT_ROLE, VM_ID_ROLE, InventoryModel
from .backend import describe_error
from .flow import GuestAnswers, PageId
from .pages_base import Page, PageContext


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
        self.search.setPlaceholderText(self.tr("Search name, guest OS, folder, network, IP…"))
        self.search.setClearButtonEnabled(True)
        self.place = QComboBox(self)
        self.power = QComboBox(self)
        self.power.addItem(self.tr("Any power state"), "")
        self.power.addItem(self.tr("Powered on"), "on")
        self.power.addItem(self.tr("Powered off"), "off")
        self.select_visible = QPushButton(self.tr("Select shown"), self)
        self.clear_selection = QPushButton(self.tr("Clear"), self)
        bar.addWidget(self.search, 3)
        bar.addWidget(self.place, 2)
        bar.addWidget(self.power, 1)
        bar.addWidget(self.select_visible)
        bar.addWidget(self.clear_selection)
        self.root.addLayout(bar)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # networks take what is left
        self.table.setWordWrap(False)
        self.root.addWidget(self.table, 1)
        self.totals = QLabel(self)
        self.totals.setObjectName("totals")
        self.root.addWidget(self.totals)
        self.root.addWidget(self.error_label("selection"))
        self.search.textChanged.connect(self._filter)
        self.place.currentIndexChanged.connect(self._filter)
        self.power.currentIndexChanged.connect(self._filter)
        self.select_visible.clicked.connect(self._select_shown)
        self.clear_selection.clicked.connect(self._clear)
        self.model.dataChanged.connect(self._model_changed)
        self._loaded_from: Any = None

    def title(self) -> str:
        return self.tr("VM selection")

    def subtitle(self) -> str:
        return self.tr("Tick the VMs to migrate. Readiness is checked as you tick; hover a finding for the fix.")

    def enter(self) -> None:
        inv = self.ctx.state.inventory
        if inv is not None and inv is not self._loaded_from:
            self._loaded_from = inv
            self.model.selected = set(self.ctx.state.selected)
            self.model.set_vms(inv.vms)
            self.place.blockSignals(True)
            self.place.clear()
            self.place.addItem(self.tr("All folders and clusters"), "")
            for c in sorted({v.cluster for v in inv.vms if v.cluster}):
                self.place.addItem(self.tr("Cluster {name}").format(name=c), f"cluster:{c}")
            for f in sorted({v.folder for v in inv.vms if v.folder}):
                self.place.addItem(self.tr("Folder {name}").format(name=f), f"folder:{f}")
            self.place.blockSignals(False)
        # Target, guest and options may have changed since: check the selection again.
        self.ctx.state.findings.clear()
        self.model.findings.clear()
        for vm_id in list(self.model.selected):
            self._check(vm_id)
        self._update_totals()

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


class GuestsPage(Page):
    """Channel and account per VM or per group of VMs, with a Test button that runs the admin check."""

    page_id = PageId.GUESTS
    handles_all_errors = True
    COLS = ("VM", "Guest OS", "Channel", "Account", "Test")

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        body = QHBoxLayout()
        self.table = QTableWidget(0, len(self.COLS), self)
        self.table.setHorizontalHeaderLabels([self.tr(c) for c in self.COLS])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        body.addWidget(self.table, 3)
        box = QGroupBox(self.tr("Access for the selected VMs"), self)
        form = QFormLayout(box)
        self.channel = QComboBox(box)
        self.channel.addItem(self.tr("VMware Tools (no network path needed)"), GuestChannelKind.VMTOOLS.value)
        self.channel.addItem(self.tr("WinRM (HTTPS 5986)"), GuestChannelKind.WINRM.value)
        self.channel.addItem(self.tr("None: guest already prepared"), GuestChannelKind.NONE.value)
        self.user = QLineEdit(box)
        self.user.setPlaceholderText(self.tr("Administrator or root"))
        self.password = QLineEdit(box)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.auth = QComboBox(box)
        self.auth.addItem(self.tr("NTLM (domain or local account)"), "ntlm")
        self.auth.addItem(self.tr("Basic (local account, HTTPS only)"), "basic")
        self.auth_hint = QLabel(self.tr(
            "Basic needs HTTPS and a local account, and must be enabled in the guest's WinRM service; "
            "NTLM works as Windows ships."), box)
        self.auth_hint.setWordWrap(True)
        self.auth_hint.setProperty("role", "hint")
        self.allow_http = QCheckBox(self.tr("Allow HTTP 5985 with NTLM encryption"), box)
        self.winrm_host = QLineEdit(box)
        self.winrm_host.setPlaceholderText(self.tr("default: the IP VMware Tools reports"))
        self.fingerprint = QLineEdit(box)
        self.fingerprint.setPlaceholderText(self.tr("SHA-256 of the WinRM certificate (optional)"))
        self.apply_button = QPushButton(self.tr("Apply to selected VMs"), box)
        self.test_button = QPushButton(self.tr("Test"), box)
        self.note = QLabel(self.tr("Passwords are kept in the system keyring only, never in the plan file."), box)
        self.note.setWordWrap(True)
        self.note.setProperty("role", "hint")
        form.addRow(self.tr("Channel"), self.channel)
        form.addRow(self.tr("Account"), self.user)
        form.addRow(self.tr("Password"), self.password)
        form.addRow(self.tr("Authentication"), self.auth)
        form.addRow("", self.auth_hint)
        form.addRow("", self.allow_http)
        form.addRow(self.tr("WinRM address"), self.winrm_host)
        form.addRow(self.tr("Certificate"), self.fingerprint)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.test_button)
        form.addRow("", buttons)
        form.addRow("", self.note)
        body.addWidget(box, 2)
        self.root.addLayout(body, 1)
        self.errors_text = self.error_label("guests")
        self.root.addWidget(self.errors_text)
        self.apply_button.clicked.connect(self.apply_to_selected)
        self.test_button.clicked.connect(self.test_selected)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.channel.currentIndexChanged.connect(self._channel_chosen)
        self.auth.currentIndexChanged.connect(self._channel_chosen)
        self._channel_chosen()

    def title(self) -> str:
        return self.tr("Guest credentials")

    def subtitle(self) -> str:
        return self.tr("How xtract-gui reaches inside each guest to install drivers and keep its IP settings.")

    def enter(self) -> None:
        vms = self.ctx.state.selected_vms()
        self.table.setRowCount(len(vms))
        for row, vm in enumerate(vms):
            self._fill_row(row, vm)
        if vms and not self.table.selectedItems():
            self.table.selectAll()

    def _fill_row(self, row: int, vm: Any) -> None:
        g = self.ctx.state.guest(vm.vm_id)
        result = {None: self.tr("not tested"), True: self.tr("OK"), False: self.tr("failed")}[g.tested_ok]
        channel = {GuestChannelKind.VMTOOLS: "VMware Tools", GuestChannelKind.WINRM: "WinRM",
                   GuestChannelKind.NONE: self.tr("none")}[g.channel]
        cells = (vm.name, vm.guest_full_name or vm.guest_family.value, channel, g.user,
                 f"{result}: {g.test_message}" if g.test_message else result)
        for col, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setData(VM_ID_ROLE, vm.vm_id)
            if col == 4 and g.tested_ok is not None:
                item.setIcon(severity_icon("OK" if g.tested_ok else "BLOCKER"))
                item.setToolTip(g.test_message)
            self.table.setItem(row, col, item)

    def selected_vm_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self.table.item(r, 0).data(VM_ID_ROLE) for r in rows if self.table.item(r, 0)]

    @Slot()
    def _selection_changed(self) -> None:
        ids = self.selected_vm_ids()
        if not ids:
            return
        g = self.ctx.state.guest(ids[0])
        self.channel.setCurrentIndex(max(0, self.channel.findData(g.channel.value)))
        self.user.setText(g.user)
        self.password.setText(g.password)
        self.auth.setCurrentIndex(max(0, self.auth.findData(g.winrm_auth)))
        self.allow_http.setChecked(g.allow_http_ntlm)
        self.winrm_host.setText(g.winrm_host if len(ids) == 1 else "")
        self.fingerprint.setText(g.fingerprint if len(ids) == 1 else "")

    @Slot()
    def apply_to_selected(self) -> None:
        answers = GuestAnswers(channel=GuestChannelKind(self.channel.currentData()), user=self.user.text().strip(),
                               password=self.password.text(), allow_http_ntlm=self.allow_http.isChecked(),
                               winrm_auth=self.auth.currentData(),
                               winrm_host=self.winrm_host.text().strip(),
                               fingerprint=self.fingerprint.text().strip().upper())
        ids = self.selected_vm_ids()
        self.ctx.flow.apply_guest(ids, answers)
        for vm_id in ids:
            vm = self.ctx.state.inventory.vm(vm_id)
            # Memory only here (the keyring may block); the window persists them when the migration starts.
            self.ctx.backend.remember_guest_password(vm.name, answers, persist=False)
        self._refresh()

    @Slot()
    def _channel_chosen(self) -> None:
        # The WinRM-only settings: Basic never falls back to HTTP (that would be NTLM), so it excludes it.
        winrm = self.channel.currentData() == GuestChannelKind.WINRM.value
        for w in (self.auth, self.auth_hint, self.winrm_host, self.fingerprint):
            w.setEnabled(winrm)
        self.allow_http.setEnabled(winrm and self.auth.currentData() != "basic")
        if self.auth.currentData() == "basic":
            self.allow_http.setChecked(False)

    def _refresh(self) -> None:
        selected = set(self.selected_vm_ids())
        self.enter()
        self.table.clearSelection()
        for r in range(self.table.rowCount()):
            if self.table.item(r, 0).data(VM_ID_ROLE) in selected:
                self.table.selectRow(r) if len(selected) == 1 else self._add_row_to_selection(r)
        self.changed.emit()

    def _add_row_to_selection(self, row: int) -> None:
        sel = self.table.selectionModel()
        idx = self.table.model().index(row, 0)
        sel.select(idx, sel.SelectionFlag.Select | sel.SelectionFlag.Rows)

    @asyncSlot()
    async def test_selected(self) -> None:
        self.apply_to_selected()
        ids = self.selected_vm_ids()
        self.test_button.setEnabled(False)
        try:
            for vm_id in ids:
                vm = self.ctx.state.inventory.vm(vm_id)
                g = self.ctx.state.guest(vm_id)
                try:
                    ok, said = await self.ctx.service.run("guest-test", self.ctx.backend.test_guest, vm, g)
                except Exception as exc:  # the result of a test, shown in its row
                    ok, said = False, describe_error(exc)[1]
                g.tested_ok, g.test_message = ok, said
                self._refresh()
        finally:
            self.test_button.setEnabled(True)

    def show_errors(self, errors: dict[str, Any], *, touched: bool = True) -> None:
        from .pages_base import tr_flow

        text = "\n".join(tr_flow(m) for m in errors.values())
        self.errors_text.setText(text)
        self.errors_text.setVisible(bool(text))
