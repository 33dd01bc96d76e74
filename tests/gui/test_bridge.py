"""The bridge: engine events from any thread arrive as Qt signals on the GUI thread, progress coalesced."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from xtract_gui.domain.errors import AuthenticationError
from xtract_gui.domain.plan import SecretRef
from xtract_gui.domain.states import JobState
from xtract_gui.engine.events import JobStateChanged, LogLine, Progress
from xtract_gui.gui.bridge import EngineBridge, Service
from xtract_gui.gui.wizard.backend import SessionSecrets

from .conftest import run

pytestmark = pytest.mark.gui


class _Engine:
    def __init__(self) -> None:
        self.sinks: list = []  # type: ignore[type-arg]

    def subscribe(self, sink):  # type: ignore[no-untyped-def]
        self.sinks.append(sink)
        return lambda: self.sinks.remove(sink)


def test_events_from_a_worker_thread_arrive_on_the_gui_thread_coalesced(qtbot) -> None:  # type: ignore[no-untyped-def]
    engine = _Engine()
    bridge = EngineBridge()
    bridge.attach(engine)
    received: list[tuple[str, object, bool]] = []
    gui_thread = QThread.currentThread()
    for name in ("progressChanged", "jobStateChanged", "logLine"):
        getattr(bridge, name).connect(lambda e, n=name: received.append((n, e, QThread.currentThread() is gui_thread)))

    def produce() -> None:
        for i in range(1, 2001):
            engine.sinks[0](Progress("vm-1", "seed", i, 2000, 1e6, None))
        engine.sinks[0](JobStateChanged("vm-1", JobState.SEEDING, JobState.SYNCING))
        engine.sinks[0](LogLine("vm-1", "INFO", "seeded"))

    worker = threading.Thread(target=produce)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: any(n == "logLine" for n, _, _ in received), timeout=5000)
    assert all(on_gui for _, _, on_gui in received)
    progress = [e for n, e, _ in received if n == "progressChanged"]
    assert 1 <= len(progress) <= 5  # 2000 updates became a handful of repaints
    assert progress[-1].done_bytes == 2000
    names = [n for n, _, _ in received]
    assert names.index("jobStateChanged") > max(i for i, n in enumerate(names) if n == "progressChanged")
    bridge.detach()
    assert engine.sinks == []


def test_service_reports_busy_and_scrubbed_failures(qtbot, aloop) -> None:  # type: ignore[no-untyped-def]
    secrets = SessionSecrets(None)
    secrets.remember(SecretRef("s", "u"), "Pa55-word!", persist=False)
    backend = type("B", (), {"secrets": secrets})()
    service = Service(backend)
    busy: list[bool] = []
    failures: list[tuple[str, str]] = []
    service.busyChanged.connect(lambda b, _label: busy.append(b))
    service.failed.connect(lambda label, text: failures.append((label, text)))
    caller = threading.get_ident()
    assert run(aloop, service.run("work", lambda: threading.get_ident())) != caller  # ran in a worker thread

    def refuse() -> None:
        raise AuthenticationError("vCenter rejected user u with password Pa55-word!.", hint="Check both.")

    with pytest.raises(AuthenticationError):
        run(aloop, service.run("connect", refuse))
    assert busy == [True, False, True, False]
    assert failures == [("connect", "vCenter rejected user u with password ********. Check both.")]
    assert not service.busy
