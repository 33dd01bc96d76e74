"""The wizard on a real X server, and what a desktop without Qt's system libraries is told (issue 18 item 3).

Qt's xcb plugin links against X11 client libraries that PySide6's wheels do not carry. On a Debian 12
desktop without libxcb-icccm4, Qt aborts in QApplication() and blames xcb-cursor. Here:
- the README's Debian package list is checked against what the plugins really link to on this machine;
- the wizard opens on Xvfb through the xcb plugin (the libraries tests/run.sh installs are enough);
- with libraries hidden from the dynamic loader (a private mount namespace whose library folder is an
  overlay with whiteouts, so the loader finds them nowhere: what a machine without the package sees), the
  app names them and the command that installs them, and ``--demo`` goes on headless.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import PySide6
import pytest
from PySide6.QtCore import QLibraryInfo

from tests.support.hidden_libs import hiding, library_folder
from tests.support.wizard_script import wizard_script
from tests.support.xvfb import running_xvfb
from xtract_gui.gui.qpa_check import PACKAGES, PlatformProblem, candidate_plugins, install_command

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
PYSIDE = Path(PySide6.__file__).parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Qt's X11/Wayland plugins are Linux's")
DEBIAN = {"ID": "debian"}


def _ldd(library: Path) -> dict[str, str]:
    """soname -> the file the loader picks ("" when not found)."""
    out = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=60, check=True).stdout
    found = {}
    for line in out.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow:
            found[name] = "" if rest.startswith("not found") else rest.split(" (")[0]
    return found


def _readme_debian_packages() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if "apt-get install" in line and "libxcb-cursor0" in line]
    assert len(lines) == 1, "README lists Qt's Debian/Ubuntu packages on one 'apt-get install' line"
    return set(lines[0].split("apt-get install", 1)[1].split())


# -- pure parts -------------------------------------------------------------------------------------------


def test_the_install_command_follows_the_distribution() -> None:
    missing = ("libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libQt6XcbQpa.so.6")
    assert install_command(missing, {"ID": "debian"}) == "sudo apt-get install libxcb-icccm4 libxcb-keysyms1"
    assert install_command(missing, {"ID": "ubuntu", "ID_LIKE": "debian"}).endswith("libxcb-icccm4 libxcb-keysyms1")
    assert install_command(missing, {"ID": "fedora"}) == "sudo dnf install xcb-util-wm xcb-util-keysyms"
    assert install_command(missing, {"ID": "arch"}) == ""
    text = PlatformProblem(("xcb",), missing).message(DEBIAN)
    assert "libxcb-icccm.so.4" in text and "reinstall" in text and "xtract-gui demo" in text


def test_the_plugins_qt_tries() -> None:
    assert candidate_plugins({"DISPLAY": ":0"}) == ["xcb"]
    assert candidate_plugins({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}) == ["wayland", "xcb"]
    assert candidate_plugins({"QT_QPA_PLATFORM": "wayland;xcb:foo"}) == ["wayland", "xcb"]


# -- the package list against the real plugins ---------------------------------------------------------------


def _needed(library: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(library)], capture_output=True, text=True, timeout=60, check=True)
    return re.findall(r"^\s+NEEDED\s+(\S+)$", out.stdout, re.MULTILINE)


def _system_libraries_of(roots: Sequence[Path]) -> dict[str, str]:
    """soname -> file, for the system libraries ``roots`` and the Qt libraries they pull in link to directly."""
    qt_lib = PLATFORMS.parents[1] / "lib"
    todo, seen, system = list(roots), set(), {}
    while todo:
        library = todo.pop()
        if library in seen:
            continue
        seen.add(library)
        resolved = _ldd(library)
        for soname in _needed(library):
            if (qt_lib / soname).exists():
                todo.append(qt_lib / soname)
            elif resolved.get(soname):
                system[soname] = resolved[soname]
    return system


def _minimal_debian() -> set[str]:
    """What debootstrap's minbase installs: the packages of priority required and everything they depend on."""
    required = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Priority}\\n"], capture_output=True,
                              text=True, timeout=60, check=True).stdout.split("\n")
    names = [line.split()[0] for line in required if line.endswith(" required")]
    closure = subprocess.run(["apt-cache", "depends", "--recurse", "--no-recommends", "--no-suggests",
                              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *names],
                             capture_output=True, text=True, timeout=120, check=True).stdout
    return {line.strip() for line in closure.splitlines() if line and not line.startswith(" ")}


@linux_only
@pytest.mark.skipif(not (shutil.which("dpkg-query") and shutil.which("apt-cache") and shutil.which("objdump")),
                    reason="package names are checked on Debian/Ubuntu (dpkg, binutils)")
def test_readme_and_run_sh_name_every_library_the_desktop_plugins_need() -> None:
    """Each system library that QtWidgets, the xcb and wayland plugins (and the Qt libraries they load) link
    to, unless a minimal Debian has it, is in qpa_check's table under its real package; README's apt-get line
    and tests/run.sh name every package of that table."""
    base = _minimal_debian()
    checked = []
    for soname, path in sorted(_system_libraries_of([*PYSIDE.glob("QtWidgets.*so"), PLATFORMS / "libqxcb.so",
                                                                    PLATFORMS / "libqwayland.so"]).items()):
        owner = subprocess.run(["dpkg-query", "-S", os.path.realpath(path)], capture_output=True, text=True,
                               timeout=60)
        if owner.returncode != 0:
            continue  # not from a package (copied in by hand): nothing to name
        package = owner.stdout.split(":")[0].strip()
        priority = subprocess.run(["dpkg-query", "-W", "-f", "${Priority}", package], capture_output=True,
                                  text=True, timeout=60, check=True).stdout.strip()
        if priority == "important" or package in base:
            continue
        assert soname in PACKAGES, f"{soname} ({package}) is missing from qpa_check.PACKAGES"
        assert PACKAGES[soname][0] == package, soname
        checked.append(soname)
    assert {"libxcb-icccm.so.4", "libxcb-cursor.so.0", "libxkbcommon-x11.so.0"} <= set(checked), checked
    debian = {deb for deb, _ in PACKAGES.values()}
    assert _readme_debian_packages() == debian
    run_sh = set(re.findall(r"[\w.+-]+", (ROOT / "tests" / "run.sh").read_text(encoding="utf-8")))
    assert debian <= run_sh, debian - run_sh


# -- a real X server ---------------------------------------------------------------------------------------------


@pytest.fixture
def xvfb() -> Iterator[str]:
    with running_xvfb() as display:
        yield display


_OPEN_WIZARD = wizard_script('print("ready", app.platformName(), window.windowTitle(), flush=True)',
                             when="window.isVisible() and window.controller.manager")


def _desktop_env(tmp_path: Path, display: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    return {**env, "DISPLAY": display, "XTRACT_GUI_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}


@linux_only
@pytest.mark.gui
def test_the_wizard_opens_on_a_real_x_server(tmp_path: Path, xvfb: str) -> None:
    done = subprocess.run([sys.executable, "-c", _OPEN_WIZARD], env=_desktop_env(tmp_path, xvfb), cwd=ROOT,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "ready xcb xtract-gui — demo" in done.stdout
    assert "qt.qpa" not in done.stderr, done.stderr  # no plugin or library complaint on the way


# -- libraries missing -------------------------------------------------------------------------------------------


def _hiding(libraries: Sequence[str], tmp_path: Path) -> list[str]:
    return hiding(libraries, library_folder("libxcb.so.1", PLATFORMS / "libqxcb.so"), tmp_path / "overlay")


HIDDEN = ("libxcb-icccm.so.4", "libxcb-cursor.so.0")


@linux_only
@pytest.mark.gui
def test_a_desktop_without_qts_libraries_is_told_which_and_how_to_install_them(tmp_path: Path, xvfb: str) -> None:
    run = subprocess.run([*_hiding(HIDDEN, tmp_path), sys.executable, "-m", "xtract_gui"],
                         env=_desktop_env(tmp_path, xvfb), cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, f"exit {run.returncode} (Qt's abort is -6):\n{run.stderr[-3000:]}"
    assert re.search(r"missing: .*libxcb-icccm\.so\.4", run.stderr) and "libxcb-cursor.so.0" in run.stderr
    if Path("/etc/debian_version").exists():
        assert "sudo apt-get install libxcb-icccm4 libxcb-cursor0" in run.stderr or \
               "sudo apt-get install libxcb-cursor0 libxcb-icccm4" in run.stderr, run.stderr


@linux_only
@pytest.mark.gui
@pytest.mark.e2e
def test_the_demo_on_such_a_desktop_runs_headless_instead(tmp_path: Path, xvfb: str) -> None:
    run = subprocess.run([*_hiding(HIDDEN, tmp_path), sys.executable, "-m", "xtract_gui", "--demo"],
                         env=_desktop_env(tmp_path, xvfb), cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    assert "libxcb-icccm.so.4" in run.stderr and "running the headless demo instead" in run.stderr
    assert "demo: every VM cut over and verified" in run.stdout


@linux_only
@pytest.mark.gui
def test_a_system_where_qtgui_itself_cannot_load_is_told_too(tmp_path: Path, xvfb: str) -> None:
    """libQt6Gui links to libEGL: without it, importing QtWidgets fails before any platform plugin is tried."""
    run = subprocess.run([*_hiding(["libEGL.so.1"], tmp_path), sys.executable, "-m", "xtract_gui"],
                         env=_desktop_env(tmp_path, xvfb), cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert run.returncode == 1, run.stderr[-3000:]
    assert "Qt cannot load its libraries: these system libraries are missing: libEGL.so.1" in run.stderr, run.stderr
    if Path("/etc/debian_version").exists():
        assert "sudo apt-get install libegl1" in run.stderr, run.stderr
