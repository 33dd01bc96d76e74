"""Blocking writes (SQLite, log files) off the event loop, in the order they were made.

Under the GUI the engine's event loop is the GUI thread (qasync): a commit or a log line that waits for a
slow disk there is a frozen window.  A ``SerialWriter`` owns one thread that does every write (and read) of
one resource in submission order.  A caller on a thread that runs an event loop does not wait for its write:
it is queued and the call returns.  Any other thread (an executor, a copy worker's engine thread) waits for
the result, as before.  Reads always wait, behind the writes queued before them, so a reader sees its own
writes.  ``barrier`` waits until everything queued so far is done: a side effect that must come after a
journaled intent waits there first (``JobContext.call``).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
_log = logging.getLogger("xtract_gui.engine")
_STOP = object()


def on_event_loop() -> bool:
    """True on a thread whose event loop is running now (the GUI thread under qasync, ``asyncio.run``'s)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class SerialWriter:
    def __init__(self, name: str) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._failure: BaseException | None = None  # of a write nobody waited for
        self.queued_from_loop = 0  # writes the loop handed over without waiting (tests look)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._ident: int | None = None
        self._closed = False
        self._thread.start()

    def _serve(self) -> None:
        self._ident = threading.get_ident()
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            fn, future = item
            try:
                result = fn()
            except BaseException as err:
                if future is None:
                    self._failure = err
                    _log.exception("%s: a write failed", self.name)
                else:
                    future.set_exception(err)
            else:
                if future is not None:
                    future.set_result(result)
            # Drop the last job's references now: an owner nobody holds any more must be free to go.
            del item, fn, future
            result = None

    def _here(self) -> bool:
        return threading.get_ident() == self._ident

    def read(self, fn: Callable[[], T]) -> T:
        """``fn()`` on the writer's thread after everything queued before it; waits for the answer."""
        if self._here() or self._closed:
            return fn()
        future: Future[T] = Future()
        self._queue.put((fn, future))
        return future.result()

    def write(self, fn: Callable[[], T], *, wait: bool | None = None) -> T | None:
        """``fn()`` on the writer's thread; the result, or None when the caller is the event loop (not waited for).

        ``wait`` overrides: True waits even on the loop (a result the loop needs), False never waits.
        """
        if self._here() or self._closed:
            return fn()
        if wait is None:
            wait = not on_event_loop()
        if wait:
            return self.read(fn)
        self.queued_from_loop += 1
        self._queue.put((fn, None))
        return None

    def barrier(self) -> None:
        """Wait until every write queued so far is done; raise the failure of one that nobody waited for."""
        self.read(lambda: None)
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def close(self) -> None:
        """Finish what is queued, then stop the thread (later calls run on the caller's thread)."""
        if self._closed:
            return
        if not self._here():
            self.read(lambda: None)
            self._queue.put(_STOP)
            self._thread.join(timeout=30)
        self._closed = True
