"""Where shipped files are found, and the laptop's own files readable by their owner only (issue 21 item 4).

The store, the per-VM logs, xtract-gui.log, trusted-certificates.json and gui.ini hold hosts, user names,
guest outputs (IP configuration, KMS host) and the journal: folders 0700, files 0600, whatever the umask
of the shell that started the app. Checked through the real composition roots, as subprocesses started
with the common umask 022.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.wizard_script import wizard_script
from xtract_gui import paths
from xtract_gui.domain.errors import ConfigurationError
from xtract_gui.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(os.name != "posix", reason="modes are POSIX; Windows keeps the profile's ACL")


def _loose(tree: Path) -> list[str]:
    """Every entry under ``tree`` (itself included) that group or others can use."""
    entries = [tree, *tree.rglob("*")]
    return [f"{oct(stat.S_IMODE(p.lstat().st_mode))} {p.relative_to(tree.parent)}" for p in entries
            if not p.is_symlink() and stat.S_IMODE(p.lstat().st_mode) & 0o077]


# -- shipped files ------------------------------------------------------------------------------------


def test_a_checkout_finds_its_top_level_folders() -> None:
    assert paths.resources_dir() == ROOT / "resources"
    assert paths.assets_dir() == ROOT / "assets"
    assert paths.ui_dir() == ROOT / "ui"
    assert (paths.resources_dir() / "manifest.json").is_file()


def test_an_installed_package_finds_them_inside_itself_and_never_beside_it(tmp_path: Path) -> None:
    """Laid out as a wheel installs it (site-packages/xtract_gui/_data/…): a stray site-packages/resources
    (what the old lookup read, with a 'resources folder is incomplete' error) must not win."""
    site = tmp_path / "site-packages"
    (site / "xtract_gui" / "_data" / "resources").mkdir(parents=True)
    (site / "resources").mkdir()
    (site / "assets").mkdir()
    probe = textwrap.dedent("""
        import sys, shutil, pathlib
        from xtract_gui import paths
        paths.package_dir = lambda: pathlib.Path(sys.argv[1]) / "xtract_gui"
        print(paths.resources_dir()); print(paths.assets_dir())
    """)
    out = subprocess.run([sys.executable, "-c", probe, str(site)], capture_output=True, text=True, timeout=60,
                         check=True).stdout.split()
    assert out == [str(site / "xtract_gui" / "_data" / "resources"), str(site / "xtract_gui" / "_data" / "assets")]


# -- private folders ----------------------------------------------------------------------------------


@posix_only
def test_a_new_folder_is_made_0700(tmp_path: Path) -> None:
    made = paths.private_dir(tmp_path / "a" / "data")
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


@posix_only
def test_a_folder_an_older_version_left_open_is_tightened_with_its_files(tmp_path: Path) -> None:
    old = tmp_path / "data"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    (old / "xtract.sqlite3").write_text("db")
    (old / "xtract.sqlite3").chmod(0o644)
    (old / "demo-lab").mkdir()
    (old / "demo-lab").chmod(0o755)
    paths.private_dir(old)
    assert _loose(old) == []


@posix_only
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to act as another user")
def test_a_folder_of_another_user_is_refused(request: pytest.FixtureRequest) -> None:
    """A folder someone else made first (e.g. in a shared XTRACT_GUI_HOME) would receive our journal."""
    shared = Path(tempfile.mkdtemp(prefix="xtract-shared-"))  # pytest's own tmp is root's alone
    request.addfinalizer(lambda: shutil.rmtree(shared, ignore_errors=True))
    shared.chmod(0o1777)
    planted = shared / "data"
    planted.mkdir()
    os.chown(planted, 12345, 12345)
    # The system Python: a virtual environment under root's home is out of reach of the other user.
    python = shutil.which("python3", path="/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3 to run as another user")
    probe = "from xtract_gui import paths; import sys, pathlib; paths.private_dir(pathlib.Path(sys.argv[1]))"
    out = subprocess.run([python, "-c", probe, str(planted)], capture_output=True, text=True, timeout=60,
                         user=54321, cwd="/", env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert out.returncode != 0
    assert "belongs to another user" in out.stderr and ConfigurationError.__name__ in out.stderr


# -- through the composition roots ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(tmp_path_factory.mktemp("private-lab"), vms=1) as lab:
        yield lab


@posix_only
@pytest.mark.e2e
def test_the_cli_keeps_store_and_vm_logs_private(tmp_path: Path, lab: Lab) -> None:
    assert lab.endpoints is not None
    home = tmp_path / "home"
    plan = tmp_path / "plan.json"
    plan.write_text(lab.endpoints.plan.to_json(), encoding="utf-8")
    env = {**os.environ, "XTRACT_GUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "xtract_gui", "--sync-seconds", "1", "run", str(plan), "--until",
                          "ready"], env=env, capture_output=True, text=True, timeout=300, umask=0o022, cwd=ROOT)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    made = {p.relative_to(home).as_posix() for p in home.rglob("*")}
    assert "data/xtract.sqlite3" in made
    assert any(name.startswith("logs/xtract-") for name in made), made  # a per-VM log
    assert _loose(home) == []


@posix_only
@pytest.mark.gui
def test_the_wizard_keeps_its_log_pins_and_settings_private(tmp_path: Path) -> None:
    script = "from xtract_gui.gui import app as gui_app\n" + wizard_script("""
        window.backend.pins.pin("vc.example.com", 443, "ab" * 32)  # what trusting a certificate does
        gui_app.settings().setValue("language", "en")
        gui_app.settings().sync()
    """, when="window.controller.manager")
    home = tmp_path / "home"
    env = {**os.environ, "XTRACT_GUI_HOME": str(home), "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=180,
                          umask=0o022, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    made = {p.relative_to(home).as_posix() for p in home.rglob("*")}
    assert {"logs/xtract-gui.log", "data/trusted-certificates.json", "data/gui.ini", "data/xtract.sqlite3"} <= made
    assert _loose(home) == []
