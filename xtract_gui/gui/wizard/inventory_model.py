"""The source VMs of the VM selection page: a checkbox per VM and its live readiness."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from ...domain.inventory import SourceVM
from ...domain.units import human_bytes
from ..shared.icons import severity_icon
from ..shared.table import SORT_ROLE, VM_ID_ROLE, ColumnsModel, _Index, tr
from ..shared.tr import shown
from .flow import Finding

SEVERITY_WORDS = {"BLOCKER": "Blocker", "WARNING": "Warning", "INFO": "Note"}


def worst(found: list[Finding] | None) -> str | None:
    if not found:
        return None
    for sev in ("BLOCKER", "WARNING", "INFO"):
        if any(f.severity == sev for f in found):
            return sev
    return None


class InventoryModel(ColumnsModel):
    """Source VMs with a checkbox column (selection) and a live readiness column."""

    COLUMNS = ("Name", "Readiness", "Power", "Guest OS", "Folder", "Cluster", "Disks", "Size", "NICs")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._vms: list[SourceVM] = []
        self._row: dict[str, int] = {}
        self.selected: set[str] = set()
        self.findings: dict[str, list[Finding]] = {}
        self.migrated: dict[str, str] = {}  # vm_id -> the job state of an earlier migration ("done", …)

    def set_vms(self, vms: list[SourceVM] | tuple[SourceVM, ...]) -> None:
        self.beginResetModel()
        self._vms = list(vms)
        self._row = {v.vm_id: i for i, v in enumerate(self._vms)}
        self.selected &= set(self._row)
        self.endResetModel()

    def vm_at(self, row: int) -> SourceVM:
        return self._vms[row]

    def row_of(self, vm_id: str) -> int | None:
        return self._row.get(vm_id)

    def vms(self) -> list[SourceVM]:
        return list(self._vms)

    def set_findings(self, vm_id: str, findings: list[Finding]) -> None:
        self.findings[vm_id] = findings
        self._row_changed(vm_id)

    def set_checked(self, vm_id: str, checked: bool) -> None:
        if checked:
            self.selected.add(vm_id)
        else:
            self.selected.discard(vm_id)
        self._row_changed(vm_id)

    def _row_changed(self, vm_id: str) -> None:
        row = self._row.get(vm_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))

    def _row_count(self) -> int:
        return len(self._vms)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() and index.column() == 0 else base

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._vms):
            return None
        vm, col = self._vms[index.row()], index.column()
        if role == VM_ID_ROLE:
            return vm.vm_id
        if col == 0 and role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if vm.vm_id in self.selected else Qt.CheckState.Unchecked
        if col == 1:
            return self._readiness(vm, role)
        if role == SORT_ROLE:
            return (vm.name.lower(), None, vm.power_state.value, vm.guest_full_name or vm.guest_id, vm.folder,
                    vm.cluster, len(vm.disks), vm.provisioned_bytes, len(vm.nics))[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return (vm.name, None, tr("InventoryModel", vm.power_state.value), vm.guest_full_name or vm.guest_id,
                    vm.folder, vm.cluster, str(len(vm.disks)), human_bytes(vm.provisioned_bytes),
                    ", ".join(sorted({n.network for n in vm.nics})))[col]
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            self.set_checked(self._vms[index.row()].vm_id, checked)
            return True
        return False

    def _readiness(self, vm: SourceVM, role: int) -> Any:
        found = self.findings.get(vm.vm_id)
        bad = worst(found)
        if role == Qt.ItemDataRole.DisplayRole:
            if vm.vm_id in self.migrated and found is None:
                return tr("InventoryModel", "migrated before")
            if found is None:
                return "" if vm.vm_id not in self.selected else tr("InventoryModel", "checking…")
            label = {"BLOCKER": tr("InventoryModel", "blocked"), "WARNING": tr("InventoryModel", "warnings")}.get(
                bad or "", tr("InventoryModel", "ready"))
            count = sum(1 for f in found if f.severity in ("BLOCKER", "WARNING"))
            return f"{label} ({count})" if count > 1 else label
        if role == Qt.ItemDataRole.DecorationRole and found is not None:
            return severity_icon(bad or "OK")
        if role == Qt.ItemDataRole.ToolTipRole and found:
            # The words the details pane shows, without severity tags; the pane also says where to fix each.
            return "\n".join(f"• {shown(f.message)}" for f in found)
        if role == SORT_ROLE:
            return {"BLOCKER": 0, "WARNING": 1, "INFO": 2}.get(bad or "", 3 if found is not None else 4)
        return None
