"""The virtual hardware of a real lab guest, as QEMU arguments: VMware-like on the source, AHV-like on the target.

Source ("vmware"): i440FX, PVSCSI controller (NVMe for a UEFI VM's boot disk: Debian's OVMF has no PVSCSI
driver, and vSphere EFI VMs boot from vNVMe too) with disks that carry VMware's NAA world-wide names
(what ``disk.EnableUUID`` shows a guest: ``/dev/disk/by-id/wwn-0x6000c29…``), vmxnet3 NICs in PCI slots
16, 17 (so the guest names them ens16, ens17), SMBIOS "VMware, Inc." / "VMware Virtual Platform" with
the VM's BIOS UUID.  Target ("ahv"): virtio-scsi (or virtio-blk / SATA as the VM spec's bus says) with
SCSI disks "NUTANIX VDISK", virtio-net NICs in slots 3, 4 (ens3, ens4, as AHV guests see them), SMBIOS
"Nutanix" / "AHV".  BIOS is SeaBIOS; UEFI is OVMF with a per-VM copy of its variable store.

Networking is QEMU user mode (slirp) only and always ``restrict=on``: a guest reaches nothing outside
its private network (no DNS, no connection from this machine on its behalf); the host reaches the
guest's sshd through ``hostfwd=tcp:127.0.0.1:<port>-<guest ip>:22`` on the NIC that holds that address.
Slirp answers DHCP on every network, as the second NIC of each lab image expects.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_NIC_SLOTS = (0x10, 0x11, 0x12, 0x13)
TARGET_NIC_SLOTS = (0x03, 0x04, 0x05, 0x06)
SOURCE_DISK_SLOT = 0x07
TARGET_DISK_SLOT = 0x08
EXTRA_SCSI_ID = 15  # the highest target id every SCSI controller here shows the guest
OVMF_CODE = ("/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_CODE.fd")
OVMF_VARS = ("/usr/share/OVMF/OVMF_VARS_4M.fd", "/usr/share/OVMF/OVMF_VARS.fd")


@dataclass(frozen=True)
class Network:
    """One slirp network: the same addressing on the source and on AHV, so a guest keeps its address."""

    net: str  # "10.10.0.0/24"
    host: str  # slirp's own address (gateway), e.g. "10.10.0.2"
    ipv6_net: str = ""  # "fd00:10::/64"; "" for IPv4 only
    dhcp_start: str = ""  # first address slirp's DHCP hands out


@dataclass(frozen=True)
class Nic:
    mac: str
    network: Network
    forward_port: int = 0  # host port on 127.0.0.1 forwarded to ``forward_to``:22
    forward_to: str = ""  # the guest's static IPv4 address on this NIC


@dataclass(frozen=True)
class Disk:
    path: Path
    bus: str = "scsi"  # "scsi" | "virtio-blk" | "sata" | "nvme"
    wwn: str = ""  # "0x6000c29…" (VMware NAA); empty on AHV
    serial: str = ""


@dataclass(frozen=True)
class Machine:
    """Everything QEMU needs to run one VM; ``kind`` picks the hardware family."""

    name: str
    kind: str  # "vmware" | "ahv"
    uuid: str  # SMBIOS system UUID: the VM's BIOS UUID on vSphere, the VM uuid on AHV
    disks: tuple[Disk, ...]
    nics: tuple[Nic, ...]
    memory_mib: int = 1024
    cpus: int = 2
    uefi: bool = False
    serial_log: Path = Path("serial.log")
    qmp_socket: Path = Path("qmp.sock")
    vars_file: Path | None = None  # the VM's own OVMF variable store (UEFI)
    # Read-only disks that are not the VM's own (a cloud-init seed the hypervisor presents, like VMware's
    # guestinfo): on the same controller after the VM's disks, never migrated.
    extra_drives: tuple[Path, ...] = field(default_factory=tuple)
    kernel: Path | None = None  # direct kernel boot (the image builder's installer run); None: boot the disk
    initrd: Path | None = None
    append: str = ""


def ovmf_code() -> Path:
    for candidate in OVMF_CODE:
        if Path(candidate).exists():
            return Path(candidate)
    raise FileNotFoundError("OVMF is not installed (Debian package ovmf)")


def ovmf_vars_template() -> Path:
    code = ovmf_code()
    return Path(OVMF_VARS[0] if "_4M" in code.name else OVMF_VARS[1])


def _cpu(m: Machine, accel: str) -> list[str]:
    """ESXi's vCPUs announce VMware (CPUID leaf 0x40000000); TCG would announce "TCGTCGTCGTCG" and KVM "KVM",
    and the guest would believe it runs on QEMU: systemd-detect-virt says "qemu", and dracut's host-only
    image then takes VirtIO drivers (its virtiofs module) that a VMware-born image never has.  QEMU cannot
    announce VMware, so the source's vCPUs hide the hypervisor bit: the guest tells the platform by its
    SMBIOS ("VMware, Inc."), as systemd-detect-virt does when CPUID is silent."""
    model = "host" if accel == "kvm" else "qemu64"
    return ["-cpu", f"{model},hypervisor=off" if m.kind == "vmware" else model]


def vcpus(m: Machine, accel: str) -> int:
    """The vCPUs QEMU runs: the VM's count under KVM, one under TCG.  Under TCG a 2-vCPU guest on this loaded 2-core
    host now and then stopped for good at its switch to the TSC clocksource: one vCPU idle in HLT never got its
    LAPIC timer interrupt again ("rcu_preempt kthread timer wakeup didn't happen ... cpu=0"), the other reported
    the stall.  One vCPU takes the cross-vCPU paths (IPIs, stop_machine, TSC sync) out and is one host thread per
    guest, so two guests (a journey's source and AHV VM, or two journeys) share the 2 cores without starving each
    other.  The VM's own count (vCenter, Prism) is unchanged; a guest sees its own vCPU count nowhere we check."""
    return m.cpus if accel == "kvm" else 1


def _smbios(m: Machine) -> list[str]:
    if m.kind == "vmware":
        # What ESXi shows a guest (dmidecode on a vSphere VM); the serial is derived from the BIOS UUID.
        # (QEMU option values escape a comma by doubling it.)
        serial = "VMware-" + " ".join(m.uuid.replace("-", "")[i:i + 2] for i in range(0, 32, 2))
        # Board and chassis too: QEMU's defaults say "QEMU", and dracut's is_qemu_virtualized reads every
        # /sys/class/dmi/id/*_vendor (dracut 059 dracut-init.sh), so its host-only image would take VirtIO.
        return ["-smbios", "type=0,vendor=Phoenix Technologies LTD,version=6.00",
                "-smbios", f"type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform,uuid={m.uuid},"
                           f"serial={serial}",
                "-smbios", "type=2,manufacturer=Intel Corporation,product=440BX Desktop Reference Platform",
                "-smbios", "type=3,manufacturer=No Enclosure"]
    return ["-smbios", f"type=1,manufacturer=Nutanix,product=AHV,uuid={m.uuid},serial={m.uuid}"]


def _storage(m: Machine) -> list[str]:
    args: list[str] = []
    slot = SOURCE_DISK_SLOT if m.kind == "vmware" else TARGET_DISK_SLOT
    buses = {d.bus for d in m.disks}
    if "scsi" in buses or m.extra_drives:
        controller = "pvscsi" if m.kind == "vmware" else "virtio-scsi-pci"
        args += ["-device", f"{controller},id=scsi0,addr={slot:#04x}"]
    if "sata" in buses:
        args += ["-device", "ahci,id=sata0"]
    for i, d in enumerate(m.disks):
        args += ["-drive", f"file={d.path},format=raw,if=none,id=disk{i},cache=writeback,discard=unmap"]
        boot = ",bootindex=0" if i == 0 and m.kernel is None else ""  # -kernel takes boot index 0 itself
        if d.bus == "scsi":
            ident = (f",vendor=VMware,product=Virtual disk,wwn={d.wwn}" if m.kind == "vmware" and d.wwn
                     else ",vendor=NUTANIX,product=VDISK" if m.kind == "ahv" else "")
            serial = f",serial={d.serial}" if d.serial else ""
            args += ["-device", f"scsi-hd,bus=scsi0.0,channel=0,scsi-id={i},lun=0,drive=disk{i}{ident}{serial}{boot}"]
        elif d.bus == "nvme":
            args += ["-device", f"nvme,drive=disk{i},serial={d.serial or d.wwn.removeprefix('0x') or i}{boot}"]
        elif d.bus == "virtio-blk":
            args += ["-device", f"virtio-blk-pci,drive=disk{i}{boot}"]
        else:
            wwn = f",wwn={d.wwn}" if d.wwn else ""
            args += ["-device", f"ide-hd,bus=sata0.{i},drive=disk{i}{wwn}{boot}"]
    for i, image in enumerate(m.extra_drives):
        # From the top of the target ids down: Linux's vmw_pvscsi scans targets 0-15 when the controller does
        # not answer PVSCSI_CMD_CONFIG (QEMU's does not), so a drive at id 16 would be invisible to the guest.
        args += ["-drive", f"file={image},format=raw,if=none,id=extra{i},readonly=on",
                 "-device", f"scsi-hd,bus=scsi0.0,channel=0,scsi-id={EXTRA_SCSI_ID - i},lun=0,drive=extra{i}"]
    return args


def _network(m: Machine) -> list[str]:
    args: list[str] = []
    model = "vmxnet3" if m.kind == "vmware" else "virtio-net-pci"
    slots = SOURCE_NIC_SLOTS if m.kind == "vmware" else TARGET_NIC_SLOTS
    for i, nic in enumerate(m.nics):
        n = nic.network
        opts = [f"user,id=net{i}", "restrict=on", f"net={n.net}", f"host={n.host}"]
        if n.dhcp_start:
            opts.append(f"dhcpstart={n.dhcp_start}")
        if n.ipv6_net:
            prefix, _, length = n.ipv6_net.partition("/")
            opts += [f"ipv6-net={prefix}/{length or 64}"]
        else:
            opts.append("ipv6=off")
        if nic.forward_port and nic.forward_to:
            opts.append(f"hostfwd=tcp:127.0.0.1:{nic.forward_port}-{nic.forward_to}:22")
        args += ["-netdev", ",".join(opts), "-device", f"{model},netdev=net{i},mac={nic.mac},addr={slots[i]:#04x}"]
    return args


def qemu_argv(m: Machine, accel: str, *, binary: str = "qemu-system-x86_64") -> list[str]:
    """The whole command line; no display, serial console to ``serial_log``, QMP on ``qmp_socket``."""
    args = [binary, "-name", m.name, "-machine", "pc", "-accel", "tcg,thread=multi" if accel == "tcg" else accel,
            "-m", str(m.memory_mib), "-smp", str(vcpus(m, accel)), "-nodefaults", "-no-user-config", "-display", "none",
            "-vga", "none", "-serial", f"file:{m.serial_log}", "-qmp", f"unix:{m.qmp_socket},server=on,wait=off",
            "-rtc", "base=utc"]
    if m.uefi:
        if m.vars_file is None:
            raise ValueError("a UEFI machine needs its own OVMF variable store (vars_file)")
        args += ["-drive", f"if=pflash,format=raw,readonly=on,file={ovmf_code()}",
                 "-drive", f"if=pflash,format=raw,file={m.vars_file}"]
    if m.kernel is not None:
        args += ["-kernel", str(m.kernel), "-append", m.append]
        if m.initrd is not None:
            args += ["-initrd", str(m.initrd)]
    return args + _cpu(m, accel) + _smbios(m) + _storage(m) + _network(m)


def describe(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)
