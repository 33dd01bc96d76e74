"""The content digest does not depend on how a disk is cut into pieces or where zeros are left out."""

from __future__ import annotations

import random

import pytest

from xtract_gui.transfer.digest import BLOCK, ContentDigest, block_digests, content_digest_of, is_zero


def _disk(capacity: int, seed: int) -> bytes:
    rng = random.Random(seed)
    buf = bytearray(capacity)
    for _ in range(12):
        off = rng.randrange(capacity)
        n = min(rng.randrange(1, 3 * BLOCK), capacity - off)
        buf[off:off + n] = rng.randbytes(n)
    return bytes(buf)


@pytest.mark.parametrize("capacity", [BLOCK * 9 + 4321, BLOCK * 4, 100])
def test_same_digest_whatever_the_pieces(capacity: int) -> None:
    disk = _disk(capacity, capacity)
    whole = content_digest_of(capacity, [(0, disk)])
    rng = random.Random(7)
    for _ in range(20):
        d = ContentDigest(capacity)
        pos = 0
        while pos < capacity:
            n = min(rng.randrange(1, 2 * BLOCK), capacity - pos)
            piece = disk[pos:pos + n]
            if not (is_zero(piece) and rng.random() < 0.7):  # leave most zero pieces out, as a sparse copy does
                d.update(pos, piece)
            pos += n
        assert d.hexdigest() == whole


def test_a_changed_byte_or_a_moved_block_changes_the_digest() -> None:
    capacity = BLOCK * 4
    disk = bytearray(_disk(capacity, 1))
    base = content_digest_of(capacity, [(0, bytes(disk))])
    disk[BLOCK + 5] ^= 1
    assert content_digest_of(capacity, [(0, bytes(disk))]) != base
    moved = bytes(BLOCK) + b"\x01" * BLOCK + bytes(2 * BLOCK)
    there = b"\x01" * BLOCK + bytes(3 * BLOCK)
    assert content_digest_of(capacity, [(0, moved)]) != content_digest_of(capacity, [(0, there)])


def test_out_of_order_or_past_the_end_is_refused() -> None:
    d = ContentDigest(BLOCK)
    d.update(100, b"x")
    with pytest.raises(ValueError):
        d.update(0, b"y")
    with pytest.raises(ValueError):
        d.update(BLOCK - 1, b"zz")


@pytest.mark.parametrize("size", [0, 1, BLOCK, 4 * 1024 * 1024 + 3, 40 * 1024 * 1024])
def test_is_zero_sees_a_single_byte_anywhere(size: int) -> None:
    buf = bytearray(size)
    assert is_zero(buf) and is_zero(bytes(buf)) and is_zero(memoryview(buf))
    for pos in {0, size // 2, size - 1} if size else set():
        buf[pos] = 1
        assert not is_zero(buf) and not is_zero(memoryview(buf)) and not is_zero(bytes(buf))
        buf[pos] = 0


@pytest.mark.parametrize("capacity", [BLOCK * 9 + 4321, BLOCK * 8])
def test_block_digests_fed_whole_give_the_same_digest(capacity: int) -> None:
    """The copy engine hashes blocks on its workers and feeds only their digests, in order."""
    disk = _disk(capacity, 3)
    whole = content_digest_of(capacity, [(0, disk)])
    d = ContentDigest(capacity)
    for off in range(0, capacity, 3 * BLOCK):  # whole blocks; the last piece ends at the disk end
        piece = bytearray(disk[off:off + 3 * BLOCK])
        if off == 3 * BLOCK:
            continue  # a gap reads as zeros, as an extent CBT did not report
        d.add(off, len(piece), block_digests(piece))
    gap = bytearray(disk)
    gap[3 * BLOCK:6 * BLOCK] = bytes(3 * BLOCK)
    assert d.hexdigest() == content_digest_of(capacity, [(0, bytes(gap))])
    if disk[3 * BLOCK:6 * BLOCK] != bytes(3 * BLOCK):
        assert d.hexdigest() != whole


def test_block_digests_must_be_fed_on_block_boundaries() -> None:
    d = ContentDigest(BLOCK * 4)
    with pytest.raises(ValueError):
        d.add(100, BLOCK, [])
    with pytest.raises(ValueError):
        d.add(0, BLOCK + 1, [])
    d.update(0, b"x")  # a partial block, then whole ones after a gap: fine
    d.add(BLOCK, BLOCK, block_digests(b"\x01" * BLOCK))
    assert d.hexdigest() == content_digest_of(BLOCK * 4, [(0, b"x"), (BLOCK, b"\x01" * BLOCK)])
