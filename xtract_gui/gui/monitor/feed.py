"""What keeps the job monitor in step with the engine without reading anything on the GUI thread.

The engine's views (``jobs``, ``steps``, ``log_lines``) are SQLite and log-file reads; under qasync the
loop's thread is the GUI thread, so they run on the manager's own view threads (``*_async``) and their
answers are applied when they arrive.  Events keep arriving meanwhile, and an answer is a
snapshot of some moment during the read: it may already hold an event delivered later, or miss one
delivered earlier.  Both feeds follow one rule: apply the snapshot, then the events that arrived while it
was being read, in their order.  Each event carries a whole fact (a step's state, a job's new state), so
applying one the snapshot already holds changes nothing, and the last word is always the newest event.

Stale answers are never applied: the jobs feed reads one snapshot at a time (requests made meanwhile
become the next read), and the detail feed drops an answer for a VM that is no longer selected.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ...engine.events import Event, JobStateChanged, LogLine, Progress, StepChanged, SyncSummary
from ..bridge import read_view
from .jobs_model import JobsModel
from .steps_model import StepsModel

log = logging.getLogger(__name__)
T = TypeVar("T")
LOG_LINES = 500  # what the log pane loads on selection; older lines are in the VM's log file


def _spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
    """A task on the running loop; None (and the coroutine closed) when no loop runs, e.g. at shutdown."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        coro.close()
        return None
    return loop.create_task(coro)


class JobsFeed:
    """The jobs table: ``JobManager.jobs()`` snapshots read off the GUI thread, events applied as they come."""

    def __init__(self, model: JobsModel, on_loaded: Callable[[], None]) -> None:
        self.model = model
        self.on_loaded = on_loaded  # after a full load (the monitor selects a first row)
        self.manager: Any = None
        self.reads = 0  # snapshots read so far (tests and the benchmark look at it)
        self._full = False
        self._stale: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._since_read: list[Event] | None = None  # events delivered while a read is in flight
        self.retry_seconds = 2.0  # after a failed read; doubled after each further failure, up to 30 s
        self._failures = 0

    @property
    def busy(self) -> bool:
        return self._task is not None

    def _retry(self, manager: Any) -> None:
        if manager is self.manager and self._task is None and (self._full or self._stale):
            self._task = _spawn(self._run())

    def attach(self, manager: Any) -> None:
        self.manager = manager
        self.request(full=True)

    def request(self, *, full: bool = False, vm_ids: set[str] | frozenset[str] = frozenset()) -> None:
        """Read the engine's rows again: all of them (``full``: the table is rebuilt) or those of ``vm_ids``."""
        if self.manager is None:
            if full:
                self.model.load([])
                self.on_loaded()
            return
        self._full |= full
        self._stale |= vm_ids
        if self._task is None:
            self._task = _spawn(self._run())

    def on_event(self, event: Event) -> None:
        # Applied at once so the table stays live; kept to be applied again over a snapshot being read.
        self.model.apply(event)
        if self._since_read is not None and isinstance(event, JobStateChanged | SyncSummary | StepChanged | Progress):
            self._since_read.append(event)

    async def _run(self) -> None:
        try:
            while self.manager is not None and (self._full or self._stale):
                manager, full, stale = self.manager, self._full, self._stale
                self._full, self._stale = False, set()
                self._since_read = []
                try:
                    snaps = await read_view(manager, "jobs")
                except Exception:
                    if getattr(manager, "closed", False):
                        return  # the engine closed (or ended: the bridge told the window); nothing to ask again
                    # The store is busy (another process writes) or broke: keep what the table shows and ask
                    # again later, with what this read was for, so a failed first load is not left empty.
                    delay = min(30.0, self.retry_seconds * 2 ** self._failures)
                    self._failures += 1
                    log.warning("reading the jobs failed; trying again in %.1f s", delay, exc_info=self._failures == 1)
                    self._full |= full
                    self._stale |= stale
                    if manager is self.manager:
                        asyncio.get_running_loop().call_later(delay, self._retry, manager)
                    return
                self._failures = 0
                self.reads += 1
                if manager is not self.manager:
                    continue  # another engine was attached meanwhile: its own read is already requested
                if full:
                    self.model.load(snaps)
                else:
                    for snap in snaps:
                        if snap.vm_id in stale:
                            self.model.update_snapshot(snap)
                events, self._since_read = self._since_read, None
                for event in events:
                    self.model.apply(event, history=False)  # the rate plot already has these points
                if full:
                    self.on_loaded()
        finally:
            self._since_read = None
            self._task = None


class DetailFeed:
    """The selected VM's task list and log: a snapshot read off the GUI thread, then the events newer than it."""

    def __init__(self, steps: StepsModel, append_log: Callable[[list[LogLine]], None],
                 clear_log: Callable[[], None], on_loaded: Callable[[], None] = lambda: None) -> None:
        self.steps = steps
        self.append_log = append_log
        self.clear_log = clear_log
        self.on_loaded = on_loaded
        self.manager: Any = None
        self.vm_id = ""
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self._pending: list[StepChanged | LogLine] | None = None  # this VM's events while its snapshot is read
        self._in_snapshot: set[LogLine] = set()  # lines shown from the snapshot whose event may still come

    @property
    def loading(self) -> bool:
        return self._pending is not None

    def show(self, vm_id: str) -> None:
        """Switch the pane to ``vm_id`` (empty: nothing selected); its history arrives a little later."""
        self._generation += 1
        self.vm_id = vm_id
        self.steps.show_vm(vm_id, [])
        self.clear_log()
        self._in_snapshot = set()
        self._pending = None
        if self.manager is None or not vm_id:
            return
        self._pending = []
        self._task = _spawn(self._load(self._generation, vm_id, self.manager))
        if self._task is None:
            self._pending = None

    def reload(self) -> None:
        self.show(self.vm_id)

    def on_event(self, event: StepChanged | LogLine) -> bool:
        """Apply one event of the shown VM; False when it changed nothing on screen (held, or already shown)."""
        if event.vm_id != self.vm_id or not self.vm_id:
            return False
        if self._pending is not None:
            self._pending.append(event)
            return False
        return self._apply(event)

    def _apply(self, event: StepChanged | LogLine) -> bool:
        if isinstance(event, StepChanged):
            self.steps.apply(event)
            return True
        if event in self._in_snapshot:  # the snapshot was read after this line was logged, before it arrived
            self._in_snapshot.discard(event)
            return False
        self.append_log([event])
        return True

    async def _load(self, generation: int, vm_id: str, manager: Any) -> None:
        try:
            steps, lines = await asyncio.gather(read_view(manager, "steps", vm_id),
                                                read_view(manager, "log_lines", vm_id, LOG_LINES))
        except Exception:
            log.exception("reading the tasks and log of %s failed", vm_id)
            steps, lines = [], []
        if generation != self._generation:
            return  # the user selected another VM meanwhile; its own read is under way
        pending, self._pending = self._pending or [], None
        self.steps.show_vm(vm_id, list(steps))
        self._in_snapshot = set(lines)
        self.append_log(list(lines))
        for event in pending:
            self._apply(event)
        self._task = None
        self.on_loaded()
