from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.factories import GIB, disk, plan, target, vm
from xtract_gui.domain.inventory import (
    DiskMode,
    DiskSharing,
    Firmware,
    OsFamily,
    PowerState,
    SourceInventory,
    SourceNic,
    StorageContainer,
    ToolsStatus,
)
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, PlanOptions, SecretRef, TransferMode, VmPlan
from xtract_gui.domain.readiness import PLAN_WIDE, Severity, blockers, check_plan, check_vm


def codes(v, p=None, t=None) -> dict[str, Severity]:  # type: ignore[no-untyped-def]
    findings = check_vm(v, p or plan(v), t or target())
    for f in findings:
        assert f.message and f.fix, f  # every finding says what to do
    return {f.code: f.severity for f in findings}


def test_a_clean_vm_has_no_findings() -> None:
    assert codes(vm()) == {}


@pytest.mark.parametrize(("change", "code", "severity"), [
    ({"tools_status": ToolsStatus.NOT_RUNNING}, "tools_not_running", Severity.WARNING),
    ({"disks": (disk(mode=DiskMode.INDEPENDENT_PERSISTENT),)}, "independent_disk", Severity.BLOCKER),
    ({"disks": (disk(rdm=True, rdm_physical=True),)}, "rdm_physical", Severity.BLOCKER),
    ({"disks": (disk(rdm=True),)}, "rdm_virtual", Severity.WARNING),
    ({"disks": (disk(sharing=DiskSharing.MULTI_WRITER),)}, "multi_writer_disk", Severity.BLOCKER),
    ({"disks": ()}, "no_disks", Severity.BLOCKER),
    ({"snapshot_count": 2}, "existing_snapshots", Severity.BLOCKER),
    ({"snapshot_count": 31}, "too_many_snapshots", Severity.BLOCKER),
    ({"hardware_version": 4}, "hardware_too_old", Severity.BLOCKER),
    ({"cbt_enabled": False}, "cbt_will_be_enabled", Severity.INFO),
    ({"firmware": Firmware.EFI, "secure_boot": True}, "secure_boot", Severity.INFO),
    ({"guest_family": OsFamily.OTHER}, "guest_os_unsupported", Severity.BLOCKER),
    ({"power_state": PowerState.OFF}, "guest_prep_needs_power", Severity.BLOCKER),
    ({"guest_ips": ()}, "guest_no_address", Severity.BLOCKER),
    ({"nics": (SourceNic(4000, "00:50:56:00:00:01", "DMZ", "vmxnet3"),)}, "network_unmapped", Severity.BLOCKER),
    ({"disks": (disk(capacity_bytes=600 * GIB),)}, "container_space", Severity.BLOCKER),
])
def test_each_rule_finds_its_problem(change: dict[str, object], code: str, severity: Severity) -> None:
    found = codes(replace(vm(), **change))
    assert found.get(code) is severity, found


def test_tools_not_running_blocks_when_the_guest_channel_needs_it() -> None:
    v = replace(vm(), tools_status=ToolsStatus.NOT_RUNNING)
    p = plan(v)
    p = replace(p, vms=(replace(p.vms[0], guest=replace(p.vms[0].guest, channel=GuestChannelKind.VMTOOLS)),))
    assert codes(v, p)["tools_not_running"] is Severity.BLOCKER


def test_ip_retention_of_several_nics_needs_retained_macs() -> None:
    v = replace(vm(), nics=(SourceNic(1, "00:50:56:00:00:01", "VM Network", "vmxnet3"),
                            SourceNic(2, "00:50:56:00:00:02", "VM Network", "vmxnet3")))
    assert "ip_retention_needs_mac" not in codes(v)
    p = replace(plan(v), options=PlanOptions(retain_mac=False, retain_ip=True))
    assert codes(v, p)["ip_retention_needs_mac"] is Severity.BLOCKER


def test_name_clash_and_missing_subnet_on_the_target() -> None:
    v = vm()
    assert codes(v, t=target(vm_names=frozenset({v.name})))["name_clash"] is Severity.BLOCKER
    p = replace(plan(v), network_map={"VM Network": "gone"})
    assert codes(v, p)["subnet_missing"] is Severity.BLOCKER


def test_cold_mode_and_skipped_guest_prep_are_explained() -> None:
    v = vm()
    assert codes(v, replace(plan(v), transfer_mode=TransferMode.COLD))["cold_shutdown"] is Severity.INFO
    p = plan(v)
    p = replace(p, vms=(VmPlan(v.vm_id, v.name, guest=GuestAccess(channel=GuestChannelKind.NONE)),))
    found = codes(v, p)
    assert found["guest_prep_skipped"] is Severity.WARNING
    assert found["ip_retention_needs_guest"] is Severity.WARNING


def test_check_plan_reports_plan_wide_problems_and_unknown_vms() -> None:
    a, b = vm("vm-1"), vm("vm-2")
    p = plan(a, b)
    p = replace(p, vms=(p.vms[0], replace(p.vms[1], target_name=a.name)))
    small = StorageContainer(uuid="k1", name="default", cluster_uuid="c1", capacity_bytes=100 * GIB,
                             free_bytes=30 * GIB)
    result = check_plan(p, SourceInventory(about="vc", api_version="8.0", vms=(a,)), target(containers=(small,)))
    wide = {f.code for f in result[PLAN_WIDE]}
    assert wide == {"container_space_total", "target_name_twice"}
    assert [f.code for f in result["vm-2"]] == ["vm_not_found"]
    assert {f.code for f in blockers(result)} == {"target_name_twice", "vm_not_found", "container_space"}


def test_ssh_needs_a_linux_guest_an_address_and_a_pinned_host_key() -> None:
    linux = replace(vm(), guest_family=OsFamily.LINUX, guest_full_name="Debian GNU/Linux 12")
    ssh = GuestAccess(channel=GuestChannelKind.SSH, user="root", ssh_key=SecretRef("xtract-gui", "root@k"),
                      ssh_host_key="ssh-ed25519 SHA256:" + "A" * 43)

    def with_access(v, access):  # type: ignore[no-untyped-def]
        p = plan(v)
        return codes(v, replace(p, vms=(replace(p.vms[0], guest=access),)))

    assert with_access(linux, ssh) == {}
    assert with_access(replace(linux, guest_family=OsFamily.WINDOWS), ssh)["ssh_needs_linux"] is Severity.BLOCKER
    assert with_access(replace(linux, guest_ips=()), ssh)["guest_no_address"] is Severity.BLOCKER
    assert with_access(replace(linux, guest_ips=()), replace(ssh, ssh_host="10.0.0.5")) == {}
    assert with_access(linux, replace(ssh, ssh_host_key=""))["ssh_host_key_not_pinned"] is Severity.BLOCKER
