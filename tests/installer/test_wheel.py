"""The wheel, as pip, pipx or a package index hand it to someone (issue 18 item 1).

Built from a fresh copy of the checkout, installed with its dependencies into a new virtual environment outside
the checkout, then used from a folder that is not the checkout: the headless demo must finish with its verdict
ok (it reads every guest script from resources/), and the wizard must open offscreen on its first page (forms
from ui/, style and icons from assets/, the Japanese catalog).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.wizard_script import wizard_script

from .checkout import ROOT, fresh_copy, tracked_files

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = fresh_copy(tmp_path_factory.mktemp("src"))
    dist = tmp_path_factory.mktemp("dist")
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    (built,) = dist.glob("xtract_gui-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment holding the wheel and its dependencies: the bin folder."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=300)
    run = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                          str(wheel)], capture_output=True, text=True, timeout=1800, cwd=venv)
    assert run.returncode == 0, run.stderr[-3000:]
    return venv / "bin"


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**env, "XTRACT_GUI_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}


def test_the_wheel_carries_every_shipped_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set()
    for name in tracked_files():
        top = name.split("/")[0]
        if top in ("resources", "assets", "ui") and "/screenshots/" not in f"/{name}":
            expected.add(f"xtract_gui/_data/{name}")
        elif top == "xtract_gui" and "__pycache__" not in name:
            expected.add(name)  # modules, and any data a package keeps beside them (e.g. the lab's Go sources)
    assert expected - names == set()
    assert not [n for n in names if n.startswith(("resources/", "assets/", "ui/", "tests/"))]


def test_the_installed_wheel_runs_the_headless_demo(installed: Path, tmp_path: Path) -> None:
    run = subprocess.run([str(installed / "xtract-gui"), "demo", "--vms", "2", "--json", "--state-dir",
                          str(tmp_path / "lab")], capture_output=True, text=True, timeout=900, cwd=tmp_path,
                         env=_env(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    last = json.loads(run.stdout.strip().splitlines()[-1])
    assert last["event"] == "DemoFinished" and last["ok"] is True, last


def test_the_installed_wheel_opens_the_wizard_on_its_first_page(installed: Path, tmp_path: Path) -> None:
    script = "from xtract_gui import paths\nfrom xtract_gui.gui.app import Translations\n" + \
        "from xtract_gui.gui.wizard.flow_answers import PageId\n" + wizard_script("""
            wizard = window.wizard
            first = wizard.stack.currentWidget() is wizard.scrolls[PageId.SOURCE]
            print("page", first, wizard.title.text(), flush=True)
            print("styled", bool(app.styleSheet()), flush=True)
            print("japanese", Translations(app).install("ja"), flush=True)
            print("from", paths.ui_dir(), flush=True)
        """)
    run = subprocess.run([str(installed / "python"), "-c", script], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env=_env(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if " " in line)
    assert lines["page"].startswith("True "), run.stdout
    assert lines["styled"] == "True" and lines["japanese"] == "True", run.stdout
    ui = Path(lines["from"])
    assert ui.parts[-3:] == ("xtract_gui", "_data", "ui") and not ui.is_relative_to(ROOT)
