"""The engine's side of the copy workers: a bounded pool of child processes that do the byte work.

The GUI's interpreter only decides and displays; reading the source, finding zeros, hashing, encoding
images, writing NFS or files and reading them back happen in worker processes (``child.py``), started with
``multiprocessing``'s *spawn* method (the same on Windows, macOS and Linux, and in the frozen app, whose
entry points call ``freeze_support``).  Each worker copies several disks at once; a new disk goes to the
least busy worker, and a new worker is started only while every one is busy and the pool is below its size.

Per worker, one engine thread starts the process (so Linux's parent-death signal follows it, see
``lifeline.py``) and then serves its pipe for the worker's whole life: it hands over orders, answers the
worker's calls (bandwidth tokens from the plan's one ``TokenBucket``, a reader's credentials), records
cursors and progress through the engine's callbacks, passes cancels on, and, when the process ends without
having answered, fails its copies with a ``TransientError``: the engine copies that disk again from its
cursor.  Credentials travel only inside the pickled order, over the pipe.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from ...domain.errors import CancelledError, TransientError, XtractError
from ...domain.extents import Extent
from ...engine.ports import Cancellation, WorkerDisk
from ..cursor import CursorStore
from ..progress import CopyProgressFn
from ..result import CopyResult
from ..throttle import TokenBucket
from .child import worker_main
from .lifeline import adopt
from .protocol import TOKENS, CopyOrder, pack_error, unpack_error

_log = logging.getLogger("xtract_gui.transfer")
#: What a worker process runs (a test replaces it to check one tie of ``lifeline.py`` alone).
WORKER_MAIN: Callable[[Connection, int, int], None] = worker_main
#: After a cancel, how long a worker may take to answer before it is killed (a read stuck in a dead socket).
CANCEL_GRACE_SECONDS = 30.0
_POLL = 0.2


def default_size(cores: int | None = None) -> int:
    """The cores this computer has but one (the GUI's), at least one."""
    return max(1, (cores if cores is not None else (os.cpu_count() or 1)) - 1)


@dataclass
class _Task:
    id: int
    order: CopyOrder
    services: dict[str, Callable[..., Any]]
    cursor: CursorStore | None
    progress: CopyProgressFn | None
    cancel: Cancellation | None
    future: Future[CopyResult] = field(default_factory=Future)
    cancel_sent: float = 0.0
    error: BaseException | None = None  # the engine's own failure (a cursor it could not record)


class WorkerPool:
    """Up to ``size`` worker processes of ``threads`` copy threads each; ``throttle`` is the plan's one limit."""

    def __init__(self, size: int, *, threads: int, throttle: TokenBucket,
                 services: dict[str, Callable[..., Any]] | None = None,
                 cancel_grace: float = CANCEL_GRACE_SECONDS) -> None:
        """``services``: what every worker may ask of the engine besides its disks' own (``"secret"``)."""
        self.size = max(1, size)
        self.services = dict(services or {})
        self.threads = threads
        self.throttle = throttle
        self.cancel_grace = cancel_grace
        self.started = 0  # worker processes started so far (tests and benchmarks look)
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._calls = ThreadPoolExecutor(max_workers=4, thread_name_prefix="xtract-worker-calls")
        self._closed = False

    def copy(self, reader: WorkerDisk, writer: WorkerDisk, extents: Iterable[Extent], *, name: str,
             cursor: CursorStore | None = None, progress: CopyProgressFn | None = None,
             cancel: Cancellation | None = None, **options: Any) -> CopyResult:
        """``copy_disk`` in a worker (``options`` are its keyword arguments); blocks until it ended.

        Raises what ``copy_disk`` raised there, or ``TransientError`` when the worker died meanwhile.
        """
        overlap = set(reader.services) & set(writer.services)
        if overlap:
            raise ValueError(f"reader and writer both offer the services {sorted(overlap)}")
        done = cursor.load() if cursor is not None else []
        order = CopyOrder(reader.spec, writer.spec, tuple((e.offset, e.length) for e in extents),
                          tuple((e.offset, e.length) for e in done), name, options)
        task = _Task(next(self._ids), order, {**reader.services, **writer.services}, cursor, progress, cancel)
        self._pick().submit(task)
        return task.future.result()

    def warm(self, modules: Iterable[str] = ()) -> None:
        """Start every worker now and have each import ``modules``; returns once all are ready.

        A worker otherwise starts with the first copy that finds every other one busy, and a spawned Python
        takes a few hundred milliseconds to start: benchmarks measure the copy, not that.
        """
        with self._lock:
            while len(self._workers) < self.size:
                self._workers.append(_Worker(self))
                self.started += 1
            workers = list(self._workers)
        for worker in workers:
            worker.ready.clear()
            worker.send(("import", tuple(modules)))
        for worker in workers:
            worker.ready.wait(timeout=120)

    def processes(self) -> list[Any]:
        """The worker processes alive now (``multiprocessing.Process``)."""
        with self._lock:
            return [w.process for w in self._workers if w.alive and w.process is not None]

    def _pick(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise CancelledError("The copy workers were shut down.", hint="Start the migration again.")
            self._workers = [w for w in self._workers if w.alive]
            idle = [w for w in self._workers if not w.tasks]
            if not idle and len(self._workers) < self.size:
                worker = _Worker(self)
                self._workers.append(worker)
                self.started += 1
                return worker
            return min(self._workers, key=lambda w: len(w.tasks))

    def close(self) -> None:
        """Stop every worker (copies still running are cancelled first) and wait for them to end."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            worker.stop()
        self._calls.shutdown(wait=False, cancel_futures=True)

    def _answer(self, worker: _Worker, task: _Task | None, cid: int, name: str, args: tuple[Any, ...]) -> None:
        if name == TOKENS:  # at once, on the worker's thread: a reservation never waits
            worker.send(("reply", cid, True, self.throttle.reserve(int(args[0]))))
            return
        service = (task.services.get(name) if task is not None else None) or self.services.get(name)

        def run() -> None:
            try:
                if service is None:
                    raise XtractError(f"A copy worker asked for an unknown service {name!r}.")
                reply: tuple[Any, ...] = ("reply", cid, True, service(*args))
            except BaseException as err:
                reply = ("reply", cid, False, pack_error(err))
            with contextlib.suppress(OSError, ValueError):
                worker.send(reply)

        self._calls.submit(run)


class _Worker:
    """One worker process and the engine thread that starts and serves it."""

    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.tasks: dict[int, _Task] = {}
        self.alive = True
        self.process: Any = None
        self.conn: Connection | None = None
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._stopping = False
        self.ready = threading.Event()  # set by the worker's answer to ``("import", …)``
        self._thread = threading.Thread(target=self._serve, name="xtract-copy-worker", daemon=True)
        self._thread.start()
        self._started.wait()
        if self._start_error is not None:
            self.alive = False
            raise TransientError("A copy worker process could not be started.", detail=repr(self._start_error),
                                 hint="Check that this computer has free memory and processes, then retry.")

    def send(self, message: tuple[Any, ...]) -> None:
        if self.conn is None:
            raise TransientError("The copy worker is not running.")
        with self._send_lock:
            self.conn.send(message)

    def submit(self, task: _Task) -> None:
        with self._lock:
            if not self.alive:
                raise TransientError(f"The copy worker for {task.order.name} ended before the copy started.")
            self.tasks[task.id] = task
        try:
            # The limit as it is now goes first (the serving thread passes later changes on within a poll).
            self.send(("limited", bool(self.pool.throttle.rate)))
            self.send(("copy", task.id, task.order))
        except BaseException:
            with self._lock:
                self.tasks.pop(task.id, None)
            raise

    def stop(self) -> None:
        self._stopping = True
        with self._lock:
            tasks = list(self.tasks.values())
        for task in tasks:
            with contextlib.suppress(OSError, ValueError, TransientError):
                self.send(("cancel", task.id))
        self._thread.join(timeout=self.pool.cancel_grace + 5)

    # -- the serving thread -------------------------------------------------------------------------

    def _serve(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        try:
            here, there = ctx.Pipe(duplex=True)
            process = ctx.Process(target=WORKER_MAIN, args=(there, os.getpid(), self.pool.threads),
                                  name="xtract-copy-worker", daemon=True)
            process.start()  # from this thread, which lives as long as the worker (lifeline.py)
            there.close()
            adopt(process)
        except BaseException as err:
            self._start_error = err
            self._started.set()
            return
        self.conn, self.process = here, process
        self._started.set()
        limited: bool | None = None
        try:
            while True:
                want = bool(self.pool.throttle.rate)
                if want != limited:
                    self.send(("limited", want))
                    limited = want
                self._pass_cancels()
                ready = wait([here, process.sentinel], timeout=_POLL)
                if here in ready:
                    try:
                        message = here.recv()
                    except (EOFError, OSError):
                        break
                    self._handle(message)
                    continue
                if process.sentinel in ready:
                    break
                if self._stopping and not self.tasks:
                    with contextlib.suppress(OSError, ValueError):
                        self.send(("stop",))
                    process.join(timeout=10)
                    break
        except (OSError, ValueError):  # the pipe broke while sending: the worker is gone
            pass
        finally:
            self._ended()

    def _pass_cancels(self) -> None:
        now = time.monotonic()
        with self._lock:
            tasks = list(self.tasks.values())
        for task in tasks:
            if (task.cancel is not None and task.cancel.is_set()) or self._stopping or task.error is not None:
                if not task.cancel_sent:
                    task.cancel_sent = now
                    self.send(("cancel", task.id))
                elif now - task.cancel_sent > self.pool.cancel_grace:
                    self.process.kill()  # stuck past the grace: its copies end as cancelled below

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind, tid = message[0], message[1] if len(message) > 1 else 0
        with self._lock:
            task = self.tasks.get(tid) if kind != "call" else self.tasks.get(message[2])
        if kind == "progress":
            if task is not None and task.progress is not None:
                try:
                    task.progress(message[2])
                except Exception:  # a display that failed must not stop this worker's copies
                    _log.exception("progress of %s could not be shown", task.order.name)
        elif kind == "cursor":
            if task is not None and task.cursor is not None and task.error is None:
                try:
                    task.cursor.save([Extent(o, n) for o, n in message[2]])
                except Exception as err:  # the copy cannot go on unrecorded: stop it, and say why
                    task.error = err
        elif kind == "ready":
            self.ready.set()
        elif kind == "call":
            _, cid, _task, name, args = message
            self.pool._answer(self, task, cid, name, args)
        elif kind in ("done", "failed"):
            with self._lock:
                self.tasks.pop(tid, None)
            if task is None:
                return
            if task.error is not None:
                task.future.set_exception(task.error)
            elif kind == "done":
                task.future.set_result(message[2])
            else:
                task.future.set_exception(unpack_error(message[2]))

    def _ended(self) -> None:
        with self._lock:
            self.alive = False
            tasks, self.tasks = list(self.tasks.values()), {}
        process = self.process
        if process is not None:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        code = process.exitcode if process is not None else None
        for task in tasks:
            if task.error is not None:
                task.future.set_exception(task.error)
            elif task.cancel_sent or (task.cancel is not None and task.cancel.is_set()):
                task.future.set_exception(CancelledError(f"The copy of {task.order.name} was cancelled.",
                                                         hint="Resume it later; finished extents are kept."))
            else:
                task.future.set_exception(TransientError(
                    f"The copy worker process copying {task.order.name} ended unexpectedly (exit code {code}).",
                    hint="The copy starts again from its last checkpoint; if this repeats, check the free memory "
                         "of this computer and the log."))
        if self.conn is not None:
            self.conn.close()
