"""Shaping the read plan: fewer, larger requests for fragmented CBT lists."""

from __future__ import annotations

from collections.abc import Sequence

from ..domain.extents import Extent, normalize, total_bytes


def coalesce(extents: Sequence[Extent], *, max_gap: int, budget: float) -> list[Extent]:
    """Merge neighbouring extents separated by at most ``max_gap`` bytes.

    A delta from CBT is often thousands of 64 KiB runs a few blocks apart;
    each is one HTTP request to the datastore, and a request costs a round
    trip.  Reading the small gaps too turns many requests into few.  Gaps are
    taken smallest first while the bytes they add stay within ``budget`` ×
    the extents' total, so the bytes on the wire stay bounded.

    Only for random-access targets, whose content in the gaps already equals
    the source's (a fresh target reads zeros where CBT reports nothing; a
    synced target holds what did not change): rewriting it there is harmless.
    """
    runs = normalize(extents)
    if len(runs) < 2 or max_gap <= 0 or budget <= 0:
        return runs
    allowance = int(total_bytes(runs) * budget)
    gaps = sorted((runs[i + 1].offset - runs[i].end, i) for i in range(len(runs) - 1)
                  if runs[i + 1].offset - runs[i].end <= max_gap)
    join: set[int] = set()
    for gap, i in gaps:
        if gap > allowance:
            break
        allowance -= gap
        join.add(i)
    out: list[Extent] = []
    start = runs[0].offset
    for i, run in enumerate(runs):
        if i not in join:
            out.append(Extent(start, run.end - start))
            if i + 1 < len(runs):
                start = runs[i + 1].offset
    return out
