"""``xtract-gui --demo`` without a screen, and the headless demo run twice in one state directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xtract_gui.cli import has_screen

from .test_cli import cli

SCREEN_VARS = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


@pytest.fixture
def headless_env(tmp_path: Path) -> dict[str, str]:
    """A Linux session with no display server and no Qt platform chosen (ssh, CI, a container)."""
    env = {k: v for k, v in os.environ.items() if k not in SCREEN_VARS}
    return {**env, "XTRACT_GUI_HOME": str(tmp_path / "home"), "PYTHONPATH": str(Path(__file__).parents[2])}


@pytest.mark.parametrize("env, platform, expected", [
    ({}, "linux", False),
    ({"DISPLAY": ":0"}, "linux", True),
    ({"WAYLAND_DISPLAY": "wayland-0"}, "linux", True),
    ({"QT_QPA_PLATFORM": "offscreen"}, "linux", True),
    ({"DISPLAY": ""}, "freebsd14", False),
    ({}, "win32", True),
    ({}, "darwin", True),
])
def test_has_screen(env: dict[str, str], platform: str, expected: bool) -> None:
    assert has_screen(env, platform) is expected


def test_the_wizard_without_a_screen_says_so_in_one_line(headless_env: dict[str, str]) -> None:
    out = cli(env=headless_env, timeout=60)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("xtract-gui: No screen") and "xtract-gui demo" in lines[0]


@pytest.mark.slow
def test_demo_flag_without_a_screen_runs_the_headless_demo(headless_env: dict[str, str]) -> None:
    out = cli("--sync-seconds", "0.5", "--demo", env=headless_env, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    said = [line for line in out.stderr.splitlines() if "no screen" in line]
    assert said == ["xtract-gui: no screen (no DISPLAY or WAYLAND_DISPLAY); running the headless demo instead."]
    assert "every VM cut over and verified" in out.stdout


@pytest.mark.slow
def test_demo_again_in_a_used_state_dir_starts_a_fresh_lab(tmp_path: Path, headless_env: dict[str, str]) -> None:
    state = tmp_path / "demo"
    state.mkdir()
    (state / "notes.txt").write_text("mine")  # what else the user keeps there stays
    args = ("--sync-seconds", "0.5", "demo", "--vms", "1", "--state-dir", str(state))
    first = cli(*args, env=headless_env, timeout=300)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    assert "earlier demo" not in first.stderr
    again = cli(*args, env=headless_env, timeout=300)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]
    assert f"xtract-gui: {state} holds an earlier demo; starting a fresh lab in it." in again.stderr.splitlines()
    assert "every VM cut over and verified" in again.stdout
    assert (state / "notes.txt").read_text() == "mine"
