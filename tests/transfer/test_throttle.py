"""Token bucket accounting on a fake clock (no wall-time assertions), and a rate change mid-copy."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from xtract_gui.domain.errors import CancelledError
from xtract_gui.domain.extents import Extent
from xtract_gui.transfer import CopyScheduler, LocalFileWriter, TokenBucket, copy_disk

from .disks import InstrumentedReader, MiB, make_disk, sha_file


class FakeClock:
    """Time that moves only when the bucket sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_rate_is_enforced_by_the_accounting() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, burst=1000, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        bucket.acquire(500)
    # 5000 bytes at 1000 B/s with a 1000-byte burst in hand: 4 seconds of waiting.
    assert bucket.waited_seconds == pytest.approx(4.0)
    assert clock.now == pytest.approx(4.0)
    assert bucket.granted_bytes == 5000


def test_set_rate_applies_to_the_next_chunk() -> None:
    clock = FakeClock()
    bucket = TokenBucket(1000.0, burst=0, clock=clock, sleep=clock.sleep)
    bucket.acquire(2000)
    assert clock.now == pytest.approx(2.0)
    bucket.set_rate(4000.0)
    bucket.acquire(2000)
    assert clock.now == pytest.approx(2.5)
    bucket.set_rate(None)
    assert bucket.acquire(10**9) == 0.0
    assert clock.now == pytest.approx(2.5)
    assert bucket.rate_changes == 2


def test_cancel_interrupts_a_throttled_wait() -> None:
    clock = FakeClock()
    cancel = threading.Event()
    bucket = TokenBucket(1.0, burst=0, clock=clock, sleep=lambda s: (clock.sleep(s), cancel.set()))
    with pytest.raises(CancelledError):
        bucket.acquire(1000, cancel)
    assert clock.now < 1.0


def test_rate_changed_while_a_copy_runs(tmp_path: Path) -> None:
    cap = 16 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    clock = FakeClock()
    sched = CopyScheduler(threads=1, throttle=TokenBucket(1 * MiB, burst=0, clock=clock, sleep=clock.sleep))
    # The user doubles the limit after the 4th chunk has been read (from the GUI thread in real life).
    reader = InstrumentedReader(src, after_read=lambda n: sched.set_rate(2 * MiB) if n == 4 else None)
    with sched:
        res = copy_disk(reader, LocalFileWriter(dst, cap), extents, scheduler=sched, chunk_size=1 * MiB, streams=1)
    assert sha_file(dst) == sha_file(src)
    assert res.copied_bytes == cap
    # 4 chunks at 1 MiB/s, then 12 at 2 MiB/s.
    assert sched.throttle.waited_seconds == pytest.approx(4 + 12 / 2)
    assert sched.throttle.granted_bytes == cap
