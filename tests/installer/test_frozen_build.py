"""Build the Linux one-folder app with PyInstaller and run the frozen binary.

A missing hidden import or data file then fails here, not on a consultant's laptop at a customer site. The
build leaves out Qt plugins the app never loads (installer/prune.py), so the wizard is opened by the frozen app
on a real X server too, and a system without the libraries it does not carry (libEGL) is told what to install.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import xtract_gui
from tests.support.hidden_libs import hiding, library_folder
from tests.support.xvfb import running_xvfb

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("installer")
    # The interpreter running the tests has the project's dependencies (tests/run.sh's venv); a python3
    # found on PATH may not (it lacked paramiko), and PyInstaller bundles what that interpreter has.
    run = subprocess.run(["bash", str(ROOT / "installer" / "build.sh"), "--out", str(out)],
                         capture_output=True, text=True, timeout=1200, env={**os.environ, "PYTHON": sys.executable})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    size_line = next(line for line in run.stdout.splitlines() if line.startswith("size: "))
    print(size_line)
    exe = out / "dist" / "xtract-gui" / "xtract-gui"
    apparent = sum(p.stat().st_size for p in exe.parent.rglob("*") if p.is_file() and not p.is_symlink())
    assert apparent < 150 * 2**20, f"the one-folder build is {apparent / 2**20:.1f} MiB (issue 18: < 150 MB)"
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
    """Through installer/smoke.py, the check CI's installer jobs run on Windows and macOS too."""
    run = subprocess.run([sys.executable, str(ROOT / "installer" / "smoke.py"), str(frozen_app)],
                         capture_output=True, text=True, timeout=1800, cwd=tmp_path, env=_env(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert f"smoke: ok: {frozen_app}" in run.stdout


def _desktop(tmp_path: Path, display: str) -> dict[str, str]:
    env = {k: v for k, v in _env(tmp_path).items() if k != "QT_QPA_PLATFORM"}
    return {**env, "DISPLAY": display}


def test_the_frozen_wizard_opens_on_a_real_x_server(frozen_app: Path, tmp_path: Path) -> None:
    """The xcb platform, the SVG icon engine and the style the build kept are enough for the window to map."""
    if not shutil.which("xwininfo"):
        pytest.skip("xwininfo is not installed (tests/run.sh installs x11-utils)")
    with running_xvfb() as display:
        app = subprocess.Popen([str(frozen_app), "--demo"], cwd=tmp_path, env=_desktop(tmp_path, display),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            tree = ""
            for _ in range(600):  # up to ~5 minutes on a loaded box; ends as soon as the window is mapped
                tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True,
                                      text=True, timeout=60).stdout
                if '"xtract-gui' in tree or app.poll() is not None:
                    break
                time.sleep(0.5)
            assert app.poll() is None, f"the frozen wizard exited ({app.returncode})"
            assert '"xtract-gui' in tree, tree[-2000:]
        finally:
            app.send_signal(signal.SIGTERM)
            _, err = app.communicate(timeout=60)
    assert "qt.qpa" not in err and "Could not" not in err, err[-3000:]


def test_the_frozen_app_names_a_library_it_does_not_carry(frozen_app: Path, tmp_path: Path) -> None:
    """PyInstaller never bundles libEGL (it belongs to the graphics driver); without it QtGui cannot load."""
    folder = library_folder("libEGL.so.1", frozen_app.parent / "_internal" / "PySide6" / "QtGui.abi3.so")
    with running_xvfb() as display:
        run = subprocess.run([*hiding(["libEGL.so.1"], folder, tmp_path / "overlay"), str(frozen_app)],
                             cwd=tmp_path, env=_desktop(tmp_path, display), capture_output=True, text=True,
                             timeout=300)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "missing: libEGL.so.1" in run.stderr and "apt-get install libegl1" in run.stderr, run.stderr
