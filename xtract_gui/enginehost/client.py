"""The app's side of the engine process: ``RemoteManager``, a ``JobManager`` facade of the same shape.

One thread (``xtract-engine-link``) starts the child and then only reads its pipe: events go to the
subscribers (the GUI's bridge, which queues them onto the GUI thread), replies complete the callers'
futures, and the child's secret lookups are answered by the app's ``SecretStore`` in a thread of their own
(the keyring may take a while).  The thread that started the child lives as long as the child, because
Linux's parent-death signal follows the starting *thread* (``transfer/workers/lifeline.py``).

If the child dies, every waiting call fails with ``EngineLostError`` (saying what to do), later calls fail
at once, and the subscribers get one ``EngineLost`` event for the window to show.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import logging
import multiprocessing
import os
import socket
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from multiprocessing import connection
from multiprocessing.connection import wait
from typing import Any

from ..domain.errors import XtractError
from ..domain.plan import Plan
from ..engine.events import EngineLost, Event, LogLine, StepChanged
from ..engine.views import JobSnapshot
from ..transfer.workers.lifeline import adopt
from ..transfer.workers.protocol import pack_error, unpack_error
from . import EngineOptions

log = logging.getLogger(__name__)
START_TIMEOUT = 120.0  # a cold start imports pyVmomi, requests and the lab in the child
CLOSE_TIMEOUT = 60.0  # what close() waits for the jobs to stop before it ends the child


class EngineLostError(XtractError):
    """The engine process ended while the app still needed it."""


class RemoteManager:
    """The engine's facade as the GUI uses it; the engine itself runs in a child process."""

    def __init__(self, *, secrets: Any, options: EngineOptions) -> None:
        self._secrets = secrets
        self._sinks: list[Callable[[Event], None]] = []
        self._pending: dict[int, Future[Any]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._lost: EngineLostError | None = None
        self._closing = False
        self._ready: Future[int] = Future()
        self._answers = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xtract-engine-secrets")
        self._conn: Any = None
        self.process: Any = None
        self._thread = threading.Thread(target=self._serve, args=(options,), name="xtract-engine-link", daemon=True)

    @classmethod
    def launch(cls, *, secrets: Any, options: EngineOptions, timeout: float = START_TIMEOUT) -> RemoteManager:
        """Start the child and wait until its engine is built (blocking: call it off the GUI thread)."""
        manager = cls(secrets=secrets, options=options)
        manager._thread.start()
        try:
            manager._ready.result(timeout=timeout)
        except TimeoutError:
            manager._kill()
            raise EngineLostError(f"The migration engine did not start within {timeout:.0f} seconds.",
                                  hint="See the log for why, then start xtract-gui again.") from None
        return manager

    @property
    def pid(self) -> int:
        return int(self.process.pid) if self.process is not None else 0

    @property
    def closed(self) -> bool:
        """Closing or gone: a reader that fails now has nothing to try again (the window was told if unexpected)."""
        return self._closing or self._lost is not None

    # -- the facade ---------------------------------------------------------------------------------
    def subscribe(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        with self._lock:
            self._sinks.append(sink)

        def unsubscribe() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._sinks.remove(sink)

        return unsubscribe

    async def start(self, plan: Plan) -> str:
        return str(await self._call("start", plan))

    async def resume_all(self) -> None:
        await self._call("resume_all")

    async def cutover(self, vm_ids: Sequence[str], *, requested_by: str) -> None:
        await self._call("cutover", list(vm_ids), requested_by=requested_by)

    async def test_migration(self, vm_ids: Sequence[str], *, undo: bool = False) -> None:
        await self._call("test_migration", list(vm_ids), undo=undo)

    async def pause(self, vm_ids: Sequence[str]) -> None:
        await self._call("pause", list(vm_ids))

    async def resume(self, vm_ids: Sequence[str]) -> None:
        await self._call("resume", list(vm_ids))

    async def retry(self, vm_ids: Sequence[str]) -> None:
        await self._call("retry", list(vm_ids))

    async def revert_guest_prep(self, vm_ids: Sequence[str]) -> None:
        await self._call("revert_guest_prep", list(vm_ids))

    async def cancel(self, vm_ids: Sequence[str], *, undo_guest: bool = False) -> None:
        await self._call("cancel", list(vm_ids), undo_guest=undo_guest)

    def set_bandwidth_limit(self, mbps: float) -> None:
        """Told, not asked: the GUI thread never waits for the engine."""
        self._send(("tell", "set_bandwidth_limit", (float(mbps),)))

    async def bandwidth_limit_async(self) -> float:
        return float(await self._call("bandwidth_limit"))

    def bandwidth_limit(self) -> float:
        return float(self._request("bandwidth_limit").result())

    async def jobs_async(self) -> list[JobSnapshot]:
        return list(await self._call("jobs_async"))

    async def steps_async(self, vm_id: str) -> list[StepChanged]:
        return list(await self._call("steps_async", vm_id))

    async def log_lines_async(self, vm_id: str, limit: int = 500) -> list[LogLine]:
        return list(await self._call("log_lines_async", vm_id, limit))

    async def report_html_async(self) -> str:
        return str(await self._call("report_html_async"))

    # Blocking forms, for callers that already run in a thread of their own.
    def plan_ids(self) -> list[str]:
        return list(self._request("plan_ids").result())

    def plan(self, plan_id: str) -> Plan:
        return self._request("plan", plan_id).result()  # type: ignore[no-any-return]

    def update_plan(self, plan_id: str, plan: Plan) -> list[str]:
        return list(self._request("update_plan", plan_id, plan).result())

    async def close(self) -> None:
        """Stop the jobs where they stand (a restart resumes them) and end the child."""
        self._closing = True
        if self._lost is None:
            try:
                await asyncio.wait_for(self._call("close"), CLOSE_TIMEOUT)
            except (XtractError, TimeoutError):
                log.warning("the engine did not close in time; ending it", exc_info=True)
        await asyncio.to_thread(self._thread.join, 10)
        self._kill()
        atexit.unregister(self._at_exit)
        self._answers.shutdown(wait=False, cancel_futures=True)

    # -- the pipe ---------------------------------------------------------------------------------
    async def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.wrap_future(self._request(name, *args, **kwargs))

    def _request(self, name: str, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            lost = self._lost
            call_id = next(self._ids)
            if lost is None:
                self._pending[call_id] = future
        if lost is not None:
            future.set_exception(lost)
            return future
        try:
            self._send(("call", call_id, name, args, kwargs))
        except Exception as exc:
            with self._lock:
                self._pending.pop(call_id, None)
            if not future.done():
                future.set_exception(exc if isinstance(exc, XtractError) else self._lost_error(repr(exc)))
        return future

    def _send(self, message: tuple[Any, ...]) -> None:
        if self._lost is not None:
            raise self._lost
        with self._lock:
            conn = self._conn
            if conn is None:
                raise self._lost_error("not started")
            try:
                conn.send(message)
            except (OSError, ValueError) as exc:
                raise self._lost_error(repr(exc)) from exc

    def _serve(self, options: EngineOptions) -> None:
        from .server import main

        ctx = multiprocessing.get_context("spawn")
        try:
            here, there = ctx.Pipe(duplex=True)
            # Not a daemon: daemonic processes may not start children, and the engine starts the copy workers.
            process = ctx.Process(target=main, args=(there, os.getpid(), options), name="xtract-engine")
            process.start()  # from this thread, which lives as long as the child (see the module's docstring)
            there.close()
            adopt(process)
        except BaseException as exc:
            self._ready.set_exception(self._lost_error(repr(exc)))
            return
        with self._lock:
            self._conn, self.process = here, process
        # multiprocessing joins a non-daemon child when the interpreter exits, and this child waits for the
        # pipe's EOF: an app that ends without close() (a start-up cut short) would hang there.  atexit runs
        # this before multiprocessing's own handler (registered earlier, run later).
        atexit.register(self._at_exit)
        try:
            while True:
                try:
                    ready = wait([here, process.sentinel])
                    if here not in ready:
                        break
                    message = here.recv()
                except (EOFError, OSError, ValueError):  # the child is gone, or this end was closed (at exit)
                    break
                self._handle(message)
        finally:
            process.join(timeout=5)
            self._gone(process.exitcode)

    def _handle(self, message: tuple[Any, ...]) -> None:
        kind = message[0]
        if kind == "event":
            with self._lock:
                sinks = list(self._sinks)
            for sink in sinks:
                try:
                    sink(message[1])
                except Exception:
                    log.exception("an engine event subscriber failed")
        elif kind == "reply":
            with self._lock:
                future = self._pending.pop(message[1], None)
            if future is not None:
                if message[2]:
                    future.set_result(message[3])
                else:
                    future.set_exception(unpack_error(message[3]))
        elif kind == "secret":
            self._answers.submit(self._answer_secret, message[1], message[2], message[3])
        elif kind == "ready":
            self._ready.set_result(int(message[1]))
        elif kind == "refused":
            self._ready.set_exception(unpack_error(message[1]))

    def _answer_secret(self, call_id: int, op: str, args: tuple[str, ...]) -> None:
        try:
            if op not in ("get", "set", "delete"):
                raise XtractError(f"The engine asked for an unknown secret operation {op!r}.")
            answer: tuple[Any, ...] = ("answer", call_id, True, getattr(self._secrets, op)(*args))
        except Exception as exc:
            answer = ("answer", call_id, False, pack_error(exc))
        with contextlib.suppress(XtractError):
            self._send(answer)

    def _lost_error(self, why: str) -> EngineLostError:
        return EngineLostError("The migration engine has stopped.",
                               hint="Your jobs keep their state: start xtract-gui again to resume them "
                                    "(the log says why it stopped).", detail=why)

    def _gone(self, exitcode: int | None) -> None:
        lost = self._lost_error(f"exit code {exitcode}")
        with self._lock:
            self._lost = lost
            pending, self._pending = self._pending, {}
            sinks = list(self._sinks)
            if self._conn is not None:
                self._conn.close()
        for future in pending.values():
            if not future.done():
                future.set_exception(lost)
        if not self._ready.done():
            self._ready.set_exception(lost)
            return
        if not self._closing:
            log.error("the engine process ended unexpectedly (exit code %s)", exitcode)
            for sink in sinks:
                with contextlib.suppress(Exception):
                    sink(EngineLost(str(lost)))

    def _at_exit(self) -> None:
        process = self.process
        if process is None or not process.is_alive():
            return
        self._closing = True
        self.hang_up()  # the EOF: the engine stops its jobs where they stand and leaves
        process.join(timeout=CLOSE_TIMEOUT / 4)
        self._kill()

    def hang_up(self) -> None:
        """End the pipe now, as the app's death would: the child reads EOF.  A plain close() is not that while
        the link thread still polls the pipe (the poll keeps the socket open), so shut the socket down first."""
        with self._lock:
            conn = self._conn
            if conn is None or conn.closed:
                return
            if hasattr(socket, "AF_UNIX") and not isinstance(conn, getattr(connection, "PipeConnection", ())):
                with contextlib.suppress(OSError), socket.socket(fileno=os.dup(conn.fileno())) as sock:
                    sock.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _kill(self) -> None:
        process = self.process
        if process is not None and process.is_alive():
            process.terminate()
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
