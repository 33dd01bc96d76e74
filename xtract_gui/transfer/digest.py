"""Checksums: a per-chunk XXH3-128 for read-back verification, and a content digest for streamed images.

The chunk check compares what the target returns with what was written a moment before: it must catch a
storage or transport that lost or garbled bytes, not an adversary (one who controls the target storage can
change the data after any check).  XXH3-128 (a 128-bit non-cryptographic hash built for exactly this)
does that at 20-40 GiB/s; SHA-256, even with SHA-NI, at 1.5 GiB/s, so its two passes per chunk (source
and read-back) cost more CPU than the copy itself (``benchmarks/transfer.py``).

The *content digest* names what a disk holds independently of how it was
chunked, compressed or laid out: SHA-256 over, for every 64 KiB block of the
disk (aligned to disk offsets) that is not all zeros, the block's offset as
8 big-endian bytes followed by the SHA-256 of its bytes (the last block may be
short).  Zero blocks contribute nothing, so a sparse image and the raw disk it
came from have the same digest.  Two levels so that the costly part, hashing
the blocks, runs on the copy's worker threads in parallel (``block_digests``;
hashlib releases the GIL) and only 40 bytes per block are hashed in order.  The copy engine computes it from the source
reads, an image writer from what it put into the image; anyone holding the
resulting disk (a ``DiskReader`` over it, ``qemu-img convert`` output) can
recompute it with ``content_digest_of``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import xxhash

BLOCK = 64 * 1024


# Compared against, never written: its pages stay mapped to the kernel's shared zero page, so it costs no
# resident memory.  ``startswith`` is one memcmp with any buffer (bytes, bytearray, memoryview) and needs
# no allocation: a fresh bytes(n) per call would be an mmap, a page fault per 4 KiB and a munmap.
_ZEROS = bytes(16 * 1024 * 1024)


def is_zero(data: bytes | bytearray | memoryview) -> bool:
    """True when every byte is 0; real data is decided at its first non-zero byte."""
    if (data.nbytes if isinstance(data, memoryview) else len(data)) <= len(_ZEROS):
        return _ZEROS.startswith(data)
    view = memoryview(data).cast("B")
    return all(_ZEROS.startswith(view[i:i + len(_ZEROS)]) for i in range(0, len(view), len(_ZEROS)))


def chunk_digest(data: bytes | bytearray | memoryview) -> bytes:
    """The read-back check's digest of one chunk (XXH3-128)."""
    return xxhash.xxh3_128_digest(data)


BlockDigests = list[tuple[int, bytes]]


def block_digests(data: bytes | bytearray | memoryview) -> BlockDigests:
    """``(offset in data, SHA-256)`` of every non-zero ``BLOCK`` of ``data``, for ``ContentDigest.add``.

    ``data`` must start on a block boundary of the disk (the last block may be short only at the disk end).
    """
    mv = memoryview(data)
    out: BlockDigests = []
    for i in range(0, len(mv), BLOCK):
        block = mv[i:i + BLOCK]
        if not is_zero(block):
            out.append((i, hashlib.sha256(block).digest()))
    return out


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
        mv = memoryview(data).cast("B")
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

    def add(self, offset: int, length: int, digests: BlockDigests) -> None:
        """Feed ``length`` bytes at ``offset`` by their ``block_digests`` (same result as ``update``).

        ``offset`` must be on a block boundary, and ``length`` a whole number of blocks unless the piece
        ends at the disk end.
        """
        if offset < self._pos or offset % BLOCK or (length % BLOCK and offset + length != self.capacity):
            raise ValueError(f"content digest fed unaligned or out of order: {offset}+{length} at {self._pos}")
        if offset + length > self.capacity:
            raise ValueError(f"content digest fed beyond the disk end: {offset + length} > {self.capacity}")
        if self._pending and offset > self._pos:
            self._skip_to(offset)
        if self._pending:
            raise ValueError(f"content digest fed whole blocks after a partial one at {self._pos}")
        for rel, digest in digests:
            self._h.update((offset + rel).to_bytes(8, "big") + digest)
        self._pos = offset + length

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
            self._h.update(offset.to_bytes(8, "big") + hashlib.sha256(block).digest())

    def hexdigest(self) -> str:
        """The digest of the whole disk, taking everything not fed as zeros."""
        h = self._h.copy()
        if self._pending and not is_zero(self._pending):
            block_start = self._pos - len(self._pending)
            tail = bytes(min(BLOCK, self.capacity - block_start) - len(self._pending))
            h.update(block_start.to_bytes(8, "big") + hashlib.sha256(self._pending + tail).digest())
        return h.hexdigest()


def content_digest_of(capacity: int, pieces: Iterable[tuple[int, bytes]]) -> str:
    """Content digest of a disk from ``(offset, data)`` pieces given in order (e.g. reads of a whole disk)."""
    d = ContentDigest(capacity)
    for offset, data in pieces:
        d.update(offset, data)
    return d.hexdigest()
