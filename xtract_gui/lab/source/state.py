"""The lab source's state on disk: one JSON document guarded by a cross-process file lock.

The CLI and ``xtract-gui lab serve`` may open the same lab at once, so every change is a
read-modify-write of ``state.json`` under an exclusive lock on ``state.lock``.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

if os.name == "nt":  # pragma: no cover - the frozen Windows app
    import msvcrt

    def _lock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_LOCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Exclusive lock between processes and threads (each holder opens its own descriptor)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _lock(fd)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


class StateFile:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "state.json"
        self.lock_path = root / "state.lock"
        self._thread_lock = threading.RLock()

    def exists(self) -> bool:
        return self.path.exists()

    def read(self) -> dict[str, Any]:
        with self._thread_lock, file_lock(self.lock_path):
            return self._load()

    @contextmanager
    def edit(self) -> Iterator[dict[str, Any]]:
        """Yield the state for changing; written back atomically when the block ends without error."""
        with self._thread_lock, file_lock(self.lock_path):
            data = self._load()
            yield data
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))
