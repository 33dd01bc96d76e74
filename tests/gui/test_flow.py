"""The wizard flow without Qt: navigation, validation messages, plan building."""

from __future__ import annotations

import pytest

from xtract_gui.domain.inventory import SourceInventory
from xtract_gui.domain.messages import seconds
from xtract_gui.domain.plan import GuestChannelKind, Plan, TransferMode
from xtract_gui.domain.units import human_bytes
from xtract_gui.gui import preview
from xtract_gui.gui.wizard.flow import (
    PAGES,
    Finding,
    GuestAnswers,
    PageId,
    WizardFlow,
    msg,
)
from xtract_gui.gui.wizard.summary_text import summarize


def connected_flow() -> WizardFlow:
    flow = WizardFlow()
    s = flow.state
    s.source.host, s.source.user, s.source.password = "vc.example.local", "administrator@vsphere.local", "pw"
    s.source.connected = True
    s.inventory = preview.SOURCE
    t = s.target
    t.host, t.user, t.password, t.connected = "prism.example.local", "admin", "pw", True
    t.clusters, t.containers, t.subnets = (preview.CLUSTER,), preview.CONTAINERS, preview.SUBNETS
    t.cluster_uuid, t.container_uuid, t.mode_reachable = preview.CLUSTER.uuid, "ctr-1", True
    return flow


def test_flow_imports_without_qt() -> None:
    """The flow (and the backend's plain logic) load in a process where PySide6 cannot be imported."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['PySide6'] = None; sys.modules['qasync'] = None; "
            "import xtract_gui.gui.wizard.flow, xtract_gui.gui.wizard.flow_answers, xtract_gui.gui.wizard.flow_rules; "
            "import xtract_gui.gui.wizard.backend; "
            "assert not any(m.startswith('PySide6.') for m in sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_empty_source_page_names_every_missing_field() -> None:
    errs = WizardFlow().errors(PageId.SOURCE)
    assert set(errs) == {"host", "user", "password"}
    assert "vCenter" in str(errs["host"])


@pytest.mark.parametrize("host", ["https://vc.example.local", "vc.example.local/sdk", "vc example"])
def test_host_with_scheme_or_path_is_refused(host: str) -> None:
    flow = WizardFlow()
    flow.state.source.host = host
    assert "without http://" in str(flow.errors()["host"])


def test_connect_failure_lands_under_its_field_and_blocks_next() -> None:
    flow = WizardFlow()
    s = flow.state.source
    s.host, s.user, s.password = "vc", "u", "p"
    assert "connect" in flow.errors()
    s.error, s.error_field = "vCenter vc rejected the user name or password.", "password"
    assert str(flow.errors()["password"]).startswith("vCenter vc rejected")
    assert not flow.can_advance()
    with pytest.raises(ValueError):
        flow.next()
    flow.source_changed()
    assert "password" not in flow.errors()


def test_navigation_walks_every_page_in_order_and_back() -> None:
    flow = connected_flow()
    s = flow.state
    seen = [flow.current]
    assert flow.can_advance()
    flow.next()
    seen.append(flow.current)
    flow.next()
    seen.append(flow.current)
    assert "Select at least one VM" in str(flow.errors()["selection"])
    flow.set_selected(["vm-101", "vm-104"])
    for vm_id in s.selected:
        s.findings[vm_id] = []
    flow.next()
    seen.append(flow.current)
    assert not flow.can_advance()  # no guest accounts yet
    flow.apply_guest(["vm-101", "vm-104"], GuestAnswers(GuestChannelKind.VMTOOLS, "Administrator", "pw"))
    flow.next()
    seen.append(flow.current)
    assert set(flow.errors()) == {"map:App-VLAN20"}
    s.network_map["App-VLAN20"] = "sn-20"
    flow.next()
    seen.append(flow.current)
    assert tuple(seen) == PAGES
    assert not flow.can_advance()
    assert flow.back() is PageId.NETWORK


def test_blocker_prevents_next_with_the_reason() -> None:
    flow = connected_flow()
    flow.current = PageId.VMS
    flow.set_selected(["vm-105"])
    assert "still being checked" in str(flow.errors()["selection"])
    flow.state.findings["vm-105"] = [Finding("existing_snapshots", "BLOCKER", "legacy-ftp has 2 snapshot(s).",
                                             "Delete them.", "vm-105")]
    text = str(flow.errors()["selection"])
    assert "legacy-ftp cannot be migrated" in text and "Delete them." in text
    flow.state.findings["vm-105"] = [Finding("cbt", "INFO", "CBT will be enabled.", "", "vm-105")]
    assert flow.can_advance()


def test_container_too_small_for_selection() -> None:
    flow = connected_flow()
    flow.state.target.container_uuid = "ctr-2"
    flow.set_selected([v.vm_id for v in preview.SOURCE.vms])
    flow.state.target.containers = tuple(
        c if c.uuid != "ctr-2" else type(c)(c.uuid, c.name, c.cluster_uuid, 10 * 2**30, 10 * 2**30)
        for c in preview.CONTAINERS)
    assert "free but the selected VMs need" in str(flow.errors(PageId.TARGET)["container"])


def test_unreachable_mode_shows_the_adapter_words() -> None:
    flow = connected_flow()
    flow.state.target.mode_reachable = False
    flow.state.target.mode_message = "NFS on 10.0.0.5 cannot be reached."
    assert str(flow.errors(PageId.TARGET)["mode"]) == "NFS on 10.0.0.5 cannot be reached."


def test_network_options_validation() -> None:
    flow = connected_flow()
    flow.set_selected(["vm-103"])
    s = flow.state
    s.network_map = {"DB-VLAN30": "sn-30", "VM Network": "gone"}
    from dataclasses import replace

    s.options = replace(s.options, sync_interval_minutes=0, bandwidth_limit_mbps=-1, auto_cutover=True,
                        cutover_window_start="25:00", cutover_window_end="")
    s.test_subnet_uuid = "sn-30"
    errs = flow.errors(PageId.NETWORK)
    assert set(errs) == {"map:VM Network", "sync_interval", "bandwidth", "cutover_window_start",
                         "cutover_window_end", "test_subnet"}
    assert "no longer exists" in str(errs["map:VM Network"])


def test_plan_round_trip_keeps_only_keyring_references() -> None:
    flow = connected_flow()
    s = flow.state
    flow.set_selected(["vm-101", "vm-106"])
    flow.apply_guest(["vm-101"], GuestAnswers(GuestChannelKind.WINRM, "Administrator", "guest-pw"))
    flow.apply_guest(["vm-106"], GuestAnswers(GuestChannelKind.NONE))
    s.network_map = {"App-VLAN20": "sn-20", "VM Network": "sn-1", "Unused": "sn-30"}
    plan = flow.build_plan()
    text = plan.to_json()
    assert "guest-pw" not in text and '"pw"' not in text
    assert plan.network_map == {"App-VLAN20": "sn-20", "VM Network": "sn-1"}
    assert plan.vm("vm-101").guest.password is not None
    assert plan.vm("vm-106").guest.password is None
    again = WizardFlow()
    again.load_plan(Plan.from_json(text))
    assert again.state.selected == {"vm-101", "vm-106"}
    assert again.state.guests["vm-101"].channel is GuestChannelKind.WINRM
    assert again.state.target.container_uuid == "ctr-1"
    assert again.state.source.password == ""  # comes from the keyring, never from the file


def test_plan_round_trip_keeps_winrm_auth_nfs_mount_port_and_element_pins() -> None:
    flow = connected_flow()
    t = flow.state.target
    t.nfs_mount_port, t.element_port = 20048, 9441
    t.element_fingerprints = {"10.0.0.5": ":".join(["AB"] * 32)}
    flow.set_selected(["vm-101", "vm-102"])
    flow.apply_guest(["vm-101"], GuestAnswers(GuestChannelKind.WINRM, "Administrator", "pw", winrm_auth="basic"))
    flow.apply_guest(["vm-102"], GuestAnswers(GuestChannelKind.WINRM, "Administrator", "pw"))
    plan = flow.build_plan()
    assert plan.vm("vm-101").guest.winrm_auth == "basic" and plan.vm("vm-102").guest.winrm_auth == "ntlm"
    again = WizardFlow()
    again.load_plan(Plan.from_json(plan.to_json()))
    a = again.state.target
    assert (a.nfs_mount_port, a.element_port) == (20048, 9441)
    assert a.element_fingerprints == {"10.0.0.5": ":".join(["AB"] * 32)}
    assert again.state.guests["vm-101"].winrm_auth == "basic"
    assert again.state.guests["vm-102"].winrm_auth == "ntlm"
    again.state.inventory = preview.SOURCE
    assert again.build_plan().to_json() == plan.to_json()  # saving what was loaded loses nothing


def test_basic_winrm_auth_over_http_is_refused_with_the_way_out() -> None:
    flow = connected_flow()
    flow.set_selected(["vm-101"])
    flow.apply_guest(["vm-101"], GuestAnswers(GuestChannelKind.WINRM, "Administrator", "pw", winrm_https=False,
                                              winrm_auth="basic", allow_http_ntlm=True))
    assert "Basic authentication needs WinRM over HTTPS" in str(flow.errors(PageId.GUESTS)["vm-101"])
    flow.state.guest("vm-101").winrm_auth = "ntlm"
    assert not flow.errors(PageId.GUESTS)


def test_the_summary_says_what_the_plan_does() -> None:
    """Issue 15.14: totals, plurals, the interval the engine really uses, IP retention only where the guest is
    prepared, and in cold mode which VMs go off at Start."""
    flow = connected_flow()
    flow.set_selected(["vm-104", "vm-106"])
    flow.apply_guest(["vm-104"], GuestAnswers(GuestChannelKind.VMTOOLS, "root", "pw"))
    flow.apply_guest(["vm-106"], GuestAnswers(GuestChannelKind.NONE))
    flow.state.network_map.update({"App-VLAN20": "sn-20", "VM Network": "sn-1"})
    plan = flow.build_plan()
    s = summarize(plan, flow.state.inventory, subnet_names={"sn-20": "App-VLAN20 (AHV)"}, sync_seconds=20)
    totals = [str(m) for m in s.totals]
    assert totals[0] == "2 VMs" and totals[1] == "3 disks" and "to copy" in totals[2] and "copy time" in totals[3]
    lines = [str(m) for m in s.statements]
    assert any("App-VLAN20 (AHV)" in line for line in lines)
    assert any("delta sync every 20 s" in line for line in lines), lines  # the demo's interval, not the plan's
    assert any(line.startswith("IP settings are restored inside app-rhel-01 ") for line in lines)
    assert any("build-agent: no guest preparation" in line for line in lines)
    assert [v.name for v in s.vms] == ["app-rhel-01", "build-agent"] and not s.off_at_start
    one = summarize(flow.build_plan(), flow.state.inventory)
    assert any("every 60 minutes" in str(m) for m in one.statements)
    flow.set_selected(["vm-104"])
    flow.state.target.transfer_mode = TransferMode.COLD
    cold = summarize(flow.build_plan(), flow.state.inventory)
    assert str(cold.totals[0]) == "1 VM" and [v.name for v in cold.off_at_start] == ["app-rhel-01"]
    assert "whole copy" in str(cold.vms[0].downtime)


def test_messages_translate_their_template_only() -> None:
    m = msg("wizard.map_subnet", "Choose the AHV subnet for port group {pg}.", pg="DB")
    assert m.render(lambda m: m.template.replace("Choose", "Pick")) == "Pick the AHV subnet for port group DB."


def test_human_units() -> None:
    assert human_bytes(0) == "0 B" and human_bytes(3 * 2**30) == "3.0 GiB"
    assert str(seconds(None)) == "–" and str(seconds(75)) == "1 min 15 s" and str(seconds(7260)) == "2 h 01 min"


def test_inventory_type_is_the_domain_one() -> None:
    assert isinstance(preview.SOURCE, SourceInventory)
