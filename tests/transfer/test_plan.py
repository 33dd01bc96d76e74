"""Coalescing fragmented extents within a byte budget."""

from __future__ import annotations

from xtract_gui.domain.extents import Extent, subtract, total_bytes
from xtract_gui.transfer import coalesce


def test_smallest_gaps_first_within_the_budget() -> None:
    runs = [Extent(0, 100), Extent(103, 100), Extent(213, 100), Extent(1000, 100)]
    # 3 bytes then 10 bytes of gap; a budget of 4 bytes (1 % of 400) only buys the first.
    assert coalesce(runs, max_gap=50, budget=0.01) == [Extent(0, 203), Extent(213, 100), Extent(1000, 100)]
    assert coalesce(runs, max_gap=50, budget=0.05) == [Extent(0, 313), Extent(1000, 100)]
    assert coalesce(runs, max_gap=5000, budget=10.0) == [Extent(0, 1100)]


def test_nothing_lost_and_nothing_merged_when_disabled() -> None:
    runs = [Extent(i * 10, 5) for i in range(50)]
    for gap, budget in ((0, 1.0), (4, 1.0), (100, 0.0)):
        assert coalesce(runs, max_gap=gap, budget=budget) == runs
    merged = coalesce(runs, max_gap=5, budget=0.5)
    assert subtract(runs, merged) == []
    assert total_bytes(merged) - total_bytes(runs) <= 0.5 * total_bytes(runs)
