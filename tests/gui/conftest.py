"""Fixtures for the GUI tests: a qasync loop living inside pytest-qt's QApplication, and a main window."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")


@pytest.fixture
def aloop(qapp):  # type: ignore[no-untyped-def]
    """An asyncio loop driven by Qt's event processing (qtbot.waitUntil spins it)."""
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in pending:
        t.cancel()
    # qasync has no public way to end an "already running" loop without quitting the QApplication.
    loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
    loop._timer.stop()  # type: ignore[attr-defined]
    loop._after_run_forever()  # type: ignore[attr-defined]
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def nfs_port() -> Iterator[int]:
    """A listening TCP port standing in for the cluster's NFS service in warm-mode reachability checks."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield int(s.getsockname()[1])


@pytest.fixture
def state_dir(tmp_path: Path, xtract_home: Path) -> Path:
    path = tmp_path / "state"
    path.mkdir()
    return path
