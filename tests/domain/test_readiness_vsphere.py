"""Readiness rules for what real vCenters have that breaks a migration midway (issue 20)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.domain.factories import disk, plan, target, vm
from xtract_gui.domain.cbt import change_id_uuid, full_copy_reason
from xtract_gui.domain.inventory import MissingPrivilege, SourceVM, ToolsStatus
from xtract_gui.domain.plan import GuestChannelKind, Plan, PlanOptions, ShutdownPolicy
from xtract_gui.domain.readiness import Finding, Severity, check_vm


def findings(v: SourceVM, p: Plan | None = None) -> dict[str, Finding]:
    found = check_vm(v, p or plan(v), target())
    for f in found:
        assert f.message and f.fix, f
    return {f.code: f for f in found}


def with_channel(p: Plan, channel: GuestChannelKind) -> Plan:
    return replace(p, vms=(replace(p.vms[0], guest=replace(p.vms[0].guest, channel=channel)),))


def test_encrypted_vms_and_disks_are_blocked_with_what_to_do() -> None:
    for v in (replace(vm(), encrypted=True), replace(vm(), disks=(disk(encrypted=True),))):
        f = findings(v)["encrypted"]
        assert f.severity is Severity.BLOCKER and "Decrypt" in f.fix and "Cryptographer" not in f.fix
    lacks = replace(vm(), encrypted=True,
                    missing_privileges=(MissingPrivilege("Cryptographer.Decrypt", "VM", "web-vm-1"),))
    assert "lacks Cryptographer.Decrypt" in findings(lacks)["encrypted"].fix
    assert "missing_privileges" not in findings(lacks)  # said in the encryption finding, not twice


@pytest.mark.parametrize(("kind", "blocked"), [("vsan", True), ("VVOL", True), ("VMFS", False), ("NFS", False),
                                               ("", False)])
def test_vsan_and_vvol_disks_are_blocked(kind: str, blocked: bool) -> None:
    found = findings(replace(vm(), disks=(disk(datastore_type=kind),)))
    assert ("no_flat_file_datastore" in found) is blocked
    if blocked:
        assert found["no_flat_file_datastore"].severity is Severity.BLOCKER
        assert "Storage vMotion" in found["no_flat_file_datastore"].fix


def test_virtual_rdm_blocks_before_anything_is_changed() -> None:
    f = findings(replace(vm(), disks=(disk(rdm=True),)))["rdm_virtual"]
    assert f.severity is Severity.BLOCKER and "Storage vMotion" in f.fix


def test_tools_not_running_blocks_unless_the_plan_may_power_off() -> None:
    v = replace(vm(), tools_status=ToolsStatus.NOT_RUNNING)
    guest_only = findings(v)["tools_not_running"]
    assert guest_only.severity is Severity.BLOCKER and "allow power-off" in guest_only.fix
    may_power_off = replace(plan(v), options=PlanOptions(shutdown_policy=ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT))
    warned = findings(v, may_power_off)["tools_not_running"]
    assert warned.severity is Severity.WARNING and "powered off" in warned.fix
    # The VMware Tools channel needs Tools whatever the plan allows.
    assert findings(v, with_channel(may_power_off, GuestChannelKind.VMTOOLS))["tools_not_running"].severity \
        is Severity.BLOCKER
    # Old Tools still shut the guest down.
    assert findings(replace(v, tools_status=ToolsStatus.OLD))["tools_not_running"].severity is Severity.WARNING


@pytest.mark.parametrize("state", ["disconnected", "orphaned", "inaccessible", "invalid"])
def test_vms_not_connected_are_blocked(state: str) -> None:
    f = findings(replace(vm(), connection_state=state))["vm_not_connected"]
    assert f.severity is Severity.BLOCKER and state in f.message


def test_consolidation_needed_blocks() -> None:
    f = findings(replace(vm(), consolidation_needed=True))["consolidation_needed"]
    assert f.severity is Severity.BLOCKER and "Consolidate" in f.fix


def test_missing_privileges_are_named_and_guest_ones_count_only_for_the_tools_channel() -> None:
    v = replace(vm(), missing_privileges=(
        MissingPrivilege("VirtualMachine.State.RemoveSnapshot", "VM", "web-vm-1"),
        MissingPrivilege("Datastore.Browse", "datastore", "ds1"),
        MissingPrivilege("VirtualMachine.GuestOperations.Execute", "VM", "web-vm-1")))
    winrm = findings(v)["missing_privileges"]
    assert winrm.severity is Severity.BLOCKER
    assert "VirtualMachine.State.RemoveSnapshot on VM web-vm-1" in winrm.message
    assert "Datastore.Browse on datastore ds1" in winrm.message and "GuestOperations" not in winrm.message
    tools = findings(v, with_channel(plan(v), GuestChannelKind.VMTOOLS))["missing_privileges"]
    assert "VirtualMachine.GuestOperations.Execute" in tools.message
    only_guest = replace(v, missing_privileges=v.missing_privileges[2:])
    assert "missing_privileges" not in findings(only_guest)


def test_change_id_uuid_part() -> None:
    assert change_id_uuid("52 de c0 11 22 33 44 55-66 77 88 99 aa bb cc dd/17") == \
        "52 de c0 11 22 33 44 55-66 77 88 99 aa bb cc dd"
    assert change_id_uuid("*") == change_id_uuid("") == ""


def test_a_delta_is_trusted_only_with_the_same_uuid_and_capacity() -> None:
    old, same = "52 de aa/3", "52 de aa/9"
    assert full_copy_reason(old, 1 << 30, same, 1 << 30) == ""
    assert full_copy_reason(old, 0, same, 1 << 30) == ""  # capacity not recorded (an older database)
    assert "CBT was reset" in full_copy_reason(old, 1 << 30, "52 de bb/1", 1 << 30)
    assert "KB 2090639" in full_copy_reason(old, 1 << 30, same, 2 << 30)
