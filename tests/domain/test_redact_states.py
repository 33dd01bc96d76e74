from __future__ import annotations

import itertools

import pytest

from xtract_gui.domain.redact import MASK, scrub
from xtract_gui.domain.states import JobState, can_transition


@pytest.mark.parametrize("line", [
    "winrm -Password Hunter2! x",
    "password=Hunter2!",
    '{"password": "Hunter2!"}',
    "https://admin:Hunter2!@pe.lab:9440/",
    "Authorization: Basic SHVudGVyMiE=",
    "net use /p:Hunter2!",
])
def test_scrub_masks_credentials_in_the_shapes_they_reach_logs(line: str) -> None:
    out = scrub(line)
    assert "Hunter2!" not in out and "SHVudGVyMiE=" not in out
    assert MASK in out


def test_scrub_masks_known_secret_values_anywhere() -> None:
    assert scrub("connecting as bob with s3cr3t-value now", ["s3cr3t-value"]) == \
        f"connecting as bob with {MASK} now"
    assert scrub("nothing secret here") == "nothing secret here"


def test_job_state_transitions_follow_the_journey() -> None:
    journey = [JobState.PENDING, JobState.VALIDATING, JobState.PREPARING, JobState.SEEDING, JobState.SYNCING,
               JobState.CUTTING_OVER, JobState.POST, JobState.DONE]
    for old, new in itertools.pairwise(journey):
        assert can_transition(old, new)
    assert not can_transition(JobState.PENDING, JobState.CUTTING_OVER)
    assert not can_transition(JobState.DONE, JobState.FAILED)
    assert can_transition(JobState.SEEDING, JobState.FAILED)
    assert can_transition(JobState.FAILED, JobState.SEEDING)  # retry from the last safe point
    assert can_transition(JobState.CUTTING_OVER, JobState.ROLLED_BACK)
