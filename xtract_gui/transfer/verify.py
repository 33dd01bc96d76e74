"""Verification of a copy: finished chunks read back from the target, or a streamed image's content digest."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any

from ..domain.errors import IntegrityError, TransientError
from ..domain.extents import Extent
from ..engine.ports import DiskWriter
from .buffers import BufferPool
from .digest import ContentDigest, chunk_digest, is_zero
from .retry import RetryPolicy
from .scheduler import CopyScheduler

#: The digest that stands for "all zeros": such a chunk is checked with a compare, not a hash.
ZERO_CHUNK = b"zero"


def _matches(data: bytes | bytearray | memoryview, length: int, digest: bytes | None) -> bool:
    if len(data) != length:
        return False
    return is_zero(data) if digest == ZERO_CHUNK else chunk_digest(data) == digest


class ReadBack:
    """Reads chunks back from a random-access writer and compares them with their source digest (XXH3-128).

    Runs ``streams`` reads at once on the copy's scheduler.  A writer with ``read_back_view`` (a local file)
    lends a mapping of what it wrote; with a ``BufferPool`` and a writer that has ``read_back_into``, each
    chunk is read into a reused buffer; otherwise ``read_back`` allocates.
    """

    def __init__(self, writer: DiskWriter, name: str, *, retry: RetryPolicy, scheduler: CopyScheduler,
                 streams: int, buffers: BufferPool | None,
                 on_retry: Callable[[TransientError, int], None]) -> None:
        self.writer, self.name = writer, name
        self.retry, self.scheduler, self.streams = retry, scheduler, streams
        self.buffers = buffers
        self.read_back_into: Callable[[int, memoryview], int] | None = \
            getattr(writer, "read_back_into", None) if buffers is not None else None
        # A writer that can map what it wrote (a local file) is checked without copying it first.
        self.read_back_view: Callable[[int, int], AbstractContextManager[memoryview]] | None = \
            getattr(writer, "read_back_view", None)
        self.on_retry = on_retry

    def check(self, chunks: Sequence[tuple[Extent, bytes | None]]) -> int:
        """Bytes verified (0 for a writer that cannot read back); ``IntegrityError`` at the first mismatch."""
        futures: deque[Future[int]] = deque()
        verified = 0
        try:
            for ext, digest in chunks:
                while len(futures) >= self.streams:
                    verified += futures.popleft().result()
                futures.append(self.scheduler.submit(self._check_one, ext, digest))
            while futures:
                verified += futures.popleft().result()
        finally:
            for fut in futures:
                fut.cancel()
        return verified

    def _check_one(self, ext: Extent, digest: bytes | None) -> int:
        if self.read_back_view is not None:
            view_of = self.read_back_view

            def check_mapped() -> bool:
                with view_of(ext.offset, ext.length) as view:
                    return _matches(view, ext.length, digest)

            intact = self.retry.call(check_mapped, on_retry=self.on_retry)
        elif self.read_back_into is not None and self.buffers is not None:
            read_into = self.read_back_into
            with self.buffers.borrow(ext.length) as buf:
                got = self.retry.call(lambda: read_into(ext.offset, buf), on_retry=self.on_retry)
                intact = got == ext.length and _matches(buf, ext.length, digest)
        else:
            back = self.retry.call(lambda: self.writer.read_back(ext.offset, ext.length), on_retry=self.on_retry)
            if back is None:
                return 0
            intact = _matches(back, ext.length, digest)
        if not intact:
            raise IntegrityError(
                f"The copy of {self.name} is damaged at offset {ext.offset} ({ext.length} bytes): "
                "the target returned different data than was written.",
                hint="Check the health of the target storage, then restart the copy of this disk; "
                     "the damaged area will be copied again.")
        return ext.length


def check_content(writer: Any, content: ContentDigest | None, name: str) -> None:
    """Compare a streamed image's own content digest with the one of the source reads (if both exist)."""
    own = getattr(writer, "content_digest", None)
    if content is None or not callable(own):
        return
    expected, actual = content.hexdigest(), own()
    if expected != actual:
        raise IntegrityError(
            f"The image of {name} does not hold the data read from the source "
            f"(content digest {actual[:16]}… instead of {expected[:16]}…).",
            hint="The image was discarded; run the copy again. If it happens again, report it with the log.")
