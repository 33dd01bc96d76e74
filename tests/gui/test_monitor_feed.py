"""The job monitor on the real JobManager (SQLite store, emitter, log files): nothing the engine stores is read
on the GUI thread, and events that arrive while a read is in flight are neither lost, doubled nor applied out
of order.  Reads are held at a gate (before or after the snapshot is taken) so that each interleaving happens
every time, not by luck of scheduling."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Adapters
from xtract_gui.engine.events import JobStateChanged, StepChanged, StepState
from xtract_gui.engine.manager import JobManager
from xtract_gui.engine.store import Store
from xtract_gui.gui.bridge import EngineBridge
from xtract_gui.gui.monitor.widget import JobMonitor
from xtract_gui.gui.screenshots import wait_until
from xtract_gui.wiring import DictSecrets

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]
VMS = ("vm-0", "vm-1", "vm-2")


class Gate:
    """Wraps a blocking read: for the VM ids in ``vm_ids`` (all when empty) the call waits for ``open``, before
    or after it reads; every caller's thread is recorded."""

    def __init__(self, fn: Callable[..., Any], *, after: bool, vm_ids: tuple[str, ...] = ()) -> None:
        self.fn, self.after, self.vm_ids = fn, after, vm_ids
        self.entered = threading.Event()
        self.open = threading.Event()

    def __call__(self, *args: Any) -> Any:
        held = not self.vm_ids or (args and args[0] in self.vm_ids)
        if held and not self.after:
            self.entered.set()
            self.open.wait(20)
        result = self.fn(*args)
        if held and self.after:
            self.entered.set()
            self.open.wait(20)
        return result


def _unused(*_: Any) -> Any:
    raise AssertionError("the monitor must not connect to anything")


@pytest.fixture
def manager(tmp_path: Path, aloop) -> Iterator[JobManager]:  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "xtract.db")
    m = JobManager(store=store, adapters=Adapters(secrets=DictSecrets(), source=_unused, target=_unused,
                                                  writers=_unused, log_dir=tmp_path / "logs"))
    m.emitter.bind_loop(aloop)
    for i, vm_id in enumerate(VMS):
        store.create_job(vm_id, "plan-test", f"web-0{i}")
        m.emitter.name_vm(vm_id, f"web-0{i}")
    yield m
    run(aloop, m.close())
    store.close()


@pytest.fixture
def monitor(qtbot, aloop, manager: JobManager) -> JobMonitor:  # type: ignore[no-untyped-def]
    """The monitor wired to the manager's events as MainWindow wires it (bridge → on_event)."""
    mon = JobMonitor()
    qtbot.addWidget(mon)
    bridge = EngineBridge(mon)
    for signal in (bridge.jobStateChanged, bridge.stepChanged, bridge.progressChanged, bridge.syncSummary,
                   bridge.logLine):
        signal.connect(mon.on_event)
    bridge.attach(manager)
    mon._refresh.setInterval(60_000)  # no follow-up read of stale rows behind a test's back
    mon.attach(manager)
    run(aloop, wait_until(lambda: mon.jobs.rowCount() == 3 and mon.detail.vm_id == "vm-0"
                          and not mon.detail.loading, 10, "first load"))
    return mon


def _step(m: JobManager, vm_id: str, step_id: str, title: str, state: StepState, message: str = "") -> None:
    """What JobContext.step does: the store first, then the event."""
    m.store.record_step(vm_id, step_id, title, state.value, message)
    m.emitter.emit(StepChanged(vm_id, step_id, title, state, message))


def _set_state(m: JobManager, vm_id: str, old: JobState, new: JobState) -> None:
    m.store.set_state(vm_id, new)
    m.emitter.emit(JobStateChanged(vm_id, old, new))


def _log_text(mon: JobMonitor) -> list[str]:
    return [line.split(None, 2)[2] for line in mon.log.toPlainText().splitlines()]


def _steps(mon: JobMonitor) -> list[tuple[str, StepState]]:
    return [(s.step_id, s.state) for s in (mon.steps.step_at(i) for i in range(mon.steps.rowCount()))]


def _settle(aloop, qtbot) -> None:  # type: ignore[no-untyped-def]
    """Let queued deliveries (emitter → bridge → monitor) through; nothing here depends on how long it takes."""
    for _ in range(5):
        qtbot.wait(20)


def test_nothing_is_read_on_the_gui_thread(monitor: JobMonitor, manager: JobManager, aloop, qtbot) -> None:  # type: ignore[no-untyped-def]
    readers: list[int] = []
    store, emitter = manager.store, manager.emitter
    for obj, name in ((store, "jobs"), (store, "job"), (store, "steps"), (emitter, "tail")):
        real = getattr(obj, name)

        def spy(*args: Any, _real: Callable[..., Any] = real, **kwargs: Any) -> Any:
            readers.append(threading.get_ident())
            return _real(*args, **kwargs)

        setattr(obj, name, spy)
    _step(manager, "vm-1", "guest.check_admin", "Checking admin permissions", StepState.SUCCEEDED)
    manager.emitter.log("vm-1", "INFO", "admin check passed")
    monitor.table.selectRow(1)
    run(aloop, wait_until(lambda: not monitor.detail.loading and monitor.steps.rowCount() == 1, 10, "detail"))
    monitor._refresh.setInterval(0)  # the debounced refresh of the row a state change makes stale
    _set_state(manager, "vm-1", JobState.PENDING, JobState.VALIDATING)
    _set_state(manager, "vm-1", JobState.VALIDATING, JobState.PREPARING)
    run(aloop, wait_until(lambda: monitor.feed.reads >= 2 and not monitor.feed.busy, 10, "refresh"))
    monitor.reload()
    run(aloop, wait_until(lambda: monitor.feed.reads >= 3 and not monitor.feed.busy, 10, "reload"))
    assert readers, "the spies saw no read at all"
    assert threading.main_thread().ident not in readers
    assert monitor.jobs.row("vm-1").state is JobState.PREPARING
    assert _log_text(monitor)[-1] == "admin check passed"


def test_events_during_the_read_are_applied_after_an_older_snapshot(monitor: JobMonitor, manager: JobManager,  # type: ignore[no-untyped-def]
                                                                    aloop, qtbot, qtmodeltester) -> None:
    qtmodeltester.check(monitor.steps)
    _step(manager, "vm-1", "guest.check_admin", "Checking admin permissions", StepState.SUCCEEDED)
    manager.emitter.log("vm-1", "INFO", "one")
    steps_gate = manager.steps = Gate(manager.steps, after=True)  # type: ignore[method-assign]
    log_gate = manager.log_lines = Gate(manager.log_lines, after=True)  # type: ignore[method-assign]
    monitor.table.selectRow(1)
    assert monitor.detail.loading and monitor.steps.rowCount() == 0
    run(aloop, wait_until(lambda: steps_gate.entered.is_set() and log_gate.entered.is_set(), 10, "snapshot"))
    # The snapshot is taken; these happen after it and reach the monitor before the snapshot does.
    _step(manager, "vm-1", "seed", "Seed", StepState.RUNNING)
    manager.emitter.log("vm-1", "INFO", "two")
    _step(manager, "vm-1", "seed", "Seed", StepState.SUCCEEDED)
    manager.emitter.log("vm-1", "INFO", "three")
    _settle(aloop, qtbot)
    assert monitor.steps.rowCount() == 0 and not _log_text(monitor)  # held until the snapshot is shown
    steps_gate.open.set()
    log_gate.open.set()
    run(aloop, wait_until(lambda: not monitor.detail.loading, 10, "detail"))
    assert _steps(monitor) == [("guest.check_admin", StepState.SUCCEEDED), ("seed", StepState.SUCCEEDED)]
    assert _log_text(monitor) == ["one", "two", "three"]
    _step(manager, "vm-1", "sync.1", "Sync 1", StepState.RUNNING)  # and the pane follows the engine from here
    manager.emitter.log("vm-1", "INFO", "four")
    run(aloop, wait_until(lambda: monitor.steps.rowCount() == 3, 10, "live"))
    _settle(aloop, qtbot)
    assert _log_text(monitor) == ["one", "two", "three", "four"]


def test_events_the_snapshot_already_holds_are_not_shown_twice(monitor: JobMonitor, manager: JobManager,  # type: ignore[no-untyped-def]
                                                               aloop, qtbot, qtmodeltester) -> None:
    qtmodeltester.check(monitor.steps)
    manager.emitter.log("vm-2", "INFO", "one")
    steps_gate = manager.steps = Gate(manager.steps, after=False)  # type: ignore[method-assign]
    log_gate = manager.log_lines = Gate(manager.log_lines, after=False)  # type: ignore[method-assign]
    monitor.table.selectRow(2)
    run(aloop, wait_until(lambda: steps_gate.entered.is_set() and log_gate.entered.is_set(), 10, "read"))
    # These happen before the snapshot is taken, so it holds them, and they arrive as events too.
    _step(manager, "vm-2", "seed", "Seed", StepState.RUNNING)
    manager.emitter.log("vm-2", "INFO", "two")
    worker = threading.Thread(target=manager.emitter.log, args=("vm-2", "WARNING", "three, from a copy thread"))
    worker.start()
    worker.join()
    _step(manager, "vm-2", "seed", "Seed", StepState.SUCCEEDED, "4 GiB")
    steps_gate.open.set()
    log_gate.open.set()
    run(aloop, wait_until(lambda: not monitor.detail.loading, 10, "detail"))
    _settle(aloop, qtbot)
    assert _steps(monitor) == [("seed", StepState.SUCCEEDED)]
    assert monitor.steps.step_at(0).message == "4 GiB"
    assert _log_text(monitor) == ["one", "two", "three, from a copy thread"]


def test_an_answer_for_a_vm_no_longer_selected_is_dropped(monitor: JobMonitor, manager: JobManager,  # type: ignore[no-untyped-def]
                                                          aloop, qtbot) -> None:
    for vm_id in ("vm-1", "vm-2"):
        _step(manager, vm_id, f"{vm_id}.only", f"Task of {vm_id}", StepState.SUCCEEDED)
        manager.emitter.log(vm_id, "INFO", f"line of {vm_id}")
    steps_gate = manager.steps = Gate(manager.steps, after=True, vm_ids=("vm-1",))  # type: ignore[method-assign]
    monitor.table.selectRow(1)
    run(aloop, wait_until(steps_gate.entered.is_set, 10, "vm-1 read"))
    monitor.table.selectRow(2)  # the user moves on before vm-1's answer is back
    run(aloop, wait_until(lambda: monitor.detail.vm_id == "vm-2" and not monitor.detail.loading, 10, "vm-2"))
    steps_gate.open.set()
    _settle(aloop, qtbot)
    assert monitor.detail.vm_id == "vm-2" and monitor.detail_title.text().startswith("web-02 — ")
    assert _steps(monitor) == [("vm-2.only", StepState.SUCCEEDED)]
    assert _log_text(monitor) == ["line of vm-2"]


def test_jobs_reads_one_at_a_time_and_replay_newer_state_changes(monitor: JobMonitor, manager: JobManager,  # type: ignore[no-untyped-def]
                                                                 aloop, qtbot, qtmodeltester) -> None:
    qtmodeltester.check(monitor.jobs)
    reads = monitor.feed.reads
    applied: list[tuple[int, JobState, int]] = []  # what each answer left in the table (after its replay)
    loaded = monitor.feed.on_loaded

    def on_loaded() -> None:
        applied.append((monitor.feed.reads - reads, monitor.jobs.row("vm-0").state, monitor.jobs.rowCount()))
        loaded()

    monitor.feed.on_loaded = on_loaded
    gate = manager.jobs = Gate(manager.jobs, after=True)  # type: ignore[method-assign]
    monitor.reload()
    run(aloop, wait_until(gate.entered.is_set, 10, "jobs read"))
    _set_state(manager, "vm-0", JobState.PENDING, JobState.VALIDATING)  # after the snapshot: it says pending
    manager.store.create_job("vm-3", "plan-test", "web-03")
    monitor.reload()  # asked while a read is in flight: becomes the next read, after this one
    monitor.reload()
    _settle(aloop, qtbot)
    assert monitor.jobs.row("vm-0").state is JobState.VALIDATING  # the event is shown at once
    gate.open.set()
    run(aloop, wait_until(lambda: not monitor.feed.busy, 10, "answers"))
    # The older snapshot did not take the newer state back; the two requests made meanwhile were one more read,
    # applied after the first (it alone knows vm-3).
    assert applied == [(1, JobState.VALIDATING, 3), (2, JobState.VALIDATING, 4)]
    assert [r.vm_id for r in monitor.jobs.rows()] == [*VMS, "vm-3"]


def test_a_failed_first_read_is_tried_again(qtbot, aloop, manager: JobManager) -> None:  # type: ignore[no-untyped-def]
    real, failures = manager.jobs, [sqlite3.OperationalError("database is locked")]  # another process writes

    def busy_once() -> Any:
        if failures:
            raise failures.pop()
        return real()

    manager.jobs = busy_once  # type: ignore[method-assign]
    mon = JobMonitor()
    qtbot.addWidget(mon)
    mon.feed.retry_seconds = 0.05
    mon.attach(manager)
    run(aloop, wait_until(lambda: mon.jobs.rowCount() == 3 and mon.detail.vm_id == "vm-0", 10, "the load tried again"))
    assert not failures


def test_a_read_that_fails_because_the_engine_closed_is_not_tried_again(qtbot, aloop, manager: JobManager) -> None:  # type: ignore[no-untyped-def]
    """At shut-down the engine's process ends under a read in flight: no retry, no warning with a traceback."""
    calls: list[int] = []

    def gone() -> Any:
        calls.append(1)
        manager.closed = True  # type: ignore[attr-defined]  # as RemoteManager says once it closes or is lost
        raise RuntimeError("the engine has stopped")

    manager.jobs = gone  # type: ignore[method-assign]
    mon = JobMonitor()
    qtbot.addWidget(mon)
    mon.feed.retry_seconds = 0.01
    mon.attach(manager)
    run(aloop, wait_until(lambda: calls and not mon.feed.busy, 10, "the read"))
    qtbot.wait(200)  # time for several retries, were any scheduled
    assert calls == [1] and mon.feed._failures == 0
