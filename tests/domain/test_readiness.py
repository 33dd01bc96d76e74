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
    TargetKind,
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
    # Without Tools the guest cannot be shut down, and the default plan does not allow a power-off.
    ({"tools_status": ToolsStatus.NOT_RUNNING}, "tools_not_running", Severity.BLOCKER),
    ({"disks": (disk(mode=DiskMode.INDEPENDENT_PERSISTENT),)}, "independent_disk", Severity.BLOCKER),
    ({"disks": (disk(rdm=True, rdm_physical=True),)}, "rdm_physical", Severity.BLOCKER),
    ({"disks": (disk(rdm=True),)}, "rdm_virtual", Severity.BLOCKER),
    ({"disks": (disk(sharing=DiskSharing.MULTI_WRITER),)}, "multi_writer_disk", Severity.BLOCKER),
    ({"disks": ()}, "no_disks", Severity.BLOCKER),
    ({"snapshot_count": 2}, "existing_snapshots", Severity.BLOCKER),
    ({"snapshot_count": 31}, "too_many_snapshots", Severity.BLOCKER),
    ({"hardware_version": 4}, "hardware_too_old", Severity.BLOCKER),
    ({"cbt_enabled": False}, "cbt_will_be_enabled", Severity.INFO),
    ({"firmware": Firmware.EFI, "secure_boot": True}, "secure_boot_needs_pc", Severity.BLOCKER),
    ({"guest_family": OsFamily.OTHER}, "guest_os_unsupported", Severity.BLOCKER),
    ({"power_state": PowerState.OFF}, "guest_prep_needs_power", Severity.BLOCKER),
    ({"guest_ips": ()}, "guest_no_address", Severity.BLOCKER),
    ({"nics": (SourceNic(4000, "00:50:56:00:00:01", "DMZ", "vmxnet3"),)}, "network_unmapped", Severity.BLOCKER),
    ({"disks": (disk(capacity_bytes=600 * GIB),)}, "container_space", Severity.BLOCKER),
])
def test_each_rule_finds_its_problem(change: dict[str, object], code: str, severity: Severity) -> None:
    found = codes(replace(vm(), **change))
    assert found.get(code) is severity, found


def test_secure_boot_is_created_through_prism_central_only() -> None:
    v = replace(vm(), firmware=Firmware.EFI, secure_boot=True)
    through_pe = check_vm(v, plan(v), target())
    (finding,) = [f for f in through_pe if f.code == "secure_boot_needs_pc"]
    assert finding.severity is Severity.BLOCKER and "Prism Central" in finding.fix
    assert codes(v, t=target(kind=TargetKind.PRISM_CENTRAL)) == {"secure_boot": Severity.INFO}


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


def test_cold_mode_powers_a_running_vm_off_only_when_someone_said_yes() -> None:
    """Issue 15.1: a cold migration shuts the source down before its copy; without the plan's recorded consent
    (the wizard asks at Start) readiness blocks the VM, so the engine never powers it off."""
    v = vm()
    cold = replace(plan(v), transfer_mode=TransferMode.COLD)
    found = check_vm(v, cold, target())
    assert [f.code for f in found if f.severity is Severity.BLOCKER] == ["cold_power_off_unconfirmed"]
    assert "nobody confirmed" in found[0].message and "allow_power_off_for_cold" in found[0].fix
    agreed = replace(cold, options=replace(cold.options, allow_power_off_for_cold=True))
    assert codes(v, agreed) == {"cold_shutdown": Severity.INFO}
    assert "cold_power_off_unconfirmed" not in codes(replace(v, power_state=PowerState.OFF), cold)


def test_a_migrated_vm_is_told_it_exists_on_the_target_first() -> None:
    """Issue 15.9: a VM cut over before is off on vSphere and on AHV by name; the first blocker names the clash and
    nothing advises powering the source on."""
    v = replace(vm(), power_state=PowerState.OFF)
    found = check_vm(v, plan(v), replace(target(), vm_names=frozenset({v.name})))
    assert found[0].code == "name_clash"
    assert all("Power the VM on" not in f.fix for f in found)
    assert "migrated" in found[0].fix


def test_skipped_guest_prep_is_explained() -> None:
    v = vm()
    p = plan(v)
    p = replace(p, vms=(VmPlan(v.vm_id, v.name, guest=GuestAccess(channel=GuestChannelKind.NONE)),))
    found = codes(v, p)
    assert found["guest_prep_skipped"] is Severity.WARNING
    assert found["ip_retention_needs_guest"] is Severity.WARNING
    (fix,) = [f.fix for f in check_vm(v, p, target()) if f.code == "guest_prep_skipped"]
    assert "INACCESSIBLE_BOOT_DEVICE" in fix
    linux = replace(v, guest_family=OsFamily.LINUX, guest_full_name="Debian GNU/Linux 12")
    (fix,) = [f.fix for f in check_vm(linux, p, target()) if f.code == "guest_prep_skipped"]
    assert "initramfs" in fix and "INACCESSIBLE_BOOT_DEVICE" not in fix  # a Windows stop code means nothing there


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


def _pc_with_a_small_image_container() -> object:
    return target(kind=TargetKind.PRISM_CENTRAL, containers=(
        StorageContainer(uuid="k1", name="default", cluster_uuid="c1", capacity_bytes=1000 * GIB, free_bytes=500 * GIB),
        StorageContainer(uuid="k2", name="SelfServiceContainer", cluster_uuid="c1", capacity_bytes=100 * GIB,
                         free_bytes=10 * GIB)))


def test_through_prism_central_the_disks_land_in_the_image_container() -> None:
    """v3 clones a disk from an image into the image's container: the space that counts is SelfServiceContainer's."""
    t = _pc_with_a_small_image_container()
    assert t.disk_container("k1").name == "SelfServiceContainer"  # type: ignore[attr-defined]
    v = vm()  # one 40 GiB disk
    found = check_vm(v, plan(v), t)  # type: ignore[arg-type]
    (space,) = [f for f in found if f.code == "container_space"]
    assert space.severity is Severity.BLOCKER and "'SelfServiceContainer'" in space.message
    wide = check_plan(plan(v), SourceInventory(about="vc", api_version="7.0", vms=(v,)), t)[PLAN_WIDE]  # type: ignore[arg-type]
    (info,) = [f for f in wide if f.code == "disks_land_elsewhere"]
    assert "'SelfServiceContainer'" in info.message and "'default'" in info.message
    # Through Prism Element the plan's container is where they land: no blocker, nothing to explain.
    pe = replace(t, kind=TargetKind.PRISM_ELEMENT)  # type: ignore[type-var]
    assert "container_space" not in codes(v, t=pe)
    assert pe.disk_container("k1").name == "default"


def test_warm_mode_through_prism_central_also_needs_room_for_the_staging_files() -> None:
    t = replace(target(kind=TargetKind.PRISM_CENTRAL), containers=(
        StorageContainer(uuid="k1", name="default", cluster_uuid="c1", capacity_bytes=100 * GIB, free_bytes=5 * GIB),
        StorageContainer(uuid="k2", name="SelfServiceContainer", cluster_uuid="c1", capacity_bytes=1000 * GIB,
                         free_bytes=500 * GIB)))
    v = vm()
    warm = [f.message for f in check_vm(v, plan(v, transfer_mode=TransferMode.WARM), t) if f.code == "container_space"]
    assert len(warm) == 1 and "'default'" in warm[0] and "staged" in warm[0]
    assert "container_space" not in codes(v, plan(v, transfer_mode=TransferMode.COLD), t)


def test_a_container_with_its_own_nfs_whitelist_must_name_this_laptop_in_warm_mode() -> None:
    own = StorageContainer(uuid="k1", name="default", cluster_uuid="c1", capacity_bytes=1000 * GIB,
                           free_bytes=500 * GIB, nfs_whitelist=("10.9.0.0/255.255.0.0",), nfs_whitelist_inherited=False)
    v = vm()
    src = SourceInventory(about="vc", api_version="7.0", vms=(v,))

    def wide(t: object, mode: TransferMode = TransferMode.WARM) -> dict[str, Severity]:
        found = check_plan(plan(v, transfer_mode=mode), src, t)[PLAN_WIDE]  # type: ignore[arg-type]
        return {f.code: f.severity for f in found}

    outside = target(containers=(own,), nfs_client="10.1.2.3/255.255.255.255")
    assert wide(outside)["container_whitelist"] is Severity.BLOCKER
    (finding,) = [f for f in check_plan(plan(v, transfer_mode=TransferMode.WARM), src, outside)[PLAN_WIDE]
                  if f.code == "container_whitelist"]
    assert "10.1.2.3/255.255.255.255" in finding.fix and "'default'" in finding.message
    assert "container_whitelist" not in wide(replace(outside, nfs_client="10.9.4.5/255.255.255.255"))
    assert wide(replace(outside, nfs_client=""))["container_whitelist"] is Severity.WARNING  # laptop unknown
    assert "container_whitelist" not in wide(outside, TransferMode.COLD)  # no NFS in cold mode
    inherits = replace(own, nfs_whitelist=(), nfs_whitelist_inherited=True)
    assert "container_whitelist" not in wide(replace(outside, containers=(inherits,)))


def test_winrm_over_http_is_a_warning_that_names_ntlm_relay() -> None:
    v = vm()
    p = plan(v)
    winrm = replace(p.vms[0].guest, channel=GuestChannelKind.WINRM, winrm_host="10.0.0.5")
    assert "winrm_http" not in codes(v, replace(p, vms=(replace(p.vms[0], guest=winrm),)))
    http = replace(winrm, winrm_https=False, allow_http_ntlm=True)
    found = check_vm(v, replace(p, vms=(replace(p.vms[0], guest=http),)), target())
    (warning,) = [f for f in found if f.code == "winrm_http"]
    assert warning.severity is Severity.WARNING and "NTLM relay" in warning.message and "HTTPS" in warning.fix


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
