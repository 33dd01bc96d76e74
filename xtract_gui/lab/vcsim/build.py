"""Building govmomi's vCenter simulator from our Go sources (``go/`` next to this file, shipped as package data).

The binary is built in GOPATH mode against Debian's govmomi 0.24.2 sources and cached in
``~/.cache/xtract-gui/vcsim-<sha256 of the .go files>/vcsim``; a lock file keeps concurrent runs from
building it twice.  Without Go or those sources it cannot be built: ``VcsimUnavailable`` says what to
install (or to use the built-in Python lab source instead).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from ...domain.errors import ConfigurationError

GOVMOMI_GOPATH = Path("/usr/share/gocode")
_INSTALL = "apt-get install golang-go golang-github-vmware-govmomi-dev"


class VcsimUnavailable(ConfigurationError):
    """The simulator cannot be built or started here (no Go, no govmomi sources, no Go files)."""


def go_sources() -> Path:
    """The folder holding the simulator's .go files, in a checkout or an installed package."""
    folder = Path(str(resources.files(__package__ or "xtract_gui.lab.vcsim") / "go"))
    if not any(folder.glob("*.go")):
        raise VcsimUnavailable(f"The govmomi simulator's Go sources are missing ({folder}).",
                               hint="Reinstall xtract-gui, or use '--source python' (the built-in lab source).")
    return folder


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xtract-gui"


def source_hash(folder: Path | None = None) -> str:
    """SHA-256 over every .go file (names and contents), so any edit rebuilds."""
    digest = hashlib.sha256()
    for path in sorted((folder or go_sources()).glob("*.go")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_vcsim() -> Path:
    """The simulator binary for the current sources, building it when the cache has none."""
    src = go_sources()
    target = cache_root() / f"vcsim-{source_hash(src)}" / "vcsim"
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise VcsimUnavailable("Building the govmomi simulator needs the Go compiler, which is not installed.",
                               hint=f"On Debian/Ubuntu: {_INSTALL} (tests/run.sh does it); "
                                    "or use '--source python' (the built-in lab source).")
    if not (GOVMOMI_GOPATH / "src/github.com/vmware/govmomi").is_dir():
        raise VcsimUnavailable(f"Building the govmomi simulator needs govmomi's Go sources in {GOVMOMI_GOPATH}.",
                               hint=f"On Debian/Ubuntu: {_INSTALL}; or use '--source python'.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process built it while we waited
            return target
        with tempfile.TemporaryDirectory(prefix="xtract-vcsim-gopath-") as gopath:
            (Path(gopath) / "src").mkdir()
            pkg = Path(gopath) / "src" / "xtractvcsim"
            shutil.copytree(src, pkg)
            env = dict(os.environ, GO111MODULE="off", GOPATH=f"{gopath}:{GOVMOMI_GOPATH}",
                       GOCACHE=str(cache_root() / "go-build"), GOFLAGS="")
            tmp = target.with_suffix(".tmp")
            result = subprocess.run(["go", "build", "-o", str(tmp), "."], cwd=pkg, env=env,
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise VcsimUnavailable("Building the govmomi simulator failed.",
                                       hint="See the compiler output in the log; the Go or govmomi version "
                                            "may not match (Debian 12's 1.19 / 0.24.2 are known to work).",
                                       detail=result.stderr[-4000:])
            tmp.rename(target)
    return target
