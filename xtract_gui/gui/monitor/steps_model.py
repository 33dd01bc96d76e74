"""The task list of the VM shown in the job monitor's detail pane (a QAbstractTableModel)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from ...engine.events import StepChanged
from ..shared.icons import step_icon
from ..shared.table import ColumnsModel, _Index
from ..shared.tr import shown, step_title


class StepsModel(ColumnsModel):
    """The task list of the VM shown in the detail pane, in order, as Xtract logs it."""

    COLUMNS = ("Task", "Time", "Message")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.vm_id = ""
        self._steps: list[StepChanged] = []
        self._index: dict[str, int] = {}

    def show_vm(self, vm_id: str, steps: list[StepChanged]) -> None:
        self.beginResetModel()
        self.vm_id = vm_id
        self._steps = []
        self._index = {}
        for s in steps:
            self._put(s)
        self.endResetModel()

    def _put(self, s: StepChanged) -> int:
        i = self._index.get(s.step_id)
        if i is None:
            self._steps.append(s)
            i = self._index[s.step_id] = len(self._steps) - 1
        else:
            self._steps[i] = s
        return i

    def apply(self, s: StepChanged) -> None:
        if s.vm_id != self.vm_id:
            return
        i = self._index.get(s.step_id)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self._steps), len(self._steps))
            self._put(s)
            self.endInsertRows()
        else:
            self._steps[i] = s
            self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))

    def step_at(self, row: int) -> StepChanged:
        return self._steps[row]

    def _row_count(self) -> int:
        return len(self._steps)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._steps):
            return None
        s, col = self._steps[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (step_title(s.title), time.strftime("%H:%M:%S", time.localtime(s.at)), shown(s.message))[col]
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return step_icon(s.state)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{step_title(s.title)}\n{shown(s.message)}".strip()
        return None
