"""Fixtures for the GUI tests: a qasync loop living inside pytest-qt's QApplication, and a main window."""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
qasync = pytest.importorskip("qasync")


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread() -> Iterator[None]:
    """Garbage a test leaves (windows in cycles with their slots) is freed here, on the GUI thread, before a
    thread of a later test (an HTTP server, an executor) runs the collector over it; see gui/gc_guard.py.  While the
    test runs, no other thread collects either (as in the app): the boot journeys' threads run all along."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        if was_enabled:
            gc.enable()


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


def run(loop, coro, timeout: float = 60.0):  # type: ignore[no-untyped-def]
    """Drive a coroutine to completion while Qt processes events (the loop is 'already running')."""
    from pytestqt.qtbot import QtBot  # noqa: F401  (pytest-qt is what spins the events)

    task = loop.create_task(coro)
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(int(timeout * 1000))
    while not task.done():
        if deadline.hasExpired():
            task.cancel()
            raise TimeoutError(f"{coro!r} did not finish in {timeout} s")
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
    return task.result()


@pytest.fixture
def preview_window(qtbot, aloop, state_dir, nfs_port):  # type: ignore[no-untyped-def]
    """The main window on the scripted preview engine, with preview credentials typed in."""
    from xtract_gui.gui.preview import PASSWORD, PreviewManager, PreviewWiring
    from xtract_gui.gui.window import MainWindow
    from xtract_gui.gui.wizard.flow import PageId

    window = MainWindow(state_dir=state_dir, wiring=PreviewWiring(lambda: PreviewManager(speed=200)))
    qtbot.addWidget(window)
    window.show()
    run(aloop, window.start_up())
    s = window.flow.state
    s.source.host, s.source.user, s.source.password = "vcsa.corp.local", "migrate@vsphere.local", PASSWORD
    s.target.host, s.target.user, s.target.password = "prism.corp.local", "admin", PASSWORD
    s.target.nfs_port = nfs_port
    window.wizard.show_page(PageId.SOURCE)
    window.test_password = PASSWORD  # type: ignore[attr-defined]
    yield window
    window._quit_ok = True
    run(aloop, window.shut_down())

# The offscreen platform logs what it cannot do (window raise, keyboard grab, size hints); not our warnings.
OFFSCREEN_LIMITS = r"^This plugin does not support"
