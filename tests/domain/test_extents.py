from __future__ import annotations

import random

import pytest

from xtract_gui.domain.extents import Extent, align_out, normalize, split, subtract, total_bytes


def covered(extents: list[Extent]) -> set[int]:
    return {i for e in extents for i in range(e.offset, e.end)}


def test_normalize_merges_touching_and_overlapping_runs_and_clips() -> None:
    runs = normalize([Extent(10, 5), Extent(0, 10), Extent(30, 5), Extent(33, 10), Extent(50, 0)], capacity=40)
    assert runs == [Extent(0, 15), Extent(30, 10)]


def test_split_respects_chunk_size_and_alignment() -> None:
    pieces = list(split([Extent(3, 20)], 8, align=4))
    assert pieces == [Extent(3, 5), Extent(8, 8), Extent(16, 7)]
    assert all(p.length <= 8 for p in pieces)
    assert covered(pieces) == covered([Extent(3, 20)])


def test_split_rejects_a_chunk_that_is_not_a_multiple_of_the_alignment() -> None:
    with pytest.raises(ValueError):
        list(split([Extent(0, 10)], 6, align=4))


def test_align_out_widens_to_whole_blocks() -> None:
    assert align_out([Extent(5, 3), Extent(9, 1)], 4) == [Extent(4, 8)]
    assert align_out([Extent(5, 3)], 4, capacity=6) == [Extent(4, 2)]


def test_extent_rejects_negative_values() -> None:
    with pytest.raises(ValueError):
        Extent(-1, 3)


@pytest.mark.parametrize("seed", range(20))
def test_subtract_equals_set_difference(seed: int) -> None:
    rnd = random.Random(seed)
    todo = [Extent(rnd.randrange(200), rnd.randrange(1, 40)) for _ in range(6)]
    done = [Extent(rnd.randrange(200), rnd.randrange(1, 40)) for _ in range(6)]
    left = subtract(todo, done)
    assert covered(left) == covered(todo) - covered(done)
    assert left == normalize(left)  # sorted, non-overlapping, non-touching
    assert total_bytes(left) == len(covered(left))
