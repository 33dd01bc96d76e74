"""The Xvfb journey as part of the suite (slow): the real app on a 1280×720 X server, in Japanese, driven by
xdotool from the first page to every VM cut over.  ``python tests/xvfb/journey.py OUT`` runs all four
(1280×720 and 1920×1080, English and Japanese) for a person to look at the screenshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .journey import journey, xvfb

pytestmark = [pytest.mark.slow, pytest.mark.gui, pytest.mark.e2e]


def test_the_demo_journey_on_a_small_screen_in_japanese(tmp_path: Path) -> None:
    if not (shutil.which("Xvfb") and shutil.which("xdotool")):
        pytest.skip("xvfb and xdotool are not installed (tests/run.sh installs them)")
    with xvfb("1280x720") as display:
        shots = journey(display, tmp_path, "1280x720", "ja")
    names = [p.name.split("-", 3)[-1] for p in shots]
    assert names == ["source.png", "source-connected.png", "target.png", "vms.png", "guests.png", "network.png",
                     "summary.png", "monitor-ready.png", "cutover-dialog.png", "monitor-done.png"]
    assert all(p.stat().st_size > 10_000 for p in shots)
