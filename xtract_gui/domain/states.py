"""Per-VM job states and the transitions the engine may make between them."""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    PENDING = "pending"
    VALIDATING = "validating"
    PREPARING = "preparing"
    SEEDING = "seeding"
    SYNCING = "syncing"  # seeded; delta syncs run every N minutes; ready for cutover
    CUTTING_OVER = "cutting_over"
    POST = "post"
    DONE = "done"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ROLLED_BACK = "rolled_back"

    @property
    def terminal(self) -> bool:
        return self in (JobState.DONE, JobState.CANCELLED)

    @property
    def active(self) -> bool:
        return self in _ACTIVE


_ACTIVE = frozenset({JobState.VALIDATING, JobState.PREPARING, JobState.SEEDING, JobState.SYNCING,
                     JobState.CUTTING_OVER, JobState.POST})

_FORWARD = {
    JobState.PENDING: {JobState.VALIDATING},
    JobState.VALIDATING: {JobState.PREPARING, JobState.SEEDING},
    JobState.PREPARING: {JobState.SEEDING},
    JobState.SEEDING: {JobState.SYNCING, JobState.CUTTING_OVER},  # cold mode cuts over straight after the copy
    JobState.SYNCING: {JobState.CUTTING_OVER},
    JobState.CUTTING_OVER: {JobState.POST, JobState.DONE, JobState.ROLLED_BACK},
    JobState.POST: {JobState.DONE},
}

# From any active or waiting state a job can be paused, fail, or be cancelled.
_ANYTIME = {JobState.PAUSED, JobState.FAILED, JobState.CANCELLED}


def can_transition(old: JobState, new: JobState) -> bool:
    if old.terminal:
        return False
    if new in _FORWARD.get(old, set()):
        return True
    if new in _ANYTIME and old not in (JobState.CANCELLED,):
        return new is not JobState.PAUSED or old.active or old is JobState.PENDING
    # Resume/retry go back to the phase the job was in (the engine knows which).
    if old in (JobState.PAUSED, JobState.FAILED, JobState.ROLLED_BACK):
        return new.active or new is JobState.PENDING
    return False
