"""What the window's buttons ask of the engine, as coroutines (the JobManager facade only)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..domain.errors import XtractError
from ..domain.plan import Plan
from ..domain.redact import scrub
from .bridge import EngineBridge, read_view

log = logging.getLogger(__name__)


class Controller(QObject):
    """Owns the JobManager; every call the GUI makes on the engine goes through here."""

    started = Signal(str)  # plan id
    problem = Signal(str)  # a message for the user (already scrubbed)
    managerReady = Signal(object)

    def __init__(self, bridge: EngineBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.manager: Any = None
        self._secrets: Any = None

    def attach(self, manager: Any, secrets: Any = None) -> None:
        self.manager = manager
        self._secrets = secrets
        self.bridge.attach(manager)
        self.managerReady.emit(manager)

    def _scrub(self, text: str) -> str:
        known = self._secrets.known_secrets() if hasattr(self._secrets, "known_secrets") else []
        return scrub(text, known)

    async def resume_all(self) -> int:
        """After a restart: let the engine recover and continue; returns how many jobs it knows."""
        if self.manager is None:
            return 0
        try:
            await self.manager.resume_all()
        except XtractError as exc:
            self.problem.emit(self._scrub(str(exc)))
        return len(await read_view(self.manager, "jobs"))

    async def start(self, plan: Plan) -> str | None:
        if self.manager is None:
            self.problem.emit(self.tr("The migration engine is not available; see the log for why."))
            return None
        try:
            plan_id = await self.manager.start(plan)
        except XtractError as exc:
            self.problem.emit(self._scrub(str(exc)))
            return None
        self.started.emit(plan_id)
        return str(plan_id)

    async def act(self, action: str, vm_ids: list[str]) -> None:
        m = self.manager
        if m is None:
            return
        calls = {
            "cutover": lambda: m.cutover(vm_ids, requested_by="gui"),
            "test": lambda: m.test_migration(vm_ids),
            "pause": lambda: m.pause(vm_ids),
            "resume": lambda: m.resume(vm_ids),
            "cancel": lambda: m.cancel(vm_ids),
            "cancel_undo": lambda: m.cancel(vm_ids, undo_guest=True),
            "test_undo": lambda: m.test_migration(vm_ids, undo=True),
            "retry": lambda: m.retry(vm_ids),
        }
        try:
            await calls[action]()
        except XtractError as exc:
            self.problem.emit(self._scrub(str(exc)))

    async def pause_all(self) -> None:
        ids = [j.vm_id for j in await read_view(self.manager, "jobs") if j.state.active] if self.manager else []
        if ids:
            await self.act("pause", ids)

    async def cancel_all(self) -> None:
        ids = [j.vm_id for j in await read_view(self.manager, "jobs") if not j.state.terminal] if self.manager else []
        if ids:
            await self.act("cancel", ids)

    async def export_report(self, path: Path) -> bool:
        if self.manager is None:
            return False
        html = await read_view(self.manager, "report_html")
        try:
            await asyncio.to_thread(path.write_text, html, encoding="utf-8")
        except OSError as exc:
            self.problem.emit(self.tr("The report could not be written to {path}: {why}.").format(
                path=path, why=exc.strerror or exc))
            return False
        return True

    async def close(self) -> None:
        self.bridge.detach()
        if self.manager is not None:
            manager, self.manager = self.manager, None
            await manager.close()
