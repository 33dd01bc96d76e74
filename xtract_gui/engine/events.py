"""Typed events the engine emits; the GUI bridge and the CLI consume the same stream.

Events are small immutable values, safe to hand across threads.  The GUI bridge
re-emits them as Qt signals on the GUI thread; the CLI prints them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from ..domain.states import JobState


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class JobStateChanged:
    vm_id: str
    old: JobState
    new: JobState
    reason: str = ""
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class StepChanged:
    """One line of the per-VM task list ("Checking admin permissions", "Seed", "Sync 3", …)."""

    vm_id: str
    step_id: str  # stable id: "guest.win.check_admin", "seed", "sync.3", "cutover.create_vm"
    title: str
    state: StepState
    message: str = ""
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Progress:
    vm_id: str
    step_id: str
    done_bytes: int
    total_bytes: int
    rate_bytes_per_s: float
    eta_seconds: float | None
    at: float = field(default_factory=time.time)

    @property
    def fraction(self) -> float:
        return self.done_bytes / self.total_bytes if self.total_bytes else 1.0


@dataclass(frozen=True)
class SyncSummary:
    """After each seed or delta: what the job monitor shows in "last sync", "delta", "downtime"."""

    vm_id: str
    sync_number: int  # 0 is the seed
    bytes_copied: int
    seconds: float
    projected_downtime_seconds: float
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class LogLine:
    vm_id: str  # "" for plan-wide lines
    level: str  # "DEBUG" | "INFO" | "WARNING" | "ERROR"
    message: str  # already scrubbed of secrets
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class EngineLost:
    """The engine stopped while the app still needed it (it runs in a process of its own under the GUI)."""

    message: str  # what happened and what to do, for the window to show


Event = JobStateChanged | StepChanged | Progress | SyncSummary | LogLine | EngineLost
EventSink = Callable[[Event], None]
