"""Checksums: per-chunk SHA-256 for read-back verification, and a content digest for streamed images.

The *content digest* names what a disk holds independently of how it was
chunked, compressed or laid out: SHA-256 over, for every 64 KiB block of the
disk (aligned to disk offsets) that is not all zeros, the block's offset as
8 big-endian bytes followed by its bytes (the last block may be short).
Zero blocks contribute nothing, so a sparse image and the raw disk it came
from have the same digest.  The copy engine computes it from the source
reads, an image writer from what it put into the image; anyone holding the
resulting disk (a ``DiskReader`` over it, ``qemu-img convert`` output) can
recompute it with ``content_digest_of``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

BLOCK = 64 * 1024
_ZERO_BLOCK = bytes(BLOCK)


def _zeros(n: int) -> bytes:
    # bytes(n) is calloc: untouched zero pages, so a big comparison buffer costs almost nothing.
    return _ZERO_BLOCK if n == BLOCK else bytes(n)


def is_zero(data: bytes | bytearray | memoryview) -> bool:
    """True when every byte is 0.

    ``bytes == bytes`` is one memcmp (it stops at the first non-zero byte, so
    real data costs nothing); memoryview comparisons go element by element and
    are ten times slower, hence the conversion of views first.
    """
    if isinstance(data, memoryview):
        # Most data blocks have a non-zero byte among their first few: decide those without a copy.
        if len(data) >= 16 and data[:16].tobytes() != _ZERO_BLOCK[:16]:
            return False
        data = data.tobytes()
    return data == _zeros(len(data))


def chunk_sha256(data: bytes | memoryview) -> bytes:
    return hashlib.sha256(data).digest()


class ContentDigest:
    """Feed ``update(offset, data)`` in increasing offset order; gaps read as zeros.

    ``capacity`` is the disk size: the last block of the disk is short, every
    other block is hashed at full length (zero-padded) whatever was fed.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._h = hashlib.sha256()
        self._pos = 0  # next disk offset expected
        # Bytes of the block holding ``_pos``, from its start: ``len(_pending) == _pos % BLOCK``.
        self._pending = bytearray()

    def update(self, offset: int, data: bytes | memoryview) -> None:
        if offset < self._pos:
            raise ValueError(f"content digest fed out of order: {offset} < {self._pos}")
        if offset + len(data) > self.capacity:
            raise ValueError(f"content digest fed beyond the disk end: {offset + len(data)} > {self.capacity}")
        if offset > self._pos:
            self._skip_to(offset)
        mv = memoryview(data)
        i = 0
        if self._pending:
            take = min(len(mv), BLOCK - len(self._pending))
            self._pending += mv[:take]
            i = take
            if len(self._pending) == BLOCK:
                self._emit(self._pos + take - BLOCK, self._pending)
                self._pending = bytearray()
        pos = self._pos + i
        while len(mv) - i >= BLOCK:
            self._emit(pos, mv[i:i + BLOCK])
            i += BLOCK
            pos += BLOCK
        if i < len(mv):
            self._pending += mv[i:]
            pos += len(mv) - i
        self._pos = pos

    def _skip_to(self, offset: int) -> None:
        if self._pending:
            block_start = self._pos - len(self._pending)
            fill = min(offset, block_start + BLOCK) - self._pos
            self._pending += bytes(fill)
            self._pos += fill
            if len(self._pending) == BLOCK:
                self._emit(block_start, self._pending)
                self._pending = bytearray()
        if offset > self._pos:
            self._pos = offset
            self._pending = bytearray(offset % BLOCK)

    def _emit(self, offset: int, block: bytes | bytearray | memoryview) -> None:
        if not is_zero(block):
            self._h.update(offset.to_bytes(8, "big"))
            self._h.update(block)

    def hexdigest(self) -> str:
        """The digest of the whole disk, taking everything not fed as zeros."""
        h = self._h.copy()
        if self._pending and not is_zero(self._pending):
            block_start = self._pos - len(self._pending)
            h.update(block_start.to_bytes(8, "big"))
            h.update(self._pending)
            h.update(bytes(min(BLOCK, self.capacity - block_start) - len(self._pending)))
        return h.hexdigest()


def content_digest_of(capacity: int, pieces: Iterable[tuple[int, bytes]]) -> str:
    """Content digest of a disk from ``(offset, data)`` pieces given in order (e.g. reads of a whole disk)."""
    d = ContentDigest(capacity)
    for offset, data in pieces:
        d.update(offset, data)
    return d.hexdigest()
