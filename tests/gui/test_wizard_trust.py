"""Issue 15 on the wizard's pages (and 13.1, 16.5): what a consultant meets in front of a customer, checked
page by page on the scripted preview engine."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtTest import QTest

from xtract_gui.domain.inventory import PowerState
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.gui import preview
from xtract_gui.gui.placement import fitted
from xtract_gui.gui.screenshots import drive, wait_until
from xtract_gui.gui.wizard.flow import PAGES, PageId

from .conftest import OFFSCREEN_LIMITS, run
from .test_pages import _connect, _to_target, _to_vms

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


def _select(page, names: list[str]) -> None:  # type: ignore[no-untyped-def]
    page._clear()
    for vm in page.ctx.state.inventory.vms:
        page.model.set_checked(vm.vm_id, vm.name in names)
    page._sync_selection()


def _to_summary(w, aloop, names: list[str], *, cold: bool = False):  # type: ignore[no-untyped-def]
    page = _to_target(w, aloop)
    run(aloop, _connect(page, w.flow.state.target))
    page.container.setCurrentIndex(1)
    if cold:
        page.cold.setChecked(True)
    run(aloop, wait_until(lambda: w.wizard.next_button.isEnabled(), 15))
    w.wizard.next_button.click()
    _select(w.wizard.page(PageId.VMS), names)
    w.wizard.next_button.click()
    guests = w.wizard.page(PageId.GUESTS)
    for vm in w.flow.state.selected_vms():
        g = w.flow.state.guest(vm.vm_id)
        g.password, g.tested_ok = w.test_password, True
        g.ssh_host_key = g.ssh_host_key or preview.PreviewWiring().probe_ssh_host_key("x")
    guests.enter()
    w.wizard.revalidate()
    w.wizard.next_button.click()
    w.wizard.next_button.click()
    return w.wizard.page(PageId.SUMMARY)


def test_cold_mode_start_names_the_vms_going_off_and_enter_does_not_power_them_off(preview_window, aloop, qtbot):  # type: ignore[no-untyped-def]
    """15.1: the Summary says which VMs go off at Start with their downtime; Start asks, Enter keeps them on, and
    only the yes is written into the plan the engine gets."""
    w = preview_window
    summary = _to_summary(w, aloop, ["web-01", "web-02"], cold=True)
    text = summary.text.toPlainText()
    assert text.count("Shut down when you press Start") == 2 and "off for the whole copy" in text
    assert "Cold mode: Start shuts the VMs" in w.wizard.subtitle.text()
    assert summary.start_button.isEnabled()  # the power-off is asked for, not a blocker
    summary.start_button.click()
    box = summary.confirm_dialog()
    assert box is not None and box.isVisible() and "web-01" in box.text() and "web-02" in box.text()
    assert box.defaultButton() is summary.confirm_buttons["no"]
    QTest.keyClick(box, Qt.Key.Key_Return)  # Enter: the safe answer
    assert not box.isVisible() and w.controller.manager.plans == {}
    summary.start_button.click()
    with qtbot.waitSignal(w.wizard.startRequested) as started:
        summary.confirm_buttons["ok"].click()
    assert started.args[0].options.allow_power_off_for_cold is True


def test_warm_mode_promises_nothing_goes_off_before_cutover(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    summary = _to_summary(w, aloop, ["web-01"])
    assert "Shut down when you press Start" not in summary.text.toPlainText()
    assert "Nothing is shut down before you press Cut over" in w.wizard.subtitle.text()


def test_guest_access_defaults_per_os_and_the_form_changes_only_the_selected_vms(preview_window, aloop):  # type: ignore[no-untyped-def]
    """15.2: WinRM for Windows, SSH for Linux; the page opens on one VM, not all; Test with an edited form
    changes that VM only; a mixed selection is never offered WinRM (nor SSH)."""
    w = preview_window
    vms = _to_vms(w, aloop)
    _select(vms, ["web-01", "app-rhel-01"])
    w.wizard.next_button.click()
    page = w.wizard.page(PageId.GUESTS)
    state = w.flow.state
    assert state.guest("vm-101").channel is GuestChannelKind.WINRM and state.guest("vm-101").user == "Administrator"
    assert state.guest("vm-104").channel is GuestChannelKind.SSH and state.guest("vm-104").user == "root"
    assert page.selected_vm_ids() == ["vm-101"]  # one VM, the form shows its access
    page.password.setText(w.test_password)
    page.password.textEdited.emit(w.test_password)
    page.test_button.click()
    run(aloop, wait_until(lambda: page.test_button.isEnabled() and state.guest("vm-101").tested_ok is not None, 15))
    assert state.guest("vm-101").tested_ok
    linux = state.guest("vm-104")
    assert (linux.channel, linux.user, linux.password, linux.tested_ok) == (GuestChannelKind.SSH, "root", "", None)
    page.table.selectAll()
    offered = {page.channel.itemData(i) for i in range(page.channel.count())}
    assert offered == {"vmtools", "none"}
    assert page.model.index(0, page.model.TEST_COLUMN).data() == "OK"  # readable, next to the name


def test_ssh_host_key_is_shown_then_pinned_into_the_plan(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """13.1: a Linux VM over SSH: Test shows the key the guest offers and runs nothing; Trust pins it (plan) and
    the test runs; Do not trust fails the test without contacting the guest."""
    w = preview_window
    vms = _to_vms(w, aloop)
    _select(vms, ["app-rhel-01"])
    w.wizard.next_button.click()
    page = w.wizard.page(PageId.GUESTS)
    state = w.flow.state
    page.password.setText(w.test_password)
    page.password.textEdited.emit(w.test_password)
    page.apply_to_selected()
    assert "press Test to see the guest's SSH host key" in page.errors_text.text()
    page.test_button.click()
    run(aloop, wait_until(lambda: page.key_frame.isVisible(), 15))
    assert state.guest("vm-104").tested_ok is None and "ssh-ed25519 SHA256:" in page.key_text.text()
    assert page.model.index(0, page.model.TEST_COLUMN).data() == "host key to check"
    page.key_reject.click()  # not trusted: a failed test, nothing sent to the guest
    assert state.guest("vm-104").tested_ok is False and not state.guest("vm-104").ssh_host_key
    page.test_button.click()
    run(aloop, wait_until(lambda: page.key_frame.isVisible(), 15))
    page.key_trust.click()
    run(aloop, wait_until(lambda: state.guest("vm-104").tested_ok is True, 15))
    assert state.guest("vm-104").ssh_host_key.startswith("ssh-ed25519 SHA256:") and w.wizard.next_button.isEnabled()
    state.selected = {"vm-104"}
    plan_vm = w.flow.build_plan().vms[0]
    assert plan_vm.guest.channel is GuestChannelKind.SSH and plan_vm.guest.ssh_host_key.startswith("ssh-ed25519")


def test_vmware_tools_uses_the_open_vcenter_session_and_says_so_when_there_is_none(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """15.2: "connect first" only when no source is connected; a source without guest operations (the demo's
    Python lab) is named, not blamed on a connection that is open."""
    from xtract_gui.gui.wizard.flow import GuestAnswers
    from xtract_gui.gui.wizard.guest_check import test_guest

    class NoGuestOps(preview.PreviewWiring):
        def service_instance_provider(self, source):  # type: ignore[no-untyped-def]
            return None

    vm = preview.SOURCE.vm("vm-101")
    g = GuestAnswers(GuestChannelKind.VMTOOLS, "Administrator", "pw")
    assert "Connect to the source vCenter first" in test_guest(NoGuestOps(), None, vm, g).message
    said = test_guest(NoGuestOps(), object(), vm, g, about="the demo lab").message
    assert "the demo lab" in said and "offers no VMware Tools guest operations" in said and "WinRM or SSH" in said
    assert test_guest(preview.PreviewWiring(), object(), vm, g).ok is False  # the preview's guest: wrong password
    assert test_guest(preview.PreviewWiring(), object(), vm, dataclasses.replace(g, password=preview.PASSWORD)).ok


def test_connect_page_enter_cancel_and_no_stale_status(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.11: Enter in any field connects; an error clears "Connecting…" and does not move Connect; Cancel gives
    the page back at once and the late answer is dropped."""
    w = preview_window
    page = w.wizard.page(PageId.SOURCE)
    page.password.setText("wrong")
    page.password.textEdited.emit("wrong")
    button_at = page.connect_button.mapTo(page, QPoint(0, 0))
    page.host.setFocus()
    QTest.keyClick(page.host, Qt.Key.Key_Return)
    run(aloop, wait_until(lambda: page.cert_frame.isVisible() or w.flow.state.source.error, 10))
    if page.cert_frame.isVisible():
        page.trust_button.click()
        run(aloop, wait_until(lambda: bool(w.flow.state.source.error), 10))
    assert "rejected the user name or password" in page.error_labels["password"].text()
    assert page.status.text() == ""  # no stale "Connecting to …"
    assert page.connect_button.mapTo(page, QPoint(0, 0)) == button_at  # the error did not push it down
    release = threading.Event()

    def slow(endpoint, password):  # type: ignore[no-untyped-def]
        release.wait(10)
        return preview._Source()

    w.backend.wiring.connect_source = slow
    page.password.setText(w.test_password)
    page.password.textEdited.emit(w.test_password)
    page.connect_button.click()
    run(aloop, wait_until(lambda: page.cancel_button.isVisible(), 10))
    assert not page.connect_button.isVisible() and "Connecting to vcsa.corp.local" in page.status.text()
    page.cancel_button.click()
    assert page.connect_button.isVisible() and page.host.isEnabled() and "Cancelled" in page.status.text()
    release.set()
    time.sleep(0.5)
    run(aloop, wait_until(lambda: True, 1))
    assert not w.flow.state.source.connected and w.backend.source_platform is None  # the late answer went


def test_target_page_says_where_the_disks_land(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """16.5: the container chosen, or through Prism Central the one its clones really land in."""
    from xtract_gui.domain.inventory import StorageContainer, TargetKind

    w = preview_window
    page = _to_target(w, aloop)
    run(aloop, _connect(page, w.flow.state.target))
    page.container.setCurrentIndex(1)
    assert page.landing.text() == "The migrated disks land in default-container."
    inv = w.backend.target_inventory
    sscontainer = StorageContainer("ctr-ss", "SelfServiceContainer", preview.CLUSTER.uuid, 2**40, 2**39)
    w.backend.target_inventory = dataclasses.replace(inv, kind=TargetKind.PRISM_CENTRAL,
                                                     containers=(*inv.containers, sscontainer))
    page._show_landing()
    assert "land in SelfServiceContainer" in page.landing.text() and "not in default-container" in page.landing.text()


def test_vm_details_pane_explains_each_finding_and_links_to_its_page(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.12: the current row's findings with their fix and where to make it, reachable by keyboard; a link opens
    that page; no raw severity tags."""
    w = preview_window
    page = _to_vms(w, aloop)
    _select(page, ["build-agent"])  # powered off: guest preparation needs it on, or the guest channel 'none'
    page.table.setFocus()
    row = next(r for r in range(page.proxy.rowCount()) if page.proxy.index(r, 0).data() == "build-agent")
    page.table.setCurrentIndex(page.proxy.index(0, 0))
    for _ in range(row):
        QTest.keyClick(page.table, Qt.Key.Key_Down)
    html = page.details.toHtml()
    text = page.details.toPlainText()
    assert "build-agent" in text and "Blocks the migration" in text and "What to do:" in text
    assert "[BLOCKER]" not in text and "[INFO]" not in text
    assert "page:guests" in html and "Fix it on the Guest credentials page" in text
    assert page.details.focusPolicy() & Qt.FocusPolicy.TabFocus
    assert w.wizard.next_button.isEnabled()  # fixed on the guest page: held there, not here
    page.details.anchorClicked.emit(QUrl("page:guests"))
    assert w.flow.current is PageId.GUESTS
    assert "build-agent cannot be migrated" in w.wizard.page(PageId.GUESTS).errors_text.text()


def test_new_migration_reads_the_inventory_again(preview_window, aloop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """15.9: after a cutover the old inventory showed the VM on and ready; New migration reads both sides again
    and the VM page says it is on the target."""
    w = preview_window
    run(aloop, drive(w, None, guest_password=w.test_password, timeout=60))
    migrated = dataclasses.replace(preview.SOURCE.vm("vm-101"), power_state=PowerState.OFF)
    after = dataclasses.replace(preview.SOURCE, vms=tuple(migrated if v.vm_id == "vm-101" else v
                                                          for v in preview.SOURCE.vms))
    monkeypatch.setattr(preview._Source, "inventory", lambda self: after)
    monkeypatch.setattr(preview._Target, "vms", lambda self: [type("V", (), {"name": "web-01"})()])
    w.act_wizard.trigger()
    run(aloop, wait_until(lambda: w.flow.current is PageId.VMS, 10))
    page = w.wizard.page(PageId.VMS)
    assert not w.flow.state.selected and page.model.index(0, 0).data() is not None
    assert w.flow.state.inventory.vm("vm-101").power_state is PowerState.OFF
    _select(page, ["web-01"])
    found = w.flow.state.findings["vm-101"]
    assert found[0].code == "name_clash"


def test_the_window_fits_a_small_screen_and_every_page_keeps_next_in_view(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    """15.10: a 1280×720 laptop: the window fits it, and on every page Back/Next are inside the window; forms
    keep a readable width on a 1920×1080 screen."""
    from PySide6.QtCore import QRect

    assert fitted(QRect(0, 0, 1280, 720)) == QRect(0, 0, 1280, 720)
    assert fitted(QRect(0, 30, 1366, 738)).height() == 738 and fitted(QRect(0, 0, 1920, 1080)).width() == 1280
    w = preview_window
    run(aloop, drive(w, None, guest_password=w.test_password, cut_over=False, timeout=60))
    w.show_wizard()
    w.resize(1280, 720)
    for pid in PAGES:
        w.wizard.show_page(pid)
        QTest.qWait(10)
        assert w.height() <= 720 and w.minimumSizeHint().height() <= 720, pid
        button = w.wizard.back_button
        bottom = button.mapTo(w, QPoint(0, button.height())).y()
        assert button.isVisible() and bottom <= w.height(), (pid, bottom)
    w.resize(1920, 1080)
    w.wizard.show_page(PageId.SOURCE)
    QTest.qWait(10)
    assert w.wizard.page(PageId.SOURCE).form.width() <= 900


def test_the_window_comes_back_where_it_was(preview_window, qtbot, state_dir) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.window import MainWindow

    w = preview_window
    w.setGeometry(0, 10, 798, 600)  # the offscreen screen is 800×800 (narrower than the window's minimum)
    w.save_place()
    again = MainWindow(state_dir=state_dir, wiring=preview.PreviewWiring())
    qtbot.addWidget(again)
    assert again.height() == 600  # not the fitted 800 of a first start
