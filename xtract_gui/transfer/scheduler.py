"""The thread budget and bandwidth limit that every disk copy of a plan shares."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from .throttle import TokenBucket

T = TypeVar("T")


class CopyScheduler:
    """A fixed pool of copy threads plus one ``TokenBucket``, handed to every ``copy_disk`` call.

    Each copy keeps at most its own ``streams`` chunks queued here, so several
    disks (and VMs) interleave on the pool in FIFO order, and the total
    number of parallel reads to the source never exceeds ``threads``.
    """

    def __init__(self, threads: int = 8, *, rate: float | None = None, throttle: TokenBucket | None = None) -> None:
        if threads < 1:
            raise ValueError("a copy scheduler needs at least one thread")
        self.threads = threads
        self.throttle = throttle if throttle is not None else TokenBucket(rate)
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="xtract-copy")

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self._pool.submit(fn, *args)

    def set_rate(self, rate: float | None) -> None:
        """Bytes per second for all copies together; None lifts the limit.  Takes effect with the next chunk."""
        self.throttle.set_rate(rate)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> CopyScheduler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
