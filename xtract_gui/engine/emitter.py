"""Fan-out of engine events to subscribers, plus the per-VM log (file and in-memory tail).

Every event is delivered on the engine's loop thread; worker threads hand theirs over with
``call_soon_threadsafe``.  Log text is scrubbed here, once, so no sink or file ever sees a secret.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from ..domain.redact import scrub
from .events import Event, LogLine

_log = logging.getLogger("xtract_gui.engine")
_log.addHandler(logging.NullHandler())  # the app decides where engine logs go; never Python's last resort
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


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
        self._file_lock = threading.Lock()

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def add_secrets(self, secrets: Iterable[str]) -> None:
        """Values to mask in every log line (resolved passwords; never stored anywhere)."""
        self._secrets.update(s for s in secrets if s)

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
        self._tails.setdefault(vm_id, deque(maxlen=self._tail)).append(line)
        self._write_file(line)
        _log.log(getattr(logging, level, logging.INFO), "%s %s", self._names.get(vm_id, vm_id), line.message)
        self.emit(line)

    def tail(self, vm_id: str, limit: int) -> list[LogLine]:
        lines = list(self._tails.get(vm_id, ()))
        if not lines:
            lines = self._read_file(vm_id)
        return lines[-limit:]

    def log_path(self, vm_id: str) -> Path:
        name = _SAFE.sub("_", self._names.get(vm_id, vm_id)) or "plan"
        return self._log_dir / f"xtract-{name}.log"

    def _write_file(self, line: LogLine) -> None:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(line.at))
        text = f"{stamp} {line.level:<7} {line.message}\n"
        with self._file_lock:
            try:
                self._log_dir.mkdir(parents=True, exist_ok=True)
                with open(self.log_path(line.vm_id), "a", encoding="utf-8") as f:
                    f.write(text)
            except OSError:
                _log.warning("cannot write the VM log %s", self.log_path(line.vm_id))

    def _read_file(self, vm_id: str) -> list[LogLine]:
        path = self.log_path(vm_id)
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
