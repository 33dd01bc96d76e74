"""Build the Linux one-folder app with PyInstaller and run the frozen binary.

A missing hidden import or data file then fails here, not on a consultant's
laptop at a customer site.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import xtract_gui

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("installer")
    # Built by the interpreter running the tests: the project's own environment, with every dependency it declares.
    run = subprocess.run(["bash", str(ROOT / "installer" / "build.sh"), "--out", str(out)],
                         capture_output=True, text=True, timeout=1200, env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    size_line = next(line for line in run.stdout.splitlines() if line.startswith("size: "))
    print(size_line)  # the build reports its size; the target (< 150 MB) is tracked in the notes, not asserted
    exe = out / "dist" / "xtract-gui" / "xtract-gui"
    assert exe.is_file() and os.access(exe, os.X_OK)
    return exe


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    # The frozen app must not lean on the checkout or a Python install: hide both.
    env.update(QT_QPA_PLATFORM="offscreen", XTRACT_GUI_HOME=str(tmp_path / "home"), PATH="/usr/bin:/bin",
               PYTHONNOUSERSITE="1")
    return env


def test_frozen_app_reports_its_version(frozen_app: Path, tmp_path: Path) -> None:
    run = subprocess.run([str(frozen_app), "--version"], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path, env=_env(tmp_path))
    assert run.returncode == 0, run.stderr
    assert xtract_gui.__version__ in run.stdout


def test_frozen_app_runs_a_headless_demo_to_completion(frozen_app: Path, tmp_path: Path) -> None:
    run = subprocess.run([str(frozen_app), "demo", "--vms", "2", "--json", "--state-dir", str(tmp_path / "lab")],
                         capture_output=True, text=True, timeout=900, cwd=tmp_path, env=_env(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    last = json.loads(run.stdout.strip().splitlines()[-1])
    assert last["event"] == "DemoFinished" and last["ok"] is True, last
