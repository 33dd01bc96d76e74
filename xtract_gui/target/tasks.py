"""Waiting for Prism tasks (v3 ``/tasks/{uuid}`` and v2 ``/tasks/{uuid}``) with progress and cancellation."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ..domain.errors import CancelledError, RemoteTaskError, XtractError
from ..engine.ports import Cancellation, ProgressFn, no_progress

T = TypeVar("T")

DEFAULT_TASK_TIMEOUT = 3600.0
CLEANUP_TIMEOUT = 120.0  # how long a cleanup waits for a task it must not cancel


class PrismTaskError(RemoteTaskError):
    """A Prism task ended FAILED/ABORTED; Prism's ``error_code``/``error_detail`` are kept."""

    def __init__(self, message: str, *, task_uuid: str, error_code: str, error_detail: str, hint: str = "") -> None:
        super().__init__(message, hint=hint, detail=f"task {task_uuid}: {error_code}: {error_detail}")
        self.task_uuid = task_uuid
        self.error_code = error_code
        self.error_detail = error_detail


@dataclass(frozen=True)
class TaskState:
    """One look at a task, normalized from either API surface."""

    uuid: str
    status: str  # QUEUED | RUNNING | SUCCEEDED | FAILED | ABORTED | SUSPENDED
    percentage: int = 0
    message: str = ""
    error_code: str = ""
    error_detail: str = ""
    entities: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (kind, uuid), kind lower-case

    @property
    def done(self) -> bool:
        return self.status in ("SUCCEEDED", "FAILED", "ABORTED")

    def entity(self, *kinds: str) -> str:
        for kind, uuid in self.entities:
            if kind in kinds:
                return uuid
        return ""


def wait_task(fetch: Callable[[], TaskState], *, action: str, progress: ProgressFn = no_progress,
              cancel: Cancellation | None = None, timeout: float = DEFAULT_TASK_TIMEOUT,
              first_interval: float = 0.02, max_interval: float = 2.0) -> TaskState:
    """Poll until the task ends; SUCCEEDED is returned, FAILED/ABORTED raise ``PrismTaskError``.

    Cancelling stops the wait only: the task keeps running on Prism, and the caller cleans up.
    """
    deadline = time.monotonic() + timeout
    interval = first_interval
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Stopped waiting for Prism to {action}.",
                                 hint="Prism may still finish the task; check the cluster's task list.")
        state = fetch()
        progress(state.percentage / 100.0, state.message or action)
        if state.status == "SUCCEEDED":
            return state
        if state.done:
            said = state.error_detail or state.error_code or state.status.lower()
            raise PrismTaskError(f"Prism could not {action}: {said}", task_uuid=state.uuid,
                                 error_code=state.error_code, error_detail=state.error_detail,
                                 hint="Fix the cause Prism names and try again.")
        if time.monotonic() > deadline:
            raise RemoteTaskError(f"Prism did not finish to {action} within {int(timeout)} s.",
                                  hint="Check the task in Prism; it may still be running.",
                                  detail=f"task {state.uuid} {state.status} {state.percentage}%")
        _sleep(interval, cancel)
        interval = min(max_interval, interval * 1.5)


def wait_until(look: Callable[[], T | None], *, action: str, timed_out: Callable[[float], XtractError],
               cancel: Cancellation | None = None, timeout: float = DEFAULT_TASK_TIMEOUT,
               first_interval: float = 0.05, max_interval: float = 5.0) -> T:
    """Ask ``look`` again, with growing pauses, until it gives a value (an object Prism reports ready); ``look``
    raises when the answer is final and bad.  Bounded by ``timeout`` (``timed_out(seconds)`` is the error) and
    stopped by ``cancel``: a state that is not ready yet is never taken as a failure before then."""
    deadline = time.monotonic() + timeout
    interval = first_interval
    while True:
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Stopped waiting for Prism to {action}.")
        value = look()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise timed_out(timeout)
        _sleep(interval, cancel)
        interval = min(max_interval, interval * 1.5)


def _sleep(seconds: float, cancel: Cancellation | None) -> None:
    wait = getattr(cancel, "wait", None)
    if callable(wait):
        wait(seconds)  # a threading.Event wakes up as soon as it is set
    else:
        time.sleep(seconds)
