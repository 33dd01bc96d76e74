"""File-backed lab disks: sparse creation, frozen snapshot copies and CBT block hashes.

CBT is emulated the way TEST-INFRA.md describes it: per snapshot, one hash per 64 KiB block of
the disk as frozen by that snapshot.  ``*`` gives the blocks that are not all zero; a changeId
from an earlier snapshot gives the blocks whose hash differs.
"""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

from ...domain.extents import Extent, normalize
from ...transfer.digest import is_zero

CBT_BLOCK = 64 * 1024
_DIGEST = 16
ZERO_HASH = hashlib.blake2b(bytes(CBT_BLOCK), digest_size=_DIGEST).digest()


def create_sparse(path: Path, capacity: int, *, seed: int, allocated_runs: int = 6) -> None:
    """A sparse disk with a "boot area" and a few scattered runs of random data."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(capacity)
        f.seek(0)
        f.write(rng.randbytes(min(capacity, 1024 * 1024)))
        for _ in range(allocated_runs):
            length = rng.choice((4096, 65536, 256 * 1024, 300 * 1024 + 512))
            offset = rng.randrange(0, max(1, capacity - length)) // 512 * 512
            f.seek(offset)
            f.write(rng.randbytes(length))


def _data_blocks(fd: int, size: int) -> list[int]:
    """Indexes of the 64 KiB blocks that hold file data (holes skipped with SEEK_DATA)."""
    nblocks = -(-size // CBT_BLOCK)
    try:
        blocks: set[int] = set()
        pos = 0
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after pos
                break
            end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
            blocks.update(range(start // CBT_BLOCK, -(-end // CBT_BLOCK)))
            pos = end
        return sorted(blocks)
    except (AttributeError, OSError):  # no SEEK_DATA here: look at every block
        return list(range(nblocks))


def freeze(live: Path, frozen: Path, capacity: int) -> bytes:
    """Copy ``live`` to ``frozen`` keeping holes; return the per-block hashes of the frozen copy."""
    nblocks = -(-capacity // CBT_BLOCK)
    hashes = bytearray(ZERO_HASH * nblocks)
    frozen.parent.mkdir(parents=True, exist_ok=True)
    src = os.open(live, os.O_RDONLY)
    try:
        with open(frozen, "wb") as dst:
            dst.truncate(capacity)
            for b in _data_blocks(src, capacity):
                data = os.pread(src, CBT_BLOCK, b * CBT_BLOCK)
                if is_zero(data):
                    continue
                dst.seek(b * CBT_BLOCK)
                dst.write(data)
                if len(data) < CBT_BLOCK:
                    data = data + bytes(CBT_BLOCK - len(data))
                hashes[b * _DIGEST:(b + 1) * _DIGEST] = hashlib.blake2b(data, digest_size=_DIGEST).digest()
    finally:
        os.close(src)
    return bytes(hashes)


def changed_blocks(now: bytes, since: bytes | None, capacity: int) -> list[Extent]:
    """Runs of blocks that differ from ``since`` (``None``: that are not all zero), clipped to the disk."""
    n = len(now) // _DIGEST
    out = []
    for b in range(n):
        if since is not None and (b + 1) * _DIGEST > len(since):
            break  # grown since: vSphere's answer leaves the added range out (VMware KB 2090639)
        h = now[b * _DIGEST:(b + 1) * _DIGEST]
        old = ZERO_HASH if since is None else since[b * _DIGEST:(b + 1) * _DIGEST]
        if h != old:
            out.append(Extent(b * CBT_BLOCK, CBT_BLOCK))
    return normalize(out, capacity=capacity)
