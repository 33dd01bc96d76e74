"""The engine process: a ``JobManager`` on the real adapters, served over one duplex pipe to the app.

App → engine: ``("call", id, name, args, kwargs)`` (a facade method, answered ``("reply", id, ok, value)``),
``("tell", name, args)`` (no answer) and ``("answer", id, ok, value)`` (to a secret request).  Engine → app:
``("ready", pid)`` or ``("refused", packed error)`` once, then ``("event", Event)``, ``("reply", …)`` and
``("secret", id, op, args)``.  Errors travel as ``transfer.workers.protocol.pack_error`` packs them.

Progress events are coalesced per VM here (the latest one every ``PROGRESS_EVERY`` seconds; any other event
sends the pending ones first, so no progress lands after the state that ends it), which keeps the app's
side of the pipe cheap however fast the copies report.

The process ends when the app asks (``close``: the running jobs stop where they stand, as on "quit"), and
when the app is gone (the pipe's EOF; on Linux also the parent-death signal): the jobs stop the same way
and a restarted app resumes them.  The engine never runs on headless: its job locks name the app as owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import queue
import threading
from concurrent.futures import Future
from itertools import count
from multiprocessing.connection import Connection
from typing import Any

from .. import paths
from ..domain.errors import XtractError
from ..engine.events import Progress
from ..logfile import setup_logging
from ..transfer.workers.lifeline import bind_to_parent
from ..transfer.workers.protocol import pack_error, unpack_error
from . import EngineOptions

log = logging.getLogger(__name__)
PROGRESS_EVERY = 0.1

# The facade's methods, and whether each runs in a thread (store work the in-process GUI also ran in one).
CALLS: dict[str, bool] = {
    "start": False, "resume_all": False, "cutover": False, "test_migration": False, "pause": False,
    "resume": False, "retry": False, "revert_guest_prep": False, "cancel": False, "close": False,
    "set_bandwidth_limit": False, "bandwidth_limit": False, "jobs_async": False, "steps_async": False,
    "log_lines_async": False, "report_html_async": False, "update_plan": True, "plan_ids": True, "plan": True,
}


class Link:
    """The child's end of the pipe: one lock for every send, and a thread that sends events in order."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._send_events, name="xtract-engine-events", daemon=True)
        self._thread.start()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._lock:
            self.conn.send(message)

    def reply(self, call_id: int, ok: bool, value: Any) -> None:
        try:
            self.send(("reply", call_id, ok, value))
        except (OSError, ValueError):
            raise  # the app is gone: nobody to tell
        except Exception as exc:  # a value that does not pickle: the caller still gets an answer
            self.send(("reply", call_id, False, pack_error(XtractError(
                "The engine could not send its answer back to the window.", detail=repr(exc)))))

    def event(self, event: Any) -> None:
        self._events.put(event)

    def finish(self) -> None:
        self._events.put(None)
        self._thread.join(timeout=10)

    def _send_events(self) -> None:
        pending: dict[str, Progress] = {}
        while True:
            try:
                event = self._events.get(timeout=PROGRESS_EVERY if pending else None)
            except queue.Empty:
                event = ...
            try:
                if isinstance(event, Progress):
                    pending[event.vm_id] = event
                    continue
                for p in pending.values():
                    self.send(("event", p))
                pending.clear()
                if event is None:
                    return
                if event is not ...:
                    self.send(("event", event))
            except (OSError, ValueError):  # the app is gone; the reader ends the process
                return
            except Exception:  # one event that does not pickle must not end the stream
                log.exception("an engine event could not be sent to the window")


class ParentSecrets:
    """The engine's ``SecretStore``: each lookup is answered by the app's store (the OS keyring, or what the
    user typed and chose not to keep) over the pipe, so no secret is ever in the child's arguments."""

    def __init__(self, link: Link) -> None:
        self.link = link
        self._ids = count(1)
        self._waiting: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()

    def get(self, service: str, username: str) -> str | None:
        return self._ask("get", service, username)  # type: ignore[no-any-return]

    def set(self, service: str, username: str, secret: str) -> None:
        self._ask("set", service, username, secret)

    def delete(self, service: str, username: str) -> None:
        self._ask("delete", service, username)

    def answered(self, call_id: int, ok: bool, value: Any) -> None:
        with self._lock:
            waiting = self._waiting.pop(call_id, None)
        if waiting is None:
            return
        if ok:
            waiting.set_result(value)
        else:
            waiting.set_exception(unpack_error(value))

    def app_gone(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for f in waiting.values():
            f.set_exception(XtractError("The window that held the passwords has closed."))

    def _ask(self, op: str, *args: str) -> Any:
        future: Future[Any] = Future()
        with self._lock:
            call_id = next(self._ids)
            self._waiting[call_id] = future
        self.link.send(("secret", call_id, op, args))
        return future.result()  # the keyring may ask the user to unlock it: as long as that takes


def main(conn: Connection, parent_pid: int, options: EngineOptions) -> None:
    """The child's entry point (spawned: ``client.RemoteManager`` starts it)."""
    bind_to_parent(parent_pid)
    paths.keep_files_private()
    setup_logging("engine")
    try:
        asyncio.run(_serve(conn, options))
    except BaseException:
        log.exception("the engine process ended with an error")
        raise
    finally:
        conn.close()


async def _serve(conn: Connection, options: EngineOptions) -> None:
    from ..wiring import build_manager  # the adapters load here, in the child, never in the app's process

    loop = asyncio.get_running_loop()
    link = Link(conn)
    secrets = ParentSecrets(link)
    stop = asyncio.Event()
    calls: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
    reader = threading.Thread(target=_read, args=(conn, loop, calls, secrets, stop), name="xtract-engine-pipe",
                              daemon=True)
    reader.start()
    try:
        manager = await asyncio.to_thread(build_manager, secrets=secrets, state_dir=options.state_dir,
                                          tuning=options.tuning, owner=options.owner)
    except BaseException as exc:
        log.exception("the engine could not be built")
        with contextlib.suppress(OSError, ValueError):
            link.send(("refused", pack_error(exc)))
        link.finish()
        return
    unsubscribe = manager.subscribe(link.event)
    link.send(("ready", os.getpid()))
    running: set[asyncio.Task[None]] = set()
    closed = False
    while not stop.is_set():
        getter = asyncio.ensure_future(calls.get())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not getter.done():
            getter.cancel()
            break
        message = getter.result()
        if message[0] == "tell":
            _tell(manager, message[1], message[2])
            continue
        _, call_id, name, args, kwargs = message
        if name == "close":
            await _answer(link, manager, call_id, name, args, kwargs)
            closed = True
            break
        task = asyncio.ensure_future(_answer(link, manager, call_id, name, args, kwargs))
        running.add(task)
        task.add_done_callback(running.discard)
    if not closed:  # the app is gone: stop the jobs where they stand, as its "quit" would have
        log.info("the window is gone; the engine stops its jobs (a restart resumes them)")
        await manager.close()
    unsubscribe()
    link.finish()


def _read(conn: Connection, loop: asyncio.AbstractEventLoop, calls: asyncio.Queue[tuple[Any, ...]],
          secrets: ParentSecrets, stop: asyncio.Event) -> None:
    try:
        while True:
            message = conn.recv()
            if message[0] == "answer":
                secrets.answered(message[1], message[2], message[3])
            else:
                loop.call_soon_threadsafe(calls.put_nowait, message)
    except (EOFError, OSError):
        pass
    secrets.app_gone()
    with contextlib.suppress(RuntimeError):  # the loop has ended already
        loop.call_soon_threadsafe(stop.set)


def _tell(manager: Any, name: str, args: tuple[Any, ...]) -> None:
    try:
        if CALLS.get(name) is False and not inspect.iscoroutinefunction(getattr(manager, name)):
            getattr(manager, name)(*args)
        else:
            log.warning("the window told the engine %r, which is not a plain call", name)
    except Exception:
        log.exception("the engine could not do %s", name)


async def _answer(link: Link, manager: Any, call_id: int, name: str, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> None:
    try:
        if name not in CALLS:
            raise XtractError(f"The engine has no call named {name!r}.")
        fn = getattr(manager, name)
        if CALLS[name]:
            value = await asyncio.to_thread(fn, *args, **kwargs)
        else:
            value = fn(*args, **kwargs)
            if inspect.isawaitable(value):
                value = await value
    except BaseException as exc:
        with contextlib.suppress(OSError, ValueError):
            link.send(("reply", call_id, False, pack_error(exc)))
        if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt | SystemExit):
            raise
        return
    with contextlib.suppress(OSError, ValueError):
        link.reply(call_id, True, value)
