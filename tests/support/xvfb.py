"""A real X server for the desktop tests: Xvfb on a free display, started and stopped by its pid."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@contextmanager
def running_xvfb() -> Iterator[str]:
    """The display (":N") of a new Xvfb; skips the test when Xvfb is not installed."""
    if not shutil.which("Xvfb"):
        pytest.skip("Xvfb is not installed (tests/run.sh installs xvfb)")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", "1280x800x24"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # Xvfb writes its display number once it accepts clients
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
