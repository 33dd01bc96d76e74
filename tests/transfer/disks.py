"""Test disks and instrumented readers/writers for the transfer tests."""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from xtract_gui.domain.errors import TransientError, XtractError
from xtract_gui.domain.extents import Extent, normalize
from xtract_gui.transfer import FileDiskReader, LocalFileWriter, content_digest_of

KiB = 1024
MiB = 1024 * KiB


def make_disk(path: Path, capacity: int, extents: Sequence[Extent], *, seed: int = 1) -> list[Extent]:
    """A sparse raw file of ``capacity`` with pseudo-random bytes in ``extents``; returns them normalized."""
    rng = random.Random(seed)
    runs = normalize(extents, capacity=capacity)
    with path.open("wb") as f:
        f.truncate(capacity)
        for e in runs:
            f.seek(e.offset)
            f.write(rng.randbytes(e.length))
    return runs


def random_extents(capacity: int, count: int, *, seed: int = 2, max_len: int = 3 * MiB) -> list[Extent]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        off = rng.randrange(0, capacity)
        out.append(Extent(off, rng.randrange(1, max_len)))
    return normalize(out, capacity=capacity)


def sha_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def qemu_img(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["qemu-img", *args], capture_output=True, text=True, timeout=120, check=False)


def assert_qemu_accepts(image: Path, source: Path, capacity: int, fmt: str = "qcow2") -> None:
    check = qemu_img("check", "--output=json", str(image))
    assert check.returncode == 0, check.stdout + check.stderr
    assert json.loads(check.stdout)["check-errors"] == 0
    info = json.loads(qemu_img("info", "--output=json", str(image)).stdout)
    assert (info["format"], info["virtual-size"]) == (fmt, capacity)
    cmp = qemu_img("compare", "-f", "raw", "-F", fmt, str(source), str(image))
    assert cmp.returncode == 0, cmp.stdout + cmp.stderr


def disk_digest(path: Path, capacity: int) -> str:
    data = path.read_bytes()
    return content_digest_of(capacity, ((o, data[o:o + MiB]) for o in range(0, capacity, MiB)))


class InstrumentedReader:
    """A ``FileDiskReader`` that records reads and can misbehave on cue.

    ``transient_failures``: the first N reads raise ``TransientError``.
    ``fail_at``: a read covering that offset raises a permanent ``XtractError`` (once, or always).
    ``after_read``: called with the number of reads done (e.g. to set a cancel event).
    ``alive``/``peak_alive``: chunks handed out and not yet written (the writer side decrements).
    """

    def __init__(self, path: Path, *, transient_failures: int = 0, fail_at: int | None = None,
                 fail_once: bool = True, after_read: Callable[[int], None] | None = None,
                 gate: Callable[[int], None] | None = None) -> None:
        self._inner = FileDiskReader(path)
        self.capacity = self._inner.capacity
        self._lock = threading.Lock()
        self.reads: list[Extent] = []
        self.transient_left = transient_failures
        self.fail_at = fail_at
        self.fail_once = fail_once
        self.after_read = after_read
        self.gate = gate
        self.alive = 0
        self.peak_alive = 0

    def read(self, offset: int, length: int) -> bytes:
        if self.gate is not None:
            self.gate(offset)
        with self._lock:
            if self.transient_left > 0:
                self.transient_left -= 1
                raise TransientError("connection reset by peer (injected)")
            if self.fail_at is not None and offset <= self.fail_at < offset + length:
                if self.fail_once:
                    self.fail_at = None
                raise XtractError("the datastore refused the read (injected)",
                                  hint="Check the datastore.")
        data = self._inner.read(offset, length)
        with self._lock:
            self.reads.append(Extent(offset, length))
            self.alive += 1
            self.peak_alive = max(self.peak_alive, self.alive)
            n = len(self.reads)
        if self.after_read is not None:
            self.after_read(n)
        return data

    def released(self) -> None:
        with self._lock:
            self.alive -= 1

    def bytes_read(self) -> int:
        return sum(e.length for e in self.reads)

    def close(self) -> None:
        self._inner.close()


class CountingWriter(LocalFileWriter):
    """A ``LocalFileWriter`` that tells the reader when a chunk's bytes are gone (written)."""

    def __init__(self, path: Path, capacity: int, reader: InstrumentedReader, **kw: bool) -> None:
        super().__init__(path, capacity, **kw)  # type: ignore[arg-type]
        self.reader = reader

    def write(self, offset: int, data: bytes) -> None:
        super().write(offset, data)
        self.reader.released()


class LyingWriter(LocalFileWriter):
    """Stores one byte wrong at ``bad_offset``: a disk that corrupts silently (every read back sees it)."""

    def __init__(self, path: Path, capacity: int, bad_offset: int) -> None:
        super().__init__(path, capacity)
        self.bad_offset = bad_offset

    def write(self, offset: int, data: bytes) -> None:
        if offset <= self.bad_offset < offset + len(data):
            damaged = bytearray(data)
            damaged[self.bad_offset - offset] ^= 0x01
            data = bytes(damaged)
        super().write(offset, data)
