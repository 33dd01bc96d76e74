"""Bounded exponential backoff for chunk reads and writes that fail transiently."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..domain.errors import CancelledError, TransientError
from ..engine.ports import Cancellation

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` tries in all; waits ``base_delay * multiplier**n`` (capped, with jitter) between them.

    Only ``TransientError`` is retried: a reset connection, a 5xx, an expired
    session that the adapter re-logs into.  Everything else fails at once.
    """

    attempts: int = 6
    base_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 15.0
    jitter: float = 0.2
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def delay(self, failures: int) -> float:
        d = min(self.max_delay, self.base_delay * self.multiplier ** (failures - 1))
        # Jitter de-synchronises the streams that all hit the same reset at the same moment.
        return d * (1 + self.jitter * (2 * random.random() - 1)) if self.jitter else d

    def call(self, fn: Callable[[], T], *, cancel: Cancellation | None = None,
             on_retry: Callable[[TransientError, int], None] | None = None) -> T:
        failures = 0
        while True:
            try:
                return fn()
            except TransientError as err:
                failures += 1
                if failures >= self.attempts:
                    raise
                if on_retry is not None:
                    on_retry(err, failures)
                remaining = self.delay(failures)
                while remaining > 0:
                    if cancel is not None and cancel.is_set():
                        raise CancelledError("The copy was cancelled while waiting to retry.") from err
                    step = min(remaining, 0.1)
                    self.sleep(step)
                    remaining -= step
