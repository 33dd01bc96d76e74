"""Bytes done, rate over a moving window and ETA for one disk copy."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CopyProgress:
    """What the engine turns into ``engine.events.Progress`` (done/total, rate, ETA)."""

    done_bytes: int
    total_bytes: int
    rate_bytes_per_s: float
    eta_seconds: float | None
    skipped_zero_bytes: int = 0
    retries: int = 0

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


CopyProgressFn = Callable[[CopyProgress], None]


class ProgressMeter:
    """Counts finished bytes; the rate is over the last ``window`` seconds so it follows throttling changes."""

    def __init__(self, total: int, *, done: int = 0, window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._window = window
        self.total = total
        self.done = done
        self.skipped_zero = 0
        self.retries = 0
        self._samples: deque[tuple[float, int]] = deque([(clock(), done)])

    def add(self, nbytes: int, *, zero: bool = False) -> None:
        with self._lock:
            self.done += nbytes
            if zero:
                self.skipped_zero += nbytes
            now = self._clock()
            self._samples.append((now, self.done))
            # Keep one sample older than the window as the rate's starting point.
            while len(self._samples) > 2 and self._samples[1][0] < now - self._window:
                self._samples.popleft()

    def add_retry(self) -> None:
        with self._lock:
            self.retries += 1

    def snapshot(self) -> CopyProgress:
        with self._lock:
            now = self._clock()
            t0, d0 = self._samples[0]
            elapsed = now - t0
            rate = (self.done - d0) / elapsed if elapsed > 0 else 0.0
            left = max(self.total - self.done, 0)
            eta = left / rate if rate > 0 else (0.0 if left == 0 else None)
            return CopyProgress(self.done, self.total, rate, eta, self.skipped_zero, self.retries)
