"""The whole journey in demo mode: the real engine on the real embedded lab, clicked through page by page."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.gui.screenshots import drive, wait_until
from xtract_gui.gui.window import MainWindow
from xtract_gui.gui.wizard.flow import PageId
from xtract_gui.lab.runner import Lab

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.e2e, pytest.mark.slow, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]

FAST = {"tuning": Tuning(sync_interval_seconds=1, guest_wait_seconds=60)}


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
        assert len(rows) == 2 and all(r.state is JobState.DONE for r in rows), [(r.name, r.error) for r in rows]
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
