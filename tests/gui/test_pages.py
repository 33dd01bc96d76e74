"""Each wizard page: bad inputs show the right message under the right field and keep Next disabled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xtract_gui.domain.errors import CertificateMismatchError
from xtract_gui.gui.wizard.flow import PageId

from .conftest import OFFSCREEN_LIMITS, run

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_ignore(OFFSCREEN_LIMITS)]


async def _connect(page, flow_ep, qtbot=None) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    page.connect_button.click()
    await wait_until(lambda: page.cert_frame.isVisible() or flow_ep.connected or flow_ep.error, 10, "connect")
    if page.cert_frame.isVisible():
        page.trust_button.click()
        await wait_until(lambda: flow_ep.connected or flow_ep.error, 10, "connect after trust")


def test_source_page_empty_fields_and_wrong_password(preview_window, aloop, qtbot) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    page = w.wizard.page(PageId.SOURCE)
    assert not w.wizard.next_button.isEnabled()
    qtbot.keyClicks(page.host, "x")  # touching a field shows messages under the fields
    page.host.clear()
    qtbot.keyClicks(page.host, " ")
    page.user.clear()
    page.user.textEdited.emit("")
    assert "vCenter address" in page.error_labels["host"].text()
    assert page.error_labels["user"].text() == "Enter the user name."
    assert not w.wizard.next_button.isEnabled()
    page.host.setText("vcsa.corp.local")
    page.user.setText("migrate@vsphere.local")
    page.password.setText("wrong")
    page.password.textEdited.emit("wrong")
    run(aloop, _connect(page, w.flow.state.source))
    assert "rejected the user name or password" in page.error_labels["password"].text()
    assert not page.error_labels["host"].isVisibleTo(page)
    assert not w.wizard.next_button.isEnabled()
    # The certificate was trusted once: a retry with the right password does not ask again, and
    # a successful connection pins it for next time.
    assert w.backend.pins.get("vcsa.corp.local", 443) == ""
    page.password.setText(w.test_password)
    page.password.textEdited.emit(w.test_password)
    run(aloop, _connect(page, w.flow.state.source))
    assert w.flow.state.source.connected
    assert w.backend.pins.get("vcsa.corp.local", 443).startswith("3A:91")
    assert w.wizard.next_button.isEnabled()


def test_source_unreachable_host_is_reported_under_the_address(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    page = w.wizard.page(PageId.SOURCE)
    page.host.setText("unreachable.corp.local")
    page.host.textEdited.emit("unreachable.corp.local")
    run(aloop, _connect(page, w.flow.state.source))
    assert "Cannot reach unreachable.corp.local:443" in page.error_labels["host"].text()
    assert not page.cert_frame.isVisible()
    assert not w.wizard.next_button.isEnabled()


def test_certificate_mismatch_goes_under_the_address(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    w.backend.pins.pin("vcsa.corp.local", 443, "00:11")

    def mismatch(endpoint, password):  # type: ignore[no-untyped-def]
        raise CertificateMismatchError("The certificate of vcsa.corp.local changed.", expected="00:11",
                                       actual="3A:91", hint="Check with the vCenter administrator.")

    w.backend.wiring.connect_source = mismatch
    page = w.wizard.page(PageId.SOURCE)
    run(aloop, _connect(page, w.flow.state.source))
    assert not page.cert_frame.isVisible()  # a pinned host is not offered again
    assert "certificate of vcsa.corp.local changed" in page.error_labels["host"].text()


def test_rejecting_the_certificate_does_not_connect(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    w = preview_window
    page = w.wizard.page(PageId.SOURCE)
    page.connect_button.click()
    run(aloop, wait_until(lambda: page.cert_frame.isVisible(), 10))
    assert "3A:91:5C" in page.cert_text.text()
    page.reject_button.click()
    assert not w.flow.state.source.connected
    assert "not trusted" in page.status.text()
    assert not w.wizard.next_button.isEnabled()


def _to_target(w, aloop):  # type: ignore[no-untyped-def]
    page = w.wizard.page(PageId.SOURCE)
    run(aloop, _connect(page, w.flow.state.source))
    assert w.wizard.next_button.isEnabled()
    w.wizard.next_button.click()
    return w.wizard.page(PageId.TARGET)


def test_target_page_shows_kind_free_space_and_unreachable_nfs(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    w = preview_window
    page = _to_target(w, aloop)
    w.flow.state.target.nfs_host = "unreachable.nfs"  # the preview's NFS probe answers nothing there
    run(aloop, _connect(page, w.flow.state.target))
    assert page.kind_label.text() == "Prism Element 6.5.5"
    assert "12.0 TiB free of 20.0 TiB" in page.container.itemText(1)
    assert "Choose the storage container" in page.error_labels["container"].text()
    page.container.setCurrentIndex(1)
    run(aloop, wait_until(lambda: w.flow.state.target.mode_reachable is not None, 15))
    assert "portmapper of unreachable.nfs (TCP 111) does not answer" in page.error_labels["mode"].text()
    assert not w.wizard.next_button.isEnabled()
    page.cold.setChecked(True)  # cold needs only HTTPS to Prism
    run(aloop, wait_until(lambda: w.flow.state.target.mode_reachable is True, 15))
    assert w.wizard.next_button.isEnabled()


def _to_vms(w, aloop):  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    page = _to_target(w, aloop)
    run(aloop, _connect(page, w.flow.state.target))
    page.container.setCurrentIndex(1)
    run(aloop, wait_until(lambda: w.wizard.next_button.isEnabled(), 15))
    w.wizard.next_button.click()
    return w.wizard.page(PageId.VMS)


def test_vm_page_blocker_keeps_next_disabled_with_reason(preview_window, aloop, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    page = _to_vms(w, aloop)
    assert page.model.rowCount() == 6
    qtmodeltester.check(page.proxy)
    assert "Select at least one VM" in page.error_labels["selection"].text() or not w.wizard.next_button.isEnabled()
    page.search.setText("legacy")
    assert page.proxy.rowCount() == 1
    page._select_shown()
    reason = page.error_labels["selection"].text()
    assert "legacy-ftp cannot be migrated" in reason and "snapshot" in reason
    assert not w.wizard.next_button.isEnabled()
    assert page.model.index(4, 1).data() == "blocked"
    page._clear()
    page.search.clear()
    page.power.setCurrentIndex(page.power.findData("on"))
    assert page.proxy.rowCount() == 5
    page.place.setCurrentIndex(page.place.findData("folder:/DC0/vm/db"))
    assert page.proxy.rowCount() == 1
    page._select_shown()
    assert w.wizard.next_button.isEnabled()
    assert page.totals.text().startswith("1 of 6 VMs selected · 2 disks · 280.0 GiB")


def _to_guests(w, aloop):  # type: ignore[no-untyped-def]
    page = _to_vms(w, aloop)
    page.search.setText("web")
    page._select_shown()
    w.wizard.next_button.click()
    return w.wizard.page(PageId.GUESTS)


def test_guest_page_wrong_password_fails_the_test(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    w = preview_window
    page = _to_guests(w, aloop)
    assert page.model.rowCount() == 2
    assert not w.wizard.next_button.isEnabled()
    assert "web-01: enter the guest password." in page.errors_text.text()  # WinRM/Administrator by default
    page.table.selectAll()
    page.password.setText("nope")
    page.password.textEdited.emit("nope")
    page.test_button.click()
    run(aloop, wait_until(lambda: page.test_button.isEnabled() and all(
        w.flow.state.guest(v).tested_ok is not None for v in ("vm-101", "vm-102")), 15))
    assert "Logon failure" in page.errors_text.text()
    assert page.model.index(0, page.model.TEST_COLUMN).data() == "failed"
    assert not w.wizard.next_button.isEnabled()
    page.table.selectAll()
    page.password.setText(w.test_password)
    page.password.textEdited.emit(w.test_password)
    page.test_button.click()
    run(aloop, wait_until(lambda: page.test_button.isEnabled() and all(
        w.flow.state.guest(v).tested_ok for v in ("vm-101", "vm-102")), 15))
    assert w.wizard.next_button.isEnabled()
    # Guest passwords live in the secret store, never in the plan.
    ref = w.flow.state.guest("vm-101").secret_ref("web-01")
    assert w.secrets.get(ref.service, ref.username) == w.test_password


def test_guest_page_winrm_authentication_defaults_to_ntlm_and_basic_excludes_http(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    page = _to_guests(w, aloop)
    page.table.selectAll()
    assert page.auth.currentData() == "ntlm"
    page.channel.setCurrentIndex(page.channel.findData("vmtools"))
    assert page.auth.isHidden()  # VMware Tools: no WinRM settings
    page.channel.setCurrentIndex(page.channel.findData("winrm"))
    assert page.auth.isVisibleTo(page) and page.allow_http.isEnabled()
    assert "HTTPS" in page.auth_hint.text() and "local account" in page.auth_hint.text()
    page.allow_http.setChecked(True)
    page.auth.setCurrentIndex(page.auth.findData("basic"))
    assert not page.allow_http.isEnabled() and not page.allow_http.isChecked()
    page.user.setText("Administrator")
    page.password.setText(w.test_password)
    page.apply_button.click()
    assert {w.flow.state.guest(v).winrm_auth for v in ("vm-101", "vm-102")} == {"basic"}
    assert not w.flow.state.guest("vm-101").allow_http_ntlm
    w.flow.state.guest("vm-102").winrm_auth = "ntlm"
    page.table.selectRow(1)
    assert page.auth.currentData() == "ntlm"  # the selected VM's own setting is shown
    page.table.selectRow(0)
    assert page.auth.currentData() == "basic"


def test_network_page_validation_and_summary_plan_files(preview_window, aloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from xtract_gui.gui.screenshots import wait_until

    w = preview_window
    page = _to_guests(w, aloop)
    page.table.selectAll()
    page.user.setText("Administrator")
    page.password.setText(w.test_password)
    page.apply_to_selected()
    for vm_id in ("vm-101", "vm-102"):
        w.flow.state.guest(vm_id).tested_ok = True
    w.wizard.revalidate()
    w.wizard.next_button.click()
    net = w.wizard.page(PageId.NETWORK)
    assert list(net.map_combos) == ["App-VLAN20"]
    assert net.map_combos["App-VLAN20"].currentData() == "sn-20"  # same-named subnet proposed
    net.map_combos["App-VLAN20"].setCurrentIndex(0)
    assert "Choose the AHV subnet for port group App-VLAN20." in net.error_labels["map:App-VLAN20"].text()
    assert not w.wizard.next_button.isEnabled()
    net.map_combos["App-VLAN20"].setCurrentIndex(net.map_combos["App-VLAN20"].findData("sn-20"))
    net.auto_cutover.setChecked(True)
    net.window_start.setText("25:00")
    net.window_start.textEdited.emit("25:00")
    assert "HH:MM" in net.error_labels["cutover_window_start"].text()
    assert not w.wizard.next_button.isEnabled()
    net.window_start.setText("22:00")
    net.window_end.setText("02:30")
    net.window_end.textEdited.emit("02:30")
    assert w.wizard.next_button.isEnabled()
    w.wizard.next_button.click()
    summary = w.wizard.page(PageId.SUMMARY)
    text = summary.text.toPlainText()
    assert "Migrate 2 VMs from vCenter vcsa.corp.local to Prism prism.corp.local." in text
    assert "Automatic cutover between 22:00 and 02:30" in text
    assert text.startswith("2 VMs · 2 disks · up to 120.0 GiB to copy")  # issue 15.14: totals
    assert summary.start_button.isEnabled()
    saved = tmp_path / "plan.json"
    assert summary.save_plan(saved)
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["vms"][0]["guest"]["password"].startswith("keyring:")
    assert w.test_password not in saved.read_text(encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(saved.read_text(encoding="utf-8").replace('"network_map"', '"network_mapp"'), encoding="utf-8")
    assert not summary.load_plan(bad)
    assert "Unknown key plan.network_mapp" in summary.message.text()
    assert "Did you mean 'network_map'?" in summary.message.text()
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    assert not summary.load_plan(broken)
    assert "not valid JSON" in summary.message.text()
    assert summary.load_plan(saved)
    run(aloop, wait_until(lambda: w.flow.current is PageId.SOURCE, 10))
    assert w.wizard.page(PageId.SOURCE).password.text() == w.test_password  # back from the secret store
    run(aloop, wait_until(lambda: True, 1))


class _LockedKeyring:
    """A keyring that refuses writes the way wiring.KeyringSecrets reports it."""

    def get(self, service: str, username: str) -> str | None:
        return None

    def set(self, service: str, username: str, secret: str) -> None:
        from xtract_gui.domain.errors import ConfigurationError

        raise ConfigurationError("The OS keyring refused the secret (KeyringLocked).",
                                 hint="Check that a keyring backend is installed and unlocked.")

    def delete(self, service: str, username: str) -> None:
        return None


def test_locked_keyring_still_connects_and_says_so(preview_window, aloop) -> None:  # type: ignore[no-untyped-def]
    w = preview_window
    w.secrets.keyring = _LockedKeyring()
    page = w.wizard.page(PageId.SOURCE)
    run(aloop, _connect(page, w.flow.state.source))
    assert w.flow.state.source.connected
    assert "kept for this session only" in page.status.text() and "KeyringLocked" in page.status.text()
    ref = w.flow.state.source.secret_ref()
    assert w.secrets.get(ref.service, ref.username) == w.test_password
