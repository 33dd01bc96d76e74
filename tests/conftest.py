"""Suite-wide fixtures.  Each real peer's fixtures live in tests/support/<peer>.py."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest_plugins = [
    "tests.support.vcsim",
    "tests.support.prism",
    "tests.support.ganesha",
    "tests.support.winrm",
    "tests.support.faultproxy",
    "tests.support.boot",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def xtract_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private XTRACT_GUI_HOME so no test touches the user's real data dir."""
    home = tmp_path / "xtract-home"
    monkeypatch.setenv("XTRACT_GUI_HOME", str(home))
    yield home
