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
    DONE = "done"  # running on AHV, and the guest reported its first boot there
    # Running on AHV, but nobody saw the guest come up (no channel reaches it on AHV, or its first-boot report
    # never came): a person checks the console before calling it done.
    DONE_UNVERIFIED = "done_unverified"
    PAUSED = "paused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ROLLED_BACK = "rolled_back"

    @property
    def terminal(self) -> bool:
        return self in (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.CANCELLED)

    @property
    def is_done(self) -> bool:
        """Cut over: the VM runs on AHV (verified or not)."""
        return self in (JobState.DONE, JobState.DONE_UNVERIFIED)

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
    JobState.CUTTING_OVER: {JobState.POST, JobState.DONE, JobState.DONE_UNVERIFIED, JobState.ROLLED_BACK},
    JobState.POST: {JobState.DONE, JobState.DONE_UNVERIFIED},
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
