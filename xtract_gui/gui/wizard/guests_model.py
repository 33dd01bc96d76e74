"""The guest credentials page's table: per selected VM its OS, channel, account, address and test result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt

from ...domain.inventory import SourceVM
from ...domain.plan import GuestChannelKind
from ..shared.icons import severity_icon
from ..shared.table import VM_ID_ROLE, ColumnsModel, _Index, tr
from ..shared.tr import shown
from .flow_answers import GuestAnswers
from .guest_check import address_of

CHANNEL_NAMES = {GuestChannelKind.WINRM: "WinRM", GuestChannelKind.SSH: "SSH",
                 GuestChannelKind.VMTOOLS: "VMware Tools"}


class GuestsModel(ColumnsModel):
    COLUMNS = ("VM", "Test", "Channel", "Account", "Address", "Guest OS")  # the result next to the name: seen first
    TEST_COLUMN = 1

    def __init__(self, answers: Callable[[str], GuestAnswers], parent: Any = None) -> None:
        super().__init__(parent)
        self._answers = answers
        self._vms: list[SourceVM] = []
        self.pending_keys: set[str] = set()  # VMs whose SSH host key waits for the person's yes

    def set_vms(self, vms: list[SourceVM]) -> None:
        self.beginResetModel()
        self._vms = list(vms)
        self.endResetModel()

    def vm_at(self, row: int) -> SourceVM:
        return self._vms[row]

    def row_of(self, vm_id: str) -> int | None:
        return next((i for i, v in enumerate(self._vms) if v.vm_id == vm_id), None)

    def refresh(self, vm_ids: list[str] | None = None) -> None:
        for i, vm in enumerate(self._vms):
            if vm_ids is None or vm.vm_id in vm_ids:
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def _row_count(self) -> int:
        return len(self._vms)

    def test_text(self, vm: SourceVM, g: GuestAnswers) -> str:
        if vm.vm_id in self.pending_keys:
            return tr("GuestsModel", "host key to check")
        if g.channel is GuestChannelKind.NONE:
            return tr("GuestsModel", "no guest preparation")
        return {None: tr("GuestsModel", "not tested"), True: tr("GuestsModel", "OK"),
                False: tr("GuestsModel", "failed")}[g.tested_ok]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._vms):
            return None
        vm, col = self._vms[index.row()], index.column()
        g = self._answers(vm.vm_id)
        if role == VM_ID_ROLE:
            return vm.vm_id
        if role == Qt.ItemDataRole.DisplayRole:
            channel = CHANNEL_NAMES.get(g.channel) or tr("GuestsModel", "none")
            address = address_of(vm, g) if g.channel in (GuestChannelKind.WINRM, GuestChannelKind.SSH) else ""
            return (vm.name, self.test_text(vm, g), channel, g.user if g.channel is not GuestChannelKind.NONE else "",
                    address, vm.guest_full_name or vm.guest_family.value)[col]
        if col == self.TEST_COLUMN and role == Qt.ItemDataRole.DecorationRole:
            if vm.vm_id in self.pending_keys:
                return severity_icon("WARNING")
            if g.tested_ok is not None and g.channel is not GuestChannelKind.NONE:
                return severity_icon("OK" if g.tested_ok else "BLOCKER")
        if col == self.TEST_COLUMN and role == Qt.ItemDataRole.ToolTipRole and g.test_message:
            return shown(g.test_message)
        return None
