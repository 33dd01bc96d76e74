"""The layering rules of ARCHITECTURE.md, checked: import-linter contracts and a Qt-free engine."""

from __future__ import annotations

import os
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xtract_gui

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold() -> None:
    # Beside this interpreter first: tests/run.sh runs the venv's python without putting its bin on PATH.
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is not installed (pip install -e '.[test]')"
    run = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "broken" in run.stdout and " 0 broken" in run.stdout


def test_the_qt_blocker_really_blocks() -> None:
    # Guards the test below: if the blocker let PySide6 through, "runs without Qt" would prove nothing.
    code = "import tests.support.no_qt\ntry:\n import PySide6\nexcept ModuleNotFoundError:\n print('blocked')"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "blocked", run.stderr


def _modules(package: str) -> list[str]:
    pkg = __import__(package, fromlist=["__path__"])
    return [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".")]


def test_domain_engine_and_transfer_import_without_qt() -> None:
    names = [n for p in ("xtract_gui.domain", "xtract_gui.engine", "xtract_gui.transfer")
             for n in _modules(p)]
    code = f"import importlib, tests.support.no_qt\nfor n in {names!r}:\n    importlib.import_module(n)\nprint('ok')"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.stdout.strip() == "ok", run.stderr


@pytest.mark.slow
def test_domain_and_engine_tests_pass_without_qt() -> None:
    suites = [p for p in ("tests/domain", "tests/engine") if (ROOT / p).is_dir()]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:pytest-qt", "-p", "tests.support.no_qt",
                          "-W", "ignore::pytest.PytestConfigWarning",  # qt_api etc. are unknown without pytest-qt
                          "-m", "not e2e and not vcsim and not nfs", *suites],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_version_is_exposed() -> None:
    assert xtract_gui.__version__.count(".") == 2
