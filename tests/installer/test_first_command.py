"""README's first command on a Python that refuses pip outside a virtual environment (issue 18 item 2).

``bash installer/start.sh --demo`` is run in a fresh copy of the checkout:
- with this machine's Debian 12 system Python first on PATH (/usr/bin/python3 3.11.2, which carries PEP 668's
  EXTERNALLY-MANAGED marker): it makes .venv from that Python, runs the headless demo (no screen) to the end,
  is a no-op the second time, and tests/run.sh then uses the same .venv;
- in a stock Debian 12 root (debootstrap minbase + apt's python3, as a desktop has it, without python3-venv):
  an ordinary user is told which package to install; root gets it installed and the demo runs; the wizard then
  names the X11/EGL libraries that system lacks, and once README's apt-get line is installed it opens on a real
  X server (Xvfb, through the chroot's view of its socket).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.guest_scripts import debian_root
from tests.support.wizard_script import wizard_script
from tests.support.xvfb import running_xvfb

from .checkout import fresh_copy

pytestmark = pytest.mark.slow
SYSTEM_PYTHON = Path("/usr/bin/python3")
HOST_CA = "/etc/ssl/certs/host-ca-certificates.crt"  # this machine's CA bundle, for pip in the chroot


def _plain_env(tmp_path: Path, path: str = "/usr/bin:/bin") -> dict[str, str]:
    """A login shell's environment: no virtual environment, no pyenv, no screen, temp files under ``tmp_path``."""
    drop = ("PYTHON", "VIRTUAL_ENV", "PYENV", "XTRACT_", "DISPLAY", "WAYLAND_DISPLAY", "QT_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return {**env, "PATH": path, "TMPDIR": str(tmp), "XTRACT_GUI_HOME": str(tmp_path / "home")}


def _verdict(stdout: str) -> str:
    return next((line for line in reversed(stdout.splitlines()) if line.startswith("demo: ")), "")


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no system Python at /usr/bin/python3")
def test_the_first_command_with_a_pep668_system_python(tmp_path: Path) -> None:
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import sysconfig; print(sysconfig.get_path('stdlib'))"],
                           capture_output=True, text=True, check=True, timeout=60)
    if not (Path(probe.stdout.strip()) / "EXTERNALLY-MANAGED").exists():
        pytest.skip("the system Python here is not marked EXTERNALLY-MANAGED (PEP 668)")
    src = fresh_copy(tmp_path / "checkout")
    env = _plain_env(tmp_path)
    refused = subprocess.run([str(SYSTEM_PYTHON), "-m", "pip", "install", "--dry-run", "-e", "."], cwd=src,
                             env=env, capture_output=True, text=True, timeout=300)
    assert refused.returncode != 0  # what README's old first command ran into
    assert "externally-managed-environment" in refused.stderr or "No module named pip" in refused.stderr

    first = subprocess.run(["bash", "installer/start.sh", "--demo"], cwd=src, env=env, capture_output=True,
                           text=True, timeout=1800)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert _verdict(first.stdout) == "demo: every VM cut over and verified", first.stdout[-2000:]
    assert "running the headless demo instead" in first.stderr
    cfg = (src / ".venv" / "pyvenv.cfg").read_text()
    assert "home = /usr/bin" in cfg, cfg

    again = subprocess.run(["bash", "installer/start.sh", "--version"], cwd=src, env=env, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0 and "xtract-gui" in again.stdout, again.stderr
    assert "installing" not in again.stderr and "creating" not in again.stderr, again.stderr

    tests = subprocess.run(["bash", "tests/run.sh", "--collect-only", "-q", "tests/test_paths.py"], cwd=src,
                           env=env, capture_output=True, text=True, timeout=1800)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-3000:]
    assert "creating" not in tests.stderr and "tests collected" in tests.stdout
    assert (src / ".venv" / "pyvenv.cfg").read_text() == cfg  # the same environment, with the test extras added


# -- a stock Debian 12 -------------------------------------------------------------------------------------------


def _sh(root: Path, command: str, *, user: str = "", env: dict[str, str] | None = None,
        timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    chroot = ["chroot", *([f"--userspec={user}"] if user else []), str(root), "/bin/bash", "-c", command]
    base = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
            "LANG": "C.UTF-8", "DEBIAN_FRONTEND": "noninteractive", "PIP_CERT": HOST_CA}
    return subprocess.run(chroot, env={**base, **(env or {})}, capture_output=True, text=True, timeout=timeout)


@contextmanager
def _mounted(root: Path, display_socket: Path | None) -> Iterator[None]:
    """/proc, /dev and persistent download caches inside ``root``; the host's name resolution."""
    cache = debian_root.cache_dir()
    binds = [(Path("/dev"), root / "dev"), (cache / "stock-apt", root / "var/cache/apt/archives"),
             (cache / "stock-pip", root / "root/.cache/pip")]
    if display_socket is not None:
        binds.append((display_socket, root / "tmp/.X11-unix"))
    # This machine reaches PyPI through its own TLS proxy and local mirrors (its /etc/pip.conf): pip in the
    # chroot gets the same, as the host's pip does. Nothing of the product changes with it.
    binds += [(Path(d), root / d.lstrip("/")) for d in ("/opt/pypi", "/opt/pypi-more", "/opt/wheels")
              if Path(d).is_dir()]
    for conf in ("/etc/pip.conf", "/etc/xdg/pip"):
        if Path(conf).is_file():
            shutil.copy(conf, root / conf.lstrip("/"))
        elif Path(conf).is_dir():
            shutil.copytree(conf, root / conf.lstrip("/"), dirs_exist_ok=True)
    done: list[Path] = []
    try:
        (root / "proc").mkdir(exist_ok=True)
        subprocess.run(["mount", "-t", "proc", "proc", str(root / "proc")], check=True, timeout=60)
        done.append(root / "proc")
        for source, target in binds:
            source.mkdir(parents=True, exist_ok=True)
            target.mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "--bind", str(source), str(target)], check=True, timeout=60)
            done.append(target)
        shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
        (root / "etc/ssl/certs").mkdir(parents=True, exist_ok=True)
        shutil.copy("/etc/ssl/certs/ca-certificates.crt", root / HOST_CA.lstrip("/"))
        yield
    finally:
        for target in reversed(done):
            subprocess.run(["umount", "-l", str(target)], check=False, timeout=60)


_OPEN_WIZARD = wizard_script('print("ready", app.platformName(), flush=True)')


def _readme_debian_line() -> str:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if "apt-get install" in line and "libxcb-cursor0" in line)
    return line.replace("sudo ", "", 1).strip()


def test_the_first_command_on_a_stock_debian_12(tmp_path: Path, xvfb_socket: tuple[str, Path]) -> None:
    display, socket_dir = xvfb_socket
    with debian_root.writable_root(tmp_path / "debian") as root, _mounted(root, socket_dir):
        python = _sh(root, "apt-get update -q && apt-get install -y -q --no-install-recommends python3")
        if python.returncode != 0 and "Temporary failure" in python.stdout + python.stderr:
            pytest.skip("the Debian mirror cannot be reached from here")
        assert python.returncode == 0, python.stderr[-3000:]
        assert _sh(root, "python3 -c 'import ensurepip'").returncode != 0  # Debian keeps it in python3.11-venv
        fresh_copy(root / "src")
        os.chmod(root / "src", 0o755)

        user = _sh(root, "cd /src && bash installer/start.sh --version", user="65534:65534", timeout=300)
        assert user.returncode == 1
        assert "sudo apt-get install python3.11-venv" in user.stderr, user.stderr
        assert not (root / "src/.venv").exists()

        demo = _sh(root, "cd /src && bash installer/start.sh --demo")
        if demo.returncode != 0 and "pypi.org" in demo.stderr and "Failed to establish" in demo.stderr:
            pytest.skip("PyPI cannot be reached from here")
        assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
        assert "installing python3.11-venv" in demo.stderr
        assert _verdict(demo.stdout) == "demo: every VM cut over and verified", demo.stdout[-2000:]

        wizard = _sh(root, "cd /tmp && /src/.venv/bin/xtract-gui", env={"DISPLAY": display}, timeout=300)
        assert wizard.returncode == 1, wizard.stderr[-3000:]
        assert "libEGL.so.1" in wizard.stderr and "sudo apt-get install " in wizard.stderr, wizard.stderr
        # What it asks for is enough: install README's list, and the wizard opens on the X server.
        libs = _sh(root, f"{_readme_debian_line()} -y -q --no-install-recommends")
        assert libs.returncode == 0, libs.stderr[-3000:]
        (root / "src/open_wizard.py").write_text(_OPEN_WIZARD)
        opened = _sh(root, "cd /tmp && /src/.venv/bin/python /src/open_wizard.py", env={"DISPLAY": display},
                     timeout=300)
        assert opened.returncode == 0, opened.stderr[-3000:]
        assert "ready xcb" in opened.stdout


@pytest.fixture
def xvfb_socket() -> Iterator[tuple[str, Path]]:
    """An X server on this machine; the chroot sees its socket folder (/tmp/.X11-unix)."""
    if os.geteuid() != 0:
        pytest.skip("chroot needs root")
    with running_xvfb() as display:
        yield display, Path("/tmp/.X11-unix")
