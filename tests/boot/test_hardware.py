"""The QEMU command lines of real lab guests (no QEMU started): the source looks like ESXi, the target like AHV,
and no guest can reach anything but its own slirp network."""

from __future__ import annotations

from pathlib import Path

import pytest

from xtract_gui.domain.errors import ConfigurationError
from xtract_gui.lab.qemu.hardware import Disk, Machine, Nic, qemu_argv
from xtract_gui.lab.qemu.images import NETWORKS, STATIC_IPV4
from xtract_gui.lab.qemu.lab import real_guests
from xtract_gui.lab.qemu.process import STALL_RESETS, QemuVm
from xtract_gui.lab.runner import Lab

UUID = "4210aaaa-bbbb-cccc-dddd-eeeeffff0001"


def machine(kind: str, **kw: object) -> Machine:
    base = dict(name="vm", kind=kind, uuid=UUID,
                disks=(Disk(Path("/d/0.raw"), wwn="0x6000c29aaaaaaaaa"), Disk(Path("/d/1.raw"))),
                nics=(Nic("00:50:56:00:00:01", NETWORKS["VM Network"], 2222, STATIC_IPV4),
                      Nic("00:50:56:00:00:02", NETWORKS["App Net"])),
                serial_log=Path("/r/s.log"), qmp_socket=Path("/r/q.sock"), vars_file=Path("/r/vars.fd"))
    base.update(kw)
    return Machine(**base)  # type: ignore[arg-type]


def test_the_source_looks_like_esxi() -> None:
    argv = " ".join(qemu_argv(machine("vmware"), "tcg"))
    assert "-device pvscsi" in argv and "virtio" not in argv
    assert "vendor=VMware,product=Virtual disk,wwn=0x6000c29aaaaaaaaa" in argv
    assert argv.count("-device vmxnet3") == 2 and "mac=00:50:56:00:00:01,addr=0x10" in argv
    assert "manufacturer=VMware,, Inc.,product=VMware Virtual Platform" in argv and f"uuid={UUID}" in argv
    assert "qemu64,hypervisor=off" in argv  # the guest must not see QEMU's CPUID signature


def test_the_target_looks_like_ahv_and_follows_the_spec_bus() -> None:
    argv = " ".join(qemu_argv(machine("ahv"), "kvm"))
    assert "-device virtio-scsi-pci" in argv and "vendor=NUTANIX,product=VDISK" in argv
    assert argv.count("-device virtio-net-pci") == 2 and "mac=00:50:56:00:00:01,addr=0x03" in argv
    assert "manufacturer=Nutanix,product=AHV" in argv and "pvscsi" not in argv and "vmxnet3" not in argv
    blk = " ".join(qemu_argv(machine("ahv", disks=(Disk(Path("/d/0.raw"), bus="virtio-blk"),)), "tcg"))
    assert "-device virtio-blk-pci,drive=disk0,bootindex=0" in blk and "virtio-scsi" not in blk
    uefi = qemu_argv(machine("ahv", uefi=True), "tcg")
    assert any(a.startswith("if=pflash") and "OVMF_CODE" in a for a in uefi)
    assert "if=pflash,format=raw,file=/r/vars.fd" in uefi


@pytest.mark.parametrize("kind", ["vmware", "ahv"])
def test_networking_is_slirp_restricted_and_forwarded_on_loopback_only(kind: str) -> None:
    argv = qemu_argv(machine(kind), "tcg")
    netdevs = [argv[i + 1] for i, a in enumerate(argv) if a == "-netdev"]
    assert len(netdevs) == 2 and all(n.startswith("user,") and "restrict=on" in n for n in netdevs)
    assert "hostfwd=tcp:127.0.0.1:2222-10.10.0.11:22" in netdevs[0] and "hostfwd" not in netdevs[1]
    assert not any(word in " ".join(argv) for word in ("tap", "bridge", "socket,", "vde"))


def test_a_boot_lab_takes_only_known_families_and_the_builtin_source(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="Unknown guest image family"):
        real_guests(tmp_path, ["windows"], images=lambda f: pytest.fail("no image is built"))
    with pytest.raises(ConfigurationError, match="boot mode"):
        Lab(tmp_path, source="vcsim", boot="qemu")


def test_lab_serve_takes_the_boot_mode_and_families() -> None:
    from xtract_gui.cli import build_parser

    args = build_parser().parse_args(["lab", "serve", "--boot", "qemu", "--families", "debian,rhel"])
    assert (args.boot, args.families) == ("qemu", "debian,rhel")


def test_a_seed_drive_on_pvscsi_is_at_a_target_id_the_guest_scans() -> None:
    """Linux's vmw_pvscsi scans targets 0-15 when the controller does not answer PVSCSI_CMD_CONFIG (QEMU's does
    not: its console says "PVSCSI_CMD_CONFIG failed ... max_id: 16"): a cloud-init seed at id 16 was never seen,
    so cloud-init fell back to DHCP on the first NIC instead of the seed's static address."""
    argv = qemu_argv(machine("vmware", extra_drives=(Path("/d/seed.img"),)), "tcg")
    (seed,) = [a for a in argv if "drive=extra0" in a]
    scsi_id = int(seed.split("scsi-id=")[1].split(",")[0])
    assert 2 <= scsi_id <= 15, seed  # after the VM's own disks, below 16


def test_under_tcg_a_guest_runs_one_vcpu_and_under_kvm_its_own_count() -> None:
    """Two vCPUs under TCG on a loaded 2-core host now and then lost a vCPU's timer for good (hardware.vcpus)."""
    for kind in ("vmware", "ahv"):
        tcg, kvm = qemu_argv(machine(kind, cpus=2), "tcg"), qemu_argv(machine(kind, cpus=2), "kvm")
        assert tcg[tcg.index("-smp") + 1] == "1" and kvm[kvm.index("-smp") + 1] == "2"


STALL = """[    2.844058] clocksource: Switched to clocksource tsc
[   23.142691] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:
[   23.146411] rcu: rcu_preempt kthread timer wakeup didn't happen for 5247 jiffies! g-1111 f0x0 RCU_GP_WAIT_FQS(5)
"""


def test_a_stalled_console_is_seen_and_a_wait_on_it_gives_up_only_after_the_resets(tmp_path: Path) -> None:
    log = tmp_path / "s.log"
    vm = QemuVm(machine("vmware", serial_log=log))
    log.write_text("[    1.0] Linux version 6.1\n")
    assert vm.stall_line() == "" and vm.stalled() == ""
    log.write_text("[    1.0] Linux version 6.1\n" + STALL)
    assert vm.stall_line().startswith("[   23.146411] rcu: rcu_preempt kthread timer wakeup didn't happen")
    assert vm.stalled() == ""  # not yet given up: the lab resets it first (recover())
    vm.resets = STALL_RESETS
    assert vm.stalled() and vm.wait_for_console(("login:",), timeout=600) == ""  # at once, not after 600 s
    assert "rcu_preempt kthread timer wakeup" in vm.tail()


def test_a_starved_rcu_kthread_is_no_lost_timer(tmp_path: Path) -> None:
    """A one-vCPU guest the loaded host did not run for 20 s reports a stall too; it is not reset for it."""
    log = tmp_path / "s.log"
    log.write_text("[  153.658452] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n"
                   "[  153.659541] rcu: rcu_preempt kthread starved for 5252 jiffies! g38809 f0x2 RCU_GP_WAIT_FQS(5) "
                   "->state=0x0 ->cpu=0\n")
    assert QemuVm(machine("vmware", serial_log=log)).stall_line() == ""
