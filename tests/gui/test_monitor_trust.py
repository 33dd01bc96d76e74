"""Issue 15 in the job monitor: every job of every plan, the test VM in sight, one bandwidth unit with the plan's
limit, and confirmations whose default is the safe answer."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from xtract_gui.domain.states import JobState
from xtract_gui.gui.monitor.jobs_model import JobsModel
from xtract_gui.gui.screenshots import drive, wait_until

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


def _ready(w, aloop) -> None:  # type: ignore[no-untyped-def]
    run(aloop, drive(w, None, guest_password=w.test_password, cut_over=False, timeout=60), timeout=120)


def test_confirmations_default_to_the_safe_answer(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.13: Enter in the cutover or cancel dialog, or when closing with jobs running, changes nothing; the
    cutover dialog lists each VM's warnings and projected downtime."""
    w = preview_window
    _ready(w, aloop)
    mon = w.monitor
    row = mon.jobs.row_at(0)
    row.warnings = ("Guest preparation is off for web-01: no VirtIO drivers, SAN policy or IP retention.",)
    mon.table.selectRow(0)
    mon.buttons["cutover"].click()
    box = mon.confirm_dialog()
    assert box.defaultButton() is mon.confirm_buttons["no"] and box.escapeButton() is mon.confirm_buttons["no"]
    assert "Projected downtime: 48 s" in box.text() and "no VirtIO drivers" in box.text()
    assert box.text().startswith(f"Cut over {row.name}?"), box.text()  # named, no "VM(s)" (15.14)
    QTest.keyClick(box, Qt.Key.Key_Return)
    assert not box.isVisible() and mon.jobs.row_at(0).state is JobState.SYNCING
    mon.buttons["cancel"].click()
    box = mon.confirm_dialog()
    assert box.defaultButton() is mon.confirm_buttons["no"]
    QTest.keyClick(box, Qt.Key.Key_Return)
    run(aloop, wait_until(lambda: True, 0.3))
    assert mon.jobs.row_at(0).state is JobState.SYNCING
    w.close()
    close = w.close_dialog()
    assert close.defaultButton() is w.close_buttons["stay"]
    QTest.keyClick(close, Qt.Key.Key_Return)
    assert w.isVisible() and mon.jobs.row_at(0).state is JobState.SYNCING


def test_the_test_vm_is_visible_removable_and_named_at_cutover(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.5: after Test the row names the test VM; "Remove test VM" is a toolbar button; the cutover dialog says
    the test VM goes first."""
    w = preview_window
    _ready(w, aloop)
    mon = w.monitor
    mon.table.selectRow(0)
    assert mon.buttons["test"].isEnabled() and not mon.buttons["test_undo"].isEnabled()
    mon.buttons["test"].click()
    run(aloop, wait_until(lambda: mon.jobs.row_at(0).test_vm_uuid, 15, "test VM"))
    name = mon.jobs.row_at(0).name
    assert mon.jobs.index(0, JobsModel.TEST_COLUMN).data() == f"{name}-xtract-test (running)"
    assert mon.buttons["test_undo"].isEnabled() and not mon.buttons["test"].isEnabled()
    mon.buttons["cutover"].click()
    assert f"Its test VM {name}-xtract-test is removed first." in mon.confirm_dialog().text()
    mon.confirm_buttons["no"].click()
    mon.buttons["test_undo"].click()
    run(aloop, wait_until(lambda: not mon.jobs.row_at(0).test_vm_uuid, 15, "test VM removed"))
    assert mon.jobs.index(0, JobsModel.TEST_COLUMN).data() == ""


def test_the_monitor_shows_every_plan_and_filters_by_plan(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.3: a second plan does not hide the first one's jobs; a Plan column and filter appear with two plans."""
    w = preview_window
    _ready(w, aloop)
    mon, manager = w.monitor, w.controller.manager
    first = {r.vm_id for r in mon.jobs.rows()}
    assert mon.table.isColumnHidden(JobsModel.PLAN_COLUMN) and not mon.plan_filter.isVisible()
    (plan,) = manager.plans.values()
    later = dataclasses.replace(plan, name="second wave", vms=plan.vms[:1])
    manager._jobs.pop(plan.vms[0].vm_id)  # the VM moves to the new plan, the others stay in the first
    run(aloop, w.controller.start(later))
    run(aloop, wait_until(lambda: len(mon.jobs.plans()) == 2, 15, "two plans"))
    assert {r.vm_id for r in mon.jobs.rows()} == first
    assert not mon.table.isColumnHidden(JobsModel.PLAN_COLUMN) and mon.plan_filter.isVisible()
    mon.plan_filter.setCurrentIndex(mon.plan_filter.findText("second wave"))
    shown = [r.vm_id for i, r in enumerate(mon.jobs.rows()) if not mon.table.isRowHidden(i)]
    assert shown == [plan.vms[0].vm_id]
    mon.plan_filter.setCurrentIndex(0)
    assert not any(mon.table.isRowHidden(i) for i in range(mon.jobs.rowCount()))


def test_bandwidth_is_the_plans_limit_in_mbits_and_held_in_the_graph(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.7: the box shows the limit the plan was saved with (not "No limit"); the graph is in Mbit/s and draws
    the limit in its own scale."""
    w = preview_window
    w.flow.state.options = dataclasses.replace(w.flow.state.options, bandwidth_limit_mbps=50.0)
    _ready(w, aloop)
    mon = w.monitor
    run(aloop, wait_until(lambda: mon.bandwidth.value() == 50, 10, "the plan's limit"))
    assert mon.plot.limit_bytes_per_s == 50 * 125_000
    mon.table.selectRow(0)
    assert mon.jobs.row_at(0).history  # the graph has the VM's rates; its labels are in Mbit/s
    image = mon.plot.grab()
    assert not image.isNull()
    mon.bandwidth.setValue(80)
    assert w.controller.manager.bandwidth == 80 and mon.plot.limit_bytes_per_s == 80 * 125_000
