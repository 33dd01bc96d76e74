"""The one bridge between the engine and Qt, and the service that runs slow calls off the GUI thread.

``EngineBridge`` subscribes to the JobManager's event stream and re-emits each
event as a Qt signal on the GUI thread.  Events may arrive from any thread:
they are handed over through a queued signal, so the engine never waits on a
widget.  Progress events are coalesced per VM and flushed a few times a
second, which keeps the job monitor cheap however fast the copy reports.

``Service`` runs ``Backend`` methods with ``asyncio.to_thread`` (qasync's
executor) and publishes busy/error state that pages show; ``read_view`` reads
the engine's views (SQLite) the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from ..domain.redact import scrub
from ..engine.events import EngineLost, Event, JobStateChanged, LogLine, Progress, StepChanged, SyncSummary

log = logging.getLogger(__name__)
T = TypeVar("T")

FLUSH_INTERVAL_MS = 250  # four table updates a second are plenty for a person watching


class EngineBridge(QObject):
    """Engine events → Qt signals (GUI thread).  Widgets connect to these, never to the engine."""

    jobStateChanged = Signal(object)  # JobStateChanged
    stepChanged = Signal(object)  # StepChanged
    progressChanged = Signal(object)  # Progress (coalesced: the latest per VM)
    syncSummary = Signal(object)  # SyncSummary
    logLine = Signal(object)  # LogLine
    managerChanged = Signal(object)  # the JobManager now attached (or None)
    engineLost = Signal(str)  # the engine's process ended under us: what to do, for the window to show

    _incoming = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.manager: Any = None
        self._unsubscribe: Callable[[], None] | None = None
        self._pending_progress: dict[str, Progress] = {}
        self._incoming.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)
        self._flush_timer = QTimer(self)
        self._flush_timer.setInterval(FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)
        self._flush_timer.start()

    def attach(self, manager: Any) -> None:
        self.detach()
        self.manager = manager
        if manager is not None:
            self._unsubscribe = manager.subscribe(self._sink)
        self.managerChanged.emit(manager)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.manager = None

    def _sink(self, event: Event) -> None:
        # Called on the engine's thread: only a queued emit happens here.
        self._incoming.emit(event)

    @Slot(object)
    def _dispatch(self, event: Event) -> None:
        if isinstance(event, Progress):
            self._pending_progress[event.vm_id] = event
        elif isinstance(event, JobStateChanged):
            self._flush()  # so that a late progress update cannot land after the state that ends it
            self.jobStateChanged.emit(event)
        elif isinstance(event, StepChanged):
            self.stepChanged.emit(event)
        elif isinstance(event, SyncSummary):
            self.syncSummary.emit(event)
        elif isinstance(event, LogLine):
            self.logLine.emit(event)
        elif isinstance(event, EngineLost):
            self._flush()
            self.engineLost.emit(event.message)

    @Slot()
    def _flush(self) -> None:
        if not self._pending_progress:
            return
        pending, self._pending_progress = self._pending_progress, {}
        for event in pending.values():
            self.progressChanged.emit(event)


async def read_view(manager: Any, name: str, *args: Any) -> Any:
    """One of the engine's views (``jobs``, ``steps``, ``log_lines``, ``report_html``) without blocking the
    GUI thread: ``manager.<name>_async(*args)``, or the plain view in the loop's default executor for a
    manager that has no async form."""
    reader = getattr(manager, f"{name}_async", None)
    if reader is not None:
        return await reader(*args)
    return await asyncio.get_running_loop().run_in_executor(None, getattr(manager, name), *args)


class Service(QObject):
    """Runs blocking calls in an executor and reports busy/error state to whoever shows it."""

    busyChanged = Signal(bool, str)  # busy, what is going on
    failed = Signal(str, str)  # operation label, message (scrubbed)

    def __init__(self, backend: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self._running = 0

    @property
    def busy(self) -> bool:
        return self._running > 0

    async def run(self, label: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Await ``fn(*args)`` in a worker thread; exceptions propagate to the caller (the page shows them)."""
        self._running += 1
        self.busyChanged.emit(True, label)
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Exception as exc:
            secrets = getattr(getattr(self.backend, "secrets", None), "known_secrets", list)()
            self.failed.emit(label, scrub(str(exc), secrets))
            raise
        finally:
            self._running -= 1
            self.busyChanged.emit(self._running > 0, label)
