"""Adapter calls that survive a transient fault: every idempotent call is tried again with backoff; the calls
that create something are tried once, and their callers find out by a marker whether a call whose answer was
lost happened (``creates.py``).

An adapter translates a reset connection, a broken-off answer or a 503 into ``TransientError`` (or, when not
even a connection could be made, ``ConnectionFailedError``).  Prism's transport already repeats an idempotent
HTTP request a few times; this layer covers every adapter (the SOAP calls to vCenter, a guest task over WinRM,
an NFS file operation) and the whole call (a create's task polled to its end), so that a storm of resets costs
time, not the migration.  Certificate mismatches are never retried: they are a decision for a person.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..domain.errors import CertificateMismatchError, ConnectionFailedError, TransientError
from .ports import Cancellation

log = logging.getLogger("xtract_gui.engine.resilient")
T = TypeVar("T")

# Calls whose repetition would make a second object, or whose second try fails because the first one worked:
# their callers settle a lost answer themselves (creates.py, power.py).
ONCE = frozenset({
    "create_vm", "create_snapshot", "upload_image", "create_image_from_url", "snapshot_vm",  # make something
    "shutdown_guest", "power_on", "power_off", "set_power_state",  # a second try meets the new state
    "close",
})


@dataclass(frozen=True)
class Retries:
    attempts: int = 5  # tries in all
    base_delay: float = 0.5
    max_delay: float = 8.0

    def delay(self, failures: int) -> float:
        return min(self.max_delay, self.base_delay * 2 ** (failures - 1)) * (0.5 + random.random() / 2)


def retryable(exc: BaseException) -> bool:
    """A fault that another try may not meet: a transient one, or no connection (yet)."""
    return isinstance(exc, TransientError) or (
        isinstance(exc, ConnectionFailedError) and not isinstance(exc, CertificateMismatchError))


def unknown_outcome(exc: BaseException) -> bool:
    """After this fault a call that changes something may or may not have happened."""
    return retryable(exc)


def call_retrying(fn: Callable[..., T], *args: Any, policy: Retries = Retries(), what: str = "",
                  **kwargs: Any) -> T:
    """``fn(*args, **kwargs)``, tried again on a retryable fault until ``policy.attempts`` tries were made; a set
    ``cancel`` keyword (the adapters' cancellation) stops the tries."""
    failures = 0
    while True:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            failures += 1
            stop: Cancellation | None = kwargs.get("cancel")
            if not retryable(exc) or failures >= policy.attempts or (stop is not None and stop.is_set()):
                raise
            delay = policy.delay(failures)
            log.info("%s failed (%s); trying again in %.1f s (%d of %d)", what or getattr(fn, "__name__", "call"),
                     exc, delay, failures + 1, policy.attempts)
            time.sleep(delay)


class Resilient:
    """A proxy of an adapter whose idempotent methods are retried (``call_retrying``); everything else (attributes,
    the ``ONCE`` methods) passes through unchanged.  ``wrap`` names methods whose result is an adapter too (a
    guest channel factory's ``open``), wrapped the same way."""

    def __init__(self, inner: Any, *, policy: Retries, once: frozenset[str] = ONCE,
                 wrap: frozenset[str] = frozenset()) -> None:
        self._inner, self._policy, self._once, self._wrap = inner, policy, once, wrap

    @property
    def inner(self) -> Any:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name.startswith("_") or name in self._once or not callable(value):
            return value
        policy, wrap = self._policy, name in self._wrap

        @functools.wraps(value)
        def call(*args: Any, **kwargs: Any) -> Any:
            result = call_retrying(value, *args, policy=policy, what=name, **kwargs)
            return Resilient(result, policy=policy) if wrap and result is not None else result

        return call

    def __repr__(self) -> str:
        return f"Resilient({self._inner!r})"


def resilient(inner: T, policy: Retries, *, wrap: frozenset[str] = frozenset()) -> T:
    """``inner`` behind a ``Resilient`` proxy, typed as what it proxies (the engine sees the port)."""
    if inner is None or isinstance(inner, Resilient):
        return inner
    return Resilient(inner, policy=policy, wrap=wrap)  # type: ignore[return-value]
