"""The job monitor on the scripted preview engine: actions, confirmation, bandwidth, detail pane."""

from __future__ import annotations

import pytest

from xtract_gui.domain.states import JobState
from xtract_gui.gui.screenshots import drive, wait_until

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


def test_monitor_actions_confirmation_and_bandwidth(preview_window, aloop, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    run(aloop, drive(w, None, guest_password=w.test_password, cut_over=False, timeout=60))
    mon = w.monitor
    manager = w.controller.manager
    assert [r.state for r in mon.jobs.rows()] == [JobState.SYNCING] * 4
    mon.table.selectRow(0)
    assert mon.detail_title.text() == f"{mon.jobs.row_at(0).name} — Ready for cutover"
    assert mon.steps.rowCount() >= 3 and "Checking admin permissions" in mon.steps.index(0, 0).data()
    assert "Checking admin permissions: succeeded" in mon.log.toPlainText()
    # Cut over: asks first and lists what will happen; "Not now" does nothing.
    mon.buttons["cutover"].click()
    box = mon.confirm_dialog()
    assert box.isVisible() and "final delta sync" in box.informativeText()
    assert "NICs are disconnected" in box.informativeText()
    mon.confirm_buttons["no"].click()
    assert mon.jobs.row_at(0).state is JobState.SYNCING
    # Pause enables Resume and disables Cutover for that row.
    mon.buttons["pause"].click()
    run(aloop, wait_until(lambda: mon.jobs.row_at(0).state is JobState.PAUSED, 10))
    assert mon.buttons["resume"].isEnabled() and not mon.buttons["cutover"].isEnabled()
    # A mixed selection only offers what every selected row allows.
    mon.table.selectAll()
    assert not mon.buttons["resume"].isEnabled() and not mon.buttons["cutover"].isEnabled()
    assert mon.buttons["cancel"].isEnabled()
    mon.bandwidth.setValue(300)
    assert manager.bandwidth == 300.0
    mon.bandwidth.setValue(0)
    assert manager.bandwidth == 0.0
    mon._row_menu(mon.table.visualRect(mon.jobs.index(1, 0)).center())
    actions = {a.text(): a.isEnabled() for a in mon._menu.actions()}
    assert actions["Cancel…"] and not actions["Resume"]
    mon._menu.close()
    # Cancel asks first; its check box also undoes the guest preparation.
    mon.table.selectRow(1)
    mon.buttons["cancel"].click()
    box = mon.confirm_dialog()
    assert "keep running unchanged" in box.informativeText()
    box.checkBox().setChecked(True)
    mon.confirm_buttons["ok"].click()
    run(aloop, wait_until(lambda: mon.jobs.row_at(1).state is JobState.CANCELLED, 10))
    assert any(s.step_id == "undo.guest" for s in manager.steps(mon.jobs.row_at(1).vm_id))
