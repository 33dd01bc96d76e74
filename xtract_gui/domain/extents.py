"""Extent arithmetic: the byte ranges of a disk that CBT reports and the copy engine moves.

An extent is a half-open byte range ``[offset, offset + length)``.  CBT's
``QueryChangedDiskAreas`` returns extents sorted by offset; we normalise them
(merge touching runs, clip to the disk) before chunking them for the copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Extent:
    offset: int
    length: int

    def __post_init__(self) -> None:
        if self.offset < 0 or self.length < 0:
            raise ValueError(f"invalid extent offset={self.offset} length={self.length}")

    @property
    def end(self) -> int:
        return self.offset + self.length


def normalize(extents: Iterable[Extent], *, capacity: int | None = None) -> list[Extent]:
    """Sort, clip to ``capacity`` and merge overlapping or touching extents; drop empty ones."""
    runs: list[Extent] = []
    for e in sorted(extents):
        start, end = e.offset, e.end
        if capacity is not None:
            end = min(end, capacity)
        if end <= start:
            continue
        if runs and start <= runs[-1].end:
            last = runs[-1]
            runs[-1] = Extent(last.offset, max(last.end, end) - last.offset)
        else:
            runs.append(Extent(start, end - start))
    return runs


def total_bytes(extents: Iterable[Extent]) -> int:
    return sum(e.length for e in extents)


def split(extents: Iterable[Extent], chunk_size: int, *, align: int = 1) -> Iterator[Extent]:
    """Cut extents into pieces of at most ``chunk_size`` bytes.

    With ``align`` > 1, cuts fall on multiples of ``align`` in disk offsets, so
    that chunks line up with a sparse format's grains/clusters.
    """
    if chunk_size <= 0 or align <= 0 or chunk_size % align:
        raise ValueError("chunk_size must be a positive multiple of align")
    for e in extents:
        pos = e.offset
        while pos < e.end:
            boundary = (pos // chunk_size + 1) * chunk_size if align > 1 else pos + chunk_size
            nxt = min(e.end, boundary)
            yield Extent(pos, nxt - pos)
            pos = nxt


def align_out(extents: Iterable[Extent], block: int, *, capacity: int | None = None) -> list[Extent]:
    """Widen every extent to whole ``block``s (e.g. a sparse format's grain) and merge."""
    widened = []
    for e in extents:
        start = (e.offset // block) * block
        end = -(-e.end // block) * block
        widened.append(Extent(start, end - start))
    return normalize(widened, capacity=capacity)


def subtract(extents: Iterable[Extent], done: Iterable[Extent]) -> list[Extent]:
    """What of ``extents`` is not covered by ``done`` (for resuming a copy)."""
    todo = normalize(extents)
    finished = normalize(done)
    out: list[Extent] = []
    j = 0
    for e in todo:
        pos = e.offset
        while j < len(finished) and finished[j].end <= pos:
            j += 1
        k = j
        while pos < e.end:
            if k < len(finished) and finished[k].offset < e.end:
                f = finished[k]
                if f.offset > pos:
                    out.append(Extent(pos, f.offset - pos))
                pos = max(pos, f.end)
                k += 1
            else:
                out.append(Extent(pos, e.end - pos))
                pos = e.end
    return out
