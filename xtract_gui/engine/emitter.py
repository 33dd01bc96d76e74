"""Fan-out of engine events to subscribers, plus the per-VM log (file and in-memory tail).

Every event is delivered on the engine's loop thread; worker threads hand theirs over with
``call_soon_threadsafe``.  Log text is scrubbed here, once, so no sink or file ever sees a secret.

Each VM's log file stays open while its job runs (an open/append/close per line on the loop thread
is what made long copies stutter); the handle is line-buffered.  Files are written by the emitter's own
thread (``offloop.SerialWriter``), in order: a line logged on the event loop (the GUI thread under qasync)
is handed over and reaches the file a moment later, so a slow disk never freezes the window; a line
logged from any other thread is in the file once ``log`` returns.  Handles are closed when the job stops running
(``close_log``), when its plan's session closes, when the emitter closes, and past ``MAX_OPEN_LOGS``
the least recently written one goes, so a long session never runs out of file descriptors.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from ..domain.redact import scrub
from .events import Event, LogLine
from .naming import legacy_log_name, log_name
from .offloop import SerialWriter

_log = logging.getLogger("xtract_gui.engine")
_log.addHandler(logging.NullHandler())  # the app decides where engine logs go; never Python's last resort
MAX_OPEN_LOGS = 64


class Emitter:
    def __init__(self, log_dir: Path, *, tail: int = 2000) -> None:
        self._sinks: list[Callable[[Event], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._tails: dict[str, deque[LogLine]] = {}
        self._tail = tail
        self._log_dir = log_dir
        self._names: dict[str, str] = {}
        self._secrets: set[str] = set()
        self._secrets_lock = threading.Lock()
        self._file_lock = threading.Lock()
        self._tail_lock = threading.Lock()
        self._files: OrderedDict[str, tuple[Path, TextIO]] = OrderedDict()  # vm_id -> open log, oldest first
        self._writer = SerialWriter("xtract-logs")
        # An emitter dropped without close() (a manager nobody closed) still closes its files, explicitly
        # rather than through the file objects' finalizers, which warn.
        weakref.finalize(self, _drop, self._files, self._file_lock, self._writer)

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Values to mask in every log line (resolved passwords; never stored anywhere)."""
        # Copy on write: sessions add secrets from worker threads while log() iterates the set on the loop;
        # the lock keeps two sessions adding at once from losing one.
        with self._secrets_lock:
            self._secrets = self._secrets | {s for s in secrets if s}

    def name_vm(self, vm_id: str, name: str) -> None:
        self._names[vm_id] = name

    def subscribe(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        self._sinks.append(sink)

        def unsubscribe() -> None:
            if sink in self._sinks:
                self._sinks.remove(sink)

        return unsubscribe

    def emit(self, event: Event) -> None:
        loop = self._loop
        if loop is not None and threading.get_ident() != self._loop_thread and not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, event)
        else:
            self._deliver(event)

    def _deliver(self, event: Event) -> None:
        for sink in list(self._sinks):
            try:
                sink(event)
            except Exception:  # a broken subscriber must not stop a migration
                _log.exception("event sink failed")

    def log(self, vm_id: str, level: str, message: str) -> None:
        line = LogLine(vm_id=vm_id, level=level, message=scrub(message, self._secrets))
        with self._tail_lock:
            self._tails.setdefault(vm_id, deque(maxlen=self._tail)).append(line)
        path, stamp = self.log_path(vm_id), time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(line.at))
        self._writer.write(lambda: self._write_file(path, stamp, line))
        _log.log(getattr(logging, level, logging.INFO), "%s %s", self._names.get(vm_id, vm_id), line.message)
        self.emit(line)

    def tail(self, vm_id: str, limit: int) -> list[LogLine]:
        with self._tail_lock:  # views read the tail off the loop's thread while lines arrive
            lines = list(self._tails.get(vm_id, ()))
        if not lines:
            lines = self._writer.read(lambda: self._read_file(vm_id))  # behind the lines still being written
        return lines[-limit:]

    def log_path(self, vm_id: str) -> Path:
        """Unique per VM (two VMs whose names fold to the same ASCII never share a log)."""
        return self._log_dir / log_name(self._names.get(vm_id, ""), vm_id)

    def close_log(self, vm_id: str) -> None:
        """Close the VM's log file (its job stopped running); a later line opens it again."""
        def run() -> None:
            with self._file_lock:
                entry = self._files.pop(vm_id, None)
            if entry is not None:
                _close(entry[1])

        self._writer.write(run)

    def close(self) -> None:
        """Write what is queued, close every open log file (the engine is shutting down)."""
        self._writer.write(lambda: _close_all(self._files, self._file_lock), wait=True)
        self._writer.close()

    def flush(self) -> None:
        """Wait until every line logged so far is in its file."""
        self._writer.barrier()

    def open_logs(self) -> list[Path]:
        """The log files held open right now."""
        with self._file_lock:
            return [path for path, _ in self._files.values()]

    def _handle(self, vm_id: str, path: Path) -> TextIO:
        """The VM's open log at ``path`` (caller holds ``_file_lock``); reopened when the VM got its name since."""
        entry = self._files.get(vm_id)
        if entry is not None and entry[0] == path:
            self._files.move_to_end(vm_id)
            return entry[1]
        if entry is not None:
            del self._files[vm_id]
            _close(entry[1])
        self._log_dir.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a", encoding="utf-8", buffering=1)  # noqa: SIM115 - kept open across lines
        self._files[vm_id] = (path, handle)
        while len(self._files) > MAX_OPEN_LOGS:
            _close(self._files.popitem(last=False)[1][1])
        return handle

    def _write_file(self, path: Path, stamp: str, line: LogLine) -> None:
        """On the writer thread; ``path`` as it was when the line was logged (the VM's name may come later)."""
        text = f"{stamp} {line.level:<7} {line.message}\n"
        with self._file_lock:
            try:
                self._handle(line.vm_id, path).write(text)  # line-buffered: on disk when this returns
            except OSError:
                entry = self._files.pop(line.vm_id, None)
                if entry is not None:  # a broken handle (disk gone, file system full): try afresh next line
                    _close(entry[1])
                _log.warning("cannot write the VM log %s", path)

    def _read_file(self, vm_id: str) -> list[LogLine]:
        path = self.log_path(vm_id)
        if not path.exists():
            path = self._log_dir / legacy_log_name(self._names.get(vm_id, ""), vm_id)
        if not path.exists():
            return []
        out = []
        for raw in path.read_text(encoding="utf-8", errors="replace").splitlines()[-self._tail:]:
            parts = raw.split(None, 2)
            if len(parts) == 3:
                try:
                    at = time.mktime(time.strptime(parts[0], "%Y-%m-%dT%H:%M:%S"))
                except ValueError:
                    at = 0.0
                out.append(LogLine(vm_id=vm_id, level=parts[1], message=parts[2], at=at))
        return out


def _close(handle: TextIO) -> None:
    try:
        handle.close()
    except OSError:  # the last flush failed: the line is lost either way; the handle must go
        _log.warning("cannot close the VM log %s", getattr(handle, "name", "?"))


def _drop(files: OrderedDict[str, tuple[Path, TextIO]], lock: threading.Lock, writer: SerialWriter) -> None:
    writer.close()
    _close_all(files, lock)


def _close_all(files: OrderedDict[str, tuple[Path, TextIO]], lock: threading.Lock) -> None:
    with lock:
        entries = list(files.values())
        files.clear()
    for _, handle in entries:
        _close(handle)
