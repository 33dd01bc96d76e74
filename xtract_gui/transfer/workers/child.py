"""The copy worker process: opens each disk's reader and writer from their specs and runs ``copy_disk`` there.

Its main thread only reads the pipe from the engine (orders, cancels, answers); each order runs on a thread
of its own, all of them sharing one ``CopyScheduler``, so one worker copies several disks at once, bounded
by its threads.  What the engine decides stays with the engine: the worker asks it for bandwidth tokens
(when the plan sets a limit), for credentials its reader needs (a ticket per request, a renewed cookie),
and hands it every cursor to record.  When the pipe ends the engine is gone: the worker exits at once.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import itertools
import os
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from ...domain.extents import Extent
from ..copy import copy_disk
from ..scheduler import CopyScheduler
from ..throttle import sleep_off
from .lifeline import bind_to_parent
from .protocol import TOKENS, CopyOrder, pack_error, unpack_error


class _Call:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.ok = False
        self.value: Any = None


class Worker:
    def __init__(self, conn: Connection, threads: int) -> None:
        self.conn = conn
        self.scheduler = CopyScheduler(threads)
        self.limited = False
        self._send_lock = threading.Lock()
        self._calls: dict[int, _Call] = {}
        self._call_ids = itertools.count(1)
        self._cancels: dict[int, threading.Event] = {}
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock:
            self.conn.send(message)

    def call(self, task: int, name: str, *args: Any) -> Any:
        """Run ``name`` in the engine and wait for its answer (the engine raises its error here)."""
        call, cid = _Call(), next(self._call_ids)
        with self._lock:
            self._calls[cid] = call
        self.send(("call", cid, task, name, args))
        call.done.wait()
        if not call.ok:
            raise unpack_error(call.value)
        return call.value

    def serve(self) -> None:
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                os._exit(0)  # the engine is gone: nothing to report to, nobody to copy for
            kind = message[0]
            if kind == "copy":
                _, task, order = message
                cancel = threading.Event()
                with self._lock:
                    self._cancels[task] = cancel
                threading.Thread(target=self._run, args=(task, order, cancel), name=f"xtract-worker-task-{task}",
                                 daemon=True).start()
            elif kind == "cancel":
                with self._lock:
                    event = self._cancels.get(message[1])
                if event is not None:
                    event.set()
            elif kind == "reply":
                _, cid, ok, value = message
                with self._lock:
                    call = self._calls.pop(cid, None)
                if call is not None:
                    call.ok, call.value = ok, value
                    call.done.set()
            elif kind == "import":
                for module in message[1]:
                    importlib.import_module(module)
                self.send(("ready",))
            elif kind == "limited":
                self.limited = bool(message[1])
            elif kind == "stop":
                break
        self.scheduler.close()

    def _run(self, task: int, order: CopyOrder, cancel: threading.Event) -> None:
        reader = writer = None
        try:
            reader = order.reader.open(lambda name, *args: self.call(task, name, *args))
            writer = order.writer.open(lambda name, *args: self.call(task, name, *args))
            result = copy_disk(reader, writer, order.extent_list(), name=order.name, scheduler=self.scheduler,
                               throttle=_Tokens(self, task), cursor=_Cursor(self, task, order.done_list()),
                               progress=lambda p: self.send(("progress", task, p)), cancel=cancel,
                               **order.options)
            self.send(("done", task, dataclasses.replace(result, worker_pid=os.getpid())))
        except BaseException as err:
            self.send(("failed", task, pack_error(err)))
        finally:
            with self._lock:
                self._cancels.pop(task, None)
            for obj in (reader, writer):  # a finished writer closed itself; a failed one keeps its target
                close = getattr(obj, "close", None)
                if callable(close):
                    with contextlib.suppress(Exception):
                        close()
            for spec in (order.reader, order.writer):
                release = getattr(spec, "release", None)
                if callable(release):
                    with contextlib.suppress(Exception):
                        release()


class _Tokens:
    """The plan's bandwidth limit, granted by the engine's one bucket; each worker sleeps its own wait off."""

    def __init__(self, worker: Worker, task: int) -> None:
        self.worker, self.task = worker, task

    def acquire(self, nbytes: int, cancel: Any = None) -> float:
        if not self.worker.limited:
            return 0.0
        wait = float(self.worker.call(self.task, TOKENS, nbytes))
        sleep_off(wait, cancel)
        return wait


class _Cursor:
    """``CursorStore`` whose saves go to the engine, which records them (after the writer's flush, as always)."""

    def __init__(self, worker: Worker, task: int, done: list[Extent]) -> None:
        self.worker, self.task, self._done = worker, task, done

    def load(self) -> list[Extent]:
        return list(self._done)

    def save(self, done: Sequence[Extent]) -> None:
        self._done = list(done)
        self.worker.send(("cursor", self.task, [(e.offset, e.length) for e in done]))

    def clear(self) -> None:
        self.save([])


def worker_main(conn: Connection, parent_pid: int, threads: int) -> None:
    """The worker process's entry (``multiprocessing`` spawn target)."""
    bind_to_parent(parent_pid)
    Worker(conn, threads).serve()
