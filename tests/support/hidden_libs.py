"""Run a command where some system libraries exist nowhere for the dynamic loader: what a machine without their
package sees. A private mount namespace lays an overlay over the library folder with a whiteout per file."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest


def library_folder(soname: str, needed_by: Path) -> Path:
    """The folder the loader takes ``soname`` from for ``needed_by`` (e.g. /usr/lib/x86_64-linux-gnu)."""
    out = subprocess.run(["ldd", str(needed_by)], capture_output=True, text=True, timeout=60, check=True).stdout
    for line in out.splitlines():
        name, arrow, rest = line.strip().partition(" => ")
        if arrow and name == soname and not rest.startswith("not found"):
            return Path(os.path.realpath(rest.split(" (")[0])).parent
    raise AssertionError(f"{needed_by} does not load {soname} here")


def hiding(libraries: Sequence[str], folder: Path, workdir: Path) -> list[str]:
    """A command prefix that runs its command with ``libraries`` (and their versioned files) gone from ``folder``."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("hiding system libraries needs root and unshare (a private mount namespace)")
    upper, work = workdir / "upper", workdir / "work"
    upper.mkdir(parents=True)
    work.mkdir()
    for name in libraries:
        for path in folder.glob(f"{name}*"):
            os.mknod(upper / path.name, stat.S_IFCHR | 0o600, os.makedev(0, 0))  # an overlay whiteout
    mount = 'mount -t overlay overlay -o lowerdir="$1",upperdir="$2",workdir="$3" "$1" && shift 3 && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mount, "sh", str(folder), str(upper),
            str(work)]
