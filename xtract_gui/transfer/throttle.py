"""A token bucket that bounds the bytes read from the source per second.

One bucket is shared by every disk of a plan (the copy engine takes it from
the ``CopyScheduler``), so the limit the user sets holds for the whole
migration, not per stream.  ``set_rate`` changes it while copies run: chunks
already granted keep their reservation, the next chunk sees the new rate.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..domain.errors import CancelledError
from ..engine.ports import Cancellation

#: How long one sleep slice lasts, so that a cancel or a rate change is noticed while waiting.
_SLICE = 0.1


class TokenBucket:
    """Bytes per second with a burst allowance; ``rate`` None or 0 means unlimited.

    Acquiring more than is available leaves the bucket in debt; the caller
    sleeps until the debt would be repaid at the current rate.  A debt model
    (rather than waiting until enough tokens exist) lets a chunk larger than
    the burst pass without starving, and keeps the long-run rate exact.

    ``clock`` and ``sleep`` are injectable so that tests check the accounting
    without waiting; ``waited_seconds`` and ``granted_bytes`` are that accounting.
    """

    def __init__(self, rate: float | None = None, *, burst: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._rate = float(rate or 0.0)
        self._burst_fixed = burst
        self._tokens = float(self._burst())
        self._stamp = clock()
        self.granted_bytes = 0
        self.waited_seconds = 0.0
        self.rate_changes = 0

    def _burst(self) -> int:
        if self._burst_fixed is not None:
            return self._burst_fixed
        # One second's worth smooths the chunk-sized steps without letting a stalled copy burst for long.
        return max(int(self._rate), 1)

    @property
    def rate(self) -> float | None:
        return self._rate or None

    def set_rate(self, rate: float | None) -> None:
        """Change the limit now; ``None``/0 lifts it.  Accrued tokens are kept, capped at the new burst."""
        with self._lock:
            self._refill(self._clock())
            self._rate = float(rate or 0.0)
            self._tokens = min(self._tokens, float(self._burst()))
            self.rate_changes += 1

    def _refill(self, now: float) -> None:
        if self._rate:
            self._tokens = min(float(self._burst()), self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now

    def reserve(self, nbytes: int) -> float:
        """Take ``nbytes`` now and return how long the taker must wait before using them (0: at once).

        The copy workers' grants: the engine reserves in its one bucket for every worker, and each worker
        sleeps the answer off itself (``sleep_off``), so no worker's wait holds up another's grant.
        """
        with self._lock:
            self.granted_bytes += nbytes
            if not self._rate:
                return 0.0
            self._refill(self._clock())
            self._tokens -= nbytes
            wait = -self._tokens / self._rate if self._tokens < 0 else 0.0
            self.waited_seconds += wait
        return wait

    def acquire(self, nbytes: int, cancel: Cancellation | None = None) -> float:
        """Take ``nbytes``, sleeping as long as the rate requires; returns the seconds waited."""
        wait = self.reserve(nbytes)
        sleep_off(wait, cancel, self._sleep)
        return wait


def sleep_off(wait: float, cancel: Cancellation | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
    """Sleep ``wait`` seconds in short slices, so that a cancel is noticed while waiting for the limit."""
    remaining = wait
    while remaining > 0:
        if cancel is not None and cancel.is_set():
            raise CancelledError("The copy was cancelled while waiting for the bandwidth limit.")
        step = min(remaining, _SLICE)
        sleep(step)
        remaining -= step
