"""Chunk buffers reused across chunks, for readers that fill a buffer and writers that do not keep it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class BufferPool:
    """Buffers of ``size`` bytes, one per concurrent borrower, handed out again and again.

    A fresh 4 MiB ``bytearray`` per chunk costs a zeroing pass and, once the allocator returns it to the
    kernel, a page fault per 4 KiB on the next one: measurable CPU per GiB on a fast link.  The pool
    holds as many buffers as were ever borrowed at once, which the copy engine bounds by its streams.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.allocated = 0
        self._free: list[bytearray] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def borrow(self, length: int) -> Iterator[memoryview]:
        """A view of ``length`` bytes (≤ ``size``) of a buffer nobody else holds until the block ends."""
        if length > self.size:
            raise ValueError(f"a {length}-byte chunk does not fit the pool's {self.size}-byte buffers")
        with self._lock:
            buf = self._free.pop() if self._free else None
            if buf is None:
                self.allocated += 1
        if buf is None:
            buf = bytearray(self.size)
        try:
            yield memoryview(buf)[:length]
        finally:
            with self._lock:
                self._free.append(buf)
