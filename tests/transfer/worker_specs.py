"""Reader and writer specs for the copy worker tests: opened in a worker process, so they live in a module the
worker can import (spawn passes the test's ``sys.path`` on)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from xtract_gui.domain.extents import Extent
from xtract_gui.transfer import ImageStreamWriter, Qcow2Encoder, upload_to_file
from xtract_gui.transfer.local import FileDiskReader
from xtract_gui.transfer.workers.child import Worker


class _SlowReader(FileDiskReader):
    def __init__(self, path: str, capacity: int, delay: float, die_after: int, marker: str, once_saved: str) -> None:
        super().__init__(path, capacity)
        self.delay, self.die_after, self.marker, self.once_saved, self.reads = delay, die_after, marker, once_saved, 0

    def read_into(self, offset: int, into: memoryview) -> None:
        self.reads += 1
        if self.die_after and self.reads > self.die_after and not Path(self.marker).exists():
            deadline = time.monotonic() + 60
            while self.once_saved and not Path(self.once_saved).exists() and time.monotonic() < deadline:
                time.sleep(0.02)  # die only once the engine recorded a cursor: a resume has something to skip
            Path(self.marker).touch()  # once: the copy that follows must get through
            os.kill(os.getpid(), signal.SIGKILL)  # the worker process dies as a crash would end it
        if self.delay:
            time.sleep(self.delay)
        super().read_into(offset, into)

    def read(self, offset: int, length: int) -> bytes:
        buf = bytearray(length)
        self.read_into(offset, memoryview(buf))
        return bytes(buf)


@dataclass(frozen=True)
class SlowReaderSpec:
    """A file read ``delay`` seconds per chunk; with ``die_after`` the worker kills itself (SIGKILL) after that
    many reads, once (``marker`` remembers it), and not before the file ``once_saved`` exists."""

    path: str
    capacity: int
    delay: float = 0.0
    die_after: int = 0
    marker: str = ""
    once_saved: str = ""

    def open(self, call: Any) -> FileDiskReader:
        return _SlowReader(self.path, self.capacity, self.delay, self.die_after, self.marker, self.once_saved)


@dataclass(frozen=True)
class Qcow2FileSpec:
    """A streamed qcow2 image of ``extents``, "uploaded" into a local file."""

    path: str
    capacity: int
    extents: tuple[tuple[int, int], ...]

    def open(self, call: Any) -> ImageStreamWriter:
        encoder = Qcow2Encoder(self.capacity, [Extent(o, n) for o, n in self.extents])
        return ImageStreamWriter(encoder, upload_to_file(self.path))


@dataclass(frozen=True)
class ServiceReaderSpec:
    """Asks the engine for its file's path (a credential's stand-in) through the service ``where``."""

    capacity: int

    def open(self, call: Any) -> FileDiskReader:
        return FileDiskReader(str(call("where")), self.capacity)


def eof_only_worker(conn: Connection, parent_pid: int, threads: int) -> None:
    """A worker without the parent-death signal: only its pipe's end can stop it (macOS's one tie)."""
    Worker(conn, threads).serve()
