"""A fresh copy of the checkout as a new user gets it: the files git knows (committed or not, never ignored ones)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True, timeout=60).stdout
    return sorted({name for name in out.decode().split("\0") if name and (ROOT / name).is_file()})


def fresh_copy(into: Path) -> Path:
    """The checkout's files copied to ``into`` (no .venv, no build/, no caches)."""
    for name in tracked_files():
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    return into
