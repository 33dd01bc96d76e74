"""The whole journey in demo mode: the real engine on the real embedded lab, clicked through page by page."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.support.processes import alive, eventually
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.gui.screenshots import drive, wait_until
from xtract_gui.gui.window import MainWindow
from xtract_gui.gui.wizard.flow import PageId
from xtract_gui.lab.runner import Lab

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.slow, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]

# As the app runs: the engine in a process of its own (enginehost).
FAST = {"tuning": Tuning(sync_interval_seconds=1, guest_wait_seconds=60), "engine_process": True}


def test_demo_journey_to_a_finished_cutover(qtbot, aloop, state_dir: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(demo=True, state_dir=state_dir, lab_factory=functools.partial(Lab, vms=2),
                        manager_options=dict(FAST))
    qtbot.addWidget(window)
    window.show()
    try:
        run(aloop, window.start_up())
        assert window.lab is not None and not window.banner.isVisible()
        src = window.wizard.page(PageId.SOURCE)
        assert src.password.text()  # pre-filled from the lab's secret store
        shots = tmp_path / "shots"
        run(aloop, drive(window, shots, "demo-", timeout=120), timeout=180)
        rows = window.monitor.jobs.rows()
        # The Windows guest reported its first boot on AHV; the lab's Linux VM has no guest channel: nobody saw it.
        assert {r.name: r.state for r in rows} == {"lab-win-01": JobState.DONE, "lab-lin-02": JobState.DONE_UNVERIFIED}
        assert "console" in rows[1].check
        # The detail pane shows the task list the way Xtract logs it, with the guest tasks first.
        window.monitor.table.selectRow([r.name for r in rows].index("lab-win-01"))
        titles = [window.monitor.steps.step_at(i).title for i in range(window.monitor.steps.rowCount())]
        assert any("admin" in t.lower() for t in titles), titles
        assert window.monitor.log.toPlainText()
        assert {p.name for p in shots.glob("*.png")} >= {"demo-3-vms.png", "demo-7-monitor.png",
                                                           "demo-9-monitor-done.png"}
        report = tmp_path / "report.html"
        assert run(aloop, window.controller.export_report(report))
        assert "lab-win-01" in report.read_text(encoding="utf-8")
    finally:
        window._quit_ok = True
        run(aloop, window.shut_down())


def test_closing_while_jobs_run_pauses_them_and_reopening_resumes(qtbot, aloop, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    with Lab(state_dir / "lab", vms=1) as lab:
        assert lab.endpoints is not None
        first = MainWindow(state_dir=state_dir, manager_options=dict(FAST), secret_store=lab.endpoints.secrets)
        qtbot.addWidget(first)
        first.show()
        run(aloop, first.start_up())
        first.prefill(lab.endpoints.plan)
        run(aloop, drive(first, None, cut_over=False, timeout=120), timeout=180)
        first.close()
        assert first.isVisible()  # not closed: the user is asked first
        box = first.close_dialog()
        assert box is not None and "still running" in box.text()
        assert {k: b.text() for k, b in first.close_buttons.items()} == {
            "pause": "Pause all and quit", "cancel": "Cancel all and quit", "stay": "Stay"}
        first.close_buttons["stay"].click()
        assert first.isVisible()
        first.close()
        first.close_buttons["pause"].click()
        run(aloop, wait_until(lambda: not first.isVisible(), 30))
        assert [r.state for r in first.monitor.jobs.rows()] == [JobState.PAUSED]
        run(aloop, first.shut_down())

        again = MainWindow(state_dir=state_dir, manager_options=dict(FAST), secret_store=lab.endpoints.secrets)
        qtbot.addWidget(again)
        again.show()
        try:
            run(aloop, again.start_up())
            assert again.stack.currentWidget() is again.monitor  # reopened where the jobs are
            mon = again.monitor
            assert [r.name for r in mon.jobs.rows()] == ["lab-win-01"]
            mon.table.selectRow(0)
            assert mon.buttons["resume"].isEnabled() and not mon.buttons["cutover"].isEnabled()
            mon.buttons["resume"].click()
            run(aloop, wait_until(lambda: mon.jobs.row_at(0).ready_for_cutover, 60), timeout=90)
            assert mon.buttons["cutover"].isEnabled()
        finally:
            again._quit_ok = True
            run(aloop, again.shut_down())


def test_the_demo_reopened_after_pause_and_quit_resumes_on_its_lab(qtbot, aloop, state_dir: Path) -> None:  # type: ignore[no-untyped-def]
    """15.3: "Pause all and quit", then the demo again: its lab comes back where the plan expects it, the job is
    there, paused, and Resume takes it on to a cutover (it failed when the lab came back on new ports)."""
    def demo() -> MainWindow:
        window = MainWindow(demo=True, state_dir=state_dir, lab_factory=functools.partial(Lab, vms=1),
                            manager_options=dict(FAST))
        qtbot.addWidget(window)
        window.show()
        run(aloop, window.start_up())
        return window

    first = demo()
    run(aloop, drive(first, None, cut_over=False, timeout=120), timeout=180)
    first.close()
    first.close_buttons["pause"].click()
    run(aloop, wait_until(lambda: not first.isVisible(), 30))
    run(aloop, first.shut_down())
    again = demo()
    try:
        mon = again.monitor
        run(aloop, wait_until(lambda: mon.jobs.rowCount() == 1, 30, "the job"))
        assert again.stack.currentWidget() is mon and mon.jobs.row_at(0).state is JobState.PAUSED
        mon.table.selectRow(0)
        mon.buttons["resume"].click()
        run(aloop, wait_until(lambda: mon.jobs.row_at(0).ready_for_cutover, 90, "ready again"), timeout=120)
        mon.buttons["cutover"].click()
        mon.confirm_buttons["ok"].click()
        run(aloop, wait_until(lambda: mon.jobs.row_at(0).state.is_done, 90, "cut over"), timeout=120)
        assert mon.jobs.row_at(0).state is JobState.DONE, mon.jobs.row_at(0).error  # the guest reported its boot
    finally:
        again._quit_ok = True
        run(aloop, again.shut_down())


_DEMO = """
import asyncio, functools, sys
from pathlib import Path
import qasync
from PySide6.QtWidgets import QApplication
from xtract_gui.engine.context import Tuning
from xtract_gui.gui.screenshots import drive, wait_until
from xtract_gui.gui.window import MainWindow
from xtract_gui.lab.runner import Lab

app = QApplication(["xtract-gui"])
loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)

async def main():
    w = MainWindow(demo=True, state_dir=Path(sys.argv[1]), lab_factory=functools.partial(Lab, vms=1),
                   manager_options={"tuning": Tuning(sync_interval_seconds=1, guest_wait_seconds=60),
                                    "engine_process": True})
    w.show()
    await w.start_up()
    mon = w.monitor
    if sys.argv[2] == "first":
        await drive(w, None, cut_over=False, timeout=120)
        print("READY", w.controller.manager.pid, flush=True)
        await asyncio.sleep(3600)
    await wait_until(lambda: mon.jobs.rowCount() == 1 and mon.jobs.row_at(0).ready_for_cutover, 120, "resumed")
    mon.table.selectAll()
    mon.buttons["cutover"].click()
    mon.confirm_buttons["ok"].click()
    await wait_until(lambda: mon.jobs.row_at(0).state.is_done, 120, "cut over")
    print("DONE", mon.jobs.row_at(0).state.value, flush=True)
    w._quit_ok = True
    await w.shut_down()

with loop:
    loop.run_until_complete(main())
"""


def test_the_demo_killed_mid_migration_resumes_when_opened_again(tmp_path: Path) -> None:
    """15.3: kill -9 while the VM syncs, open the demo again: the job continues on the lab's old endpoints and
    cuts over."""
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "XTRACT_GUI_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parents[2]
    first = subprocess.Popen([sys.executable, "-c", _DEMO, str(tmp_path / "state"), "first"], env=env, cwd=root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout is not None
        line = first.stdout.readline()
        assert line.startswith("READY"), line + first.stderr.read()[-3000:] if first.poll() is not None else line
        engine = int(line.split()[1])
    finally:
        first.send_signal(signal.SIGKILL)  # the crash: no pause, no lab shutdown, no guest state saved at exit
        first.communicate(timeout=30)
    # The engine's process went with the app (parent-death signal): it holds no job lock the next app would meet.
    assert eventually(lambda: not alive(engine), 10), f"the engine {engine} outlived the killed app"
    again = subprocess.run([sys.executable, "-c", _DEMO, str(tmp_path / "state"), "again"], env=env, cwd=root,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "DONE done" in again.stdout, again.stdout[-2000:] + again.stderr[-4000:]
