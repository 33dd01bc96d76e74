"""Builds the lab's real guest images from Debian packages, cached by recipe hash outside the repository.

Three families of what users migrate, each a self-booting VM with two disks and two NICs:

- ``debian``: initramfs-tools ``MODULES=dep``, ifupdown with a static IPv4 + IPv6 on ens16 and DHCP on
  ens17; root by UUID, the data disk by its VMware disk id (``/dev/disk/by-id/wwn-0x6000c29…``).
- ``rhel``: dracut ``hostonly=yes``, NetworkManager keyfiles bound to the interface name, root on LVM,
  the data disk by device name (``/dev/sdb1``).  Account with sudo and a password.
- ``ubuntu``: UEFI (GPT + ESP, OVMF), netplan + systemd-networkd with the network config rendered by
  cloud-init from a NoCloud seed the source hypervisor presents (as vSphere presents guestinfo), root
  by device id on the kernel command line and in fstab, the data disk by PCI path.  Key + NOPASSWD sudo.

How (all as root): debootstrap + apt in a chroot (daemons kept from starting) make the root tree
(cached as a tarball); ``mkfs.ext4 -d`` turns it into an installer disk; the VM boots that disk on
VMware-like hardware (PVSCSI, vmxnet3) and ``guest/install.sh`` partitions its own disks, copies itself
and installs GRUB, like a distribution installer; the first boot from the VM's disk runs
``guest/finish.sh``, which builds the initramfs the family's way ON THAT HARDWARE, so host-only/dep
images hold vmw_pvscsi and no VirtIO driver, exactly like a VMware-born VM, and reports on the serial
console.  The builder checks that report and stores disks + meta.json under
``~/.cache/xtract-gui/images/<family>-<hash>/``.

``python3 -m tests.images.build [FAMILY…]`` builds ahead of a test run.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from tests.guest_scripts.debian_root import MIRROR, cache_dir, install_without_starting
from xtract_gui.lab.qemu.accel import accelerator
from xtract_gui.lab.qemu.hardware import Disk, Machine, Nic
from xtract_gui.lab.qemu.images import DHCP_IPV4, NETWORKS, STATIC_IPV4, STATIC_IPV6, GuestImage
from xtract_gui.lab.qemu.process import QemuVm

HERE = Path(__file__).parent
SUITE = "bookworm"
BASE = ("systemd-sysv", "udev", "kmod", "iproute2", "procps", "dbus", "fdisk", "openssh-server", "sudo",
        "linux-image-cloud-amd64", "less")
PASSWORD = "Lab-guest-1!"
DISK0, DISK1 = 3 * 2**30, 512 * 2**20
NICS = ("ens16", "ens17")  # vmxnet3 in PCI slots 16, 17 (xtract_gui/lab/qemu/hardware.py)
ROOT_VERSION = "1"  # bump when the root tree's build (packages aside) changes: network config, accounts
IMAGE_VERSION = "2"  # bump when the image's assembly in this file changes (units, boots, meta)


@dataclass(frozen=True)
class Recipe:
    family: str
    firmware: str  # "bios" | "uefi"
    packages: tuple[str, ...]
    user: str  # the account the lab's plan logs in with
    sudo: str  # sudoers rule for that account ("" for root)

    @property
    def login(self) -> str:
        """How the lab plan logs in: root with a key, a sudoer with its password, a NOPASSWD sudoer with a key."""
        return "password" if self.user != "root" and "NOPASSWD" not in self.sudo else "key"

    def key(self) -> str:
        texts = [repr(self), repr(BASE), SUITE, IMAGE_VERSION]
        texts += [(HERE / "guest" / n).read_text() for n in ("install.sh", "finish.sh")]
        return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]


RECIPES = {
    "debian": Recipe("debian", "bios", ("initramfs-tools", "ifupdown", "isc-dhcp-client", "grub-pc-bin",
                                        "grub2-common", "open-vm-tools"), user="root", sudo=""),
    "rhel": Recipe("rhel", "bios", ("dracut", "lvm2", "network-manager", "grub-pc-bin", "grub2-common"),
                   user="migsvc", sudo="migsvc ALL=(ALL:ALL) ALL"),
    "ubuntu": Recipe("ubuntu", "uefi", ("initramfs-tools", "netplan.io", "cloud-init", "grub-efi-amd64-bin",
                                        "grub2-common", "dosfstools"),
                     user="migsvc", sudo="migsvc ALL=(ALL) NOPASSWD:ALL"),
}


class BuildError(AssertionError):
    pass


def run(argv: list[str], *, timeout: float = 900, **kw: object) -> str:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, **kw)  # type: ignore[call-overload]
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(argv[:6])} failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return str(proc.stdout)


def chroot(root: Path, *argv: str, stdin: str | None = None) -> str:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    return run(["chroot", str(root), *argv], input=stdin, env=env)


def put(root: Path, rel: str, text: str, mode: int = 0o644) -> None:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def boot_bus(r: Recipe) -> str:
    """Debian's OVMF has no PVSCSI driver (and the cloud kernel no AHCI): a UEFI image boots from NVMe on the
    source, as vSphere EFI VMs may."""
    return "nvme" if r.firmware == "uefi" else "scsi"


def wwn(family: str, disk: int) -> str:
    """VMware's NAA prefix 6000c29 + a per-image serial (QEMU's wwn is 64 bits)."""
    return "0x6000c29" + hashlib.sha256(f"{family}/{disk}".encode()).hexdigest()[:9]


# -- the root tree ---------------------------------------------------------------------------------


def _network_config(r: Recipe, root: Path) -> None:
    if r.family == "debian":
        put(root, "/etc/network/interfaces", f"""auto lo
iface lo inet loopback

auto {NICS[0]}
iface {NICS[0]} inet static
    address {STATIC_IPV4}/24
    gateway 10.10.0.2
iface {NICS[0]} inet6 static
    address {STATIC_IPV6}/64

auto {NICS[1]}
iface {NICS[1]} inet dhcp
""")
    elif r.family == "rhel":
        static = (f"[ipv4]\nmethod=manual\naddress1={STATIC_IPV4}/24,10.10.0.2\n\n"
                  f"[ipv6]\nmethod=manual\naddress1={STATIC_IPV6}/64\n")
        for name, addressing in zip(NICS, (static, "[ipv4]\nmethod=auto\n\n[ipv6]\nmethod=ignore\n"), strict=True):
            put(root, f"/etc/NetworkManager/system-connections/{name}.nmconnection",
                f"[connection]\nid={name}\nuuid={uuid.uuid5(uuid.NAMESPACE_DNS, f'xtract-lab-{name}')}\n"
                f"type=ethernet\ninterface-name={name}\n\n{addressing}", 0o600)
    else:  # cloud-init renders netplan from the seed; the seed itself is a disk of the source VM
        put(root, "/etc/cloud/cloud.cfg.d/90-xtract-lab.cfg", "datasource_list: [ NoCloud, None ]\n")
        chroot(root, "systemctl", "enable", "systemd-networkd.service")


def _seed_files(r: Recipe) -> dict[str, str]:
    return {
        "meta-data": f"instance-id: xtract-lab-{r.family}-1\nlocal-hostname: lab-{r.family}\n",
        "user-data": "#cloud-config\n{}\n",
        "network-config": f"""version: 2
ethernets:
  {NICS[0]}:
    addresses: [{STATIC_IPV4}/24, "{STATIC_IPV6}/64"]
    routes:
      - to: default
        via: 10.10.0.2
  {NICS[1]}:
    dhcp4: true
""",
    }


def _accounts(r: Recipe, root: Path) -> str:
    """The lab account (with sudo as the recipe says); returns the private key authorized for it."""
    keys = root / "etc/xtract-lab/keys"
    keys.mkdir(parents=True, exist_ok=True)
    chroot(root, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "xtract-lab", "-f", "/etc/xtract-lab/keys/lab")
    private = (keys / "lab").read_text()
    public = (keys / "lab.pub").read_text()
    shutil.rmtree(keys)
    chroot(root, "useradd", "-m", "-s", "/bin/bash", "migsvc")
    chroot(root, "chpasswd", stdin=f"migsvc:{PASSWORD}\n")
    if r.sudo:
        put(root, "/etc/sudoers.d/xtract-lab", r.sudo + "\n", 0o440)
    home = "/root" if r.user == "root" else f"/home/{r.user}"
    put(root, f"{home}/.ssh/authorized_keys", public, 0o600)
    chroot(root, "chown", "-R", f"{r.user}:{r.user}", f"{home}/.ssh")
    (root / home.lstrip("/") / ".ssh").chmod(0o700)
    return private


def _units(r: Recipe, root: Path) -> None:
    put(root, "/etc/xtract-lab/recipe.env", f"FAMILY={r.family}\nFIRMWARE={r.firmware}\nROOT_WWN={wwn(r.family, 0)}\n"
                                            f"DATA_WWN={wwn(r.family, 1)}\nSEED_WWN={wwn(r.family, 2)}\n")
    for name in ("install.sh", "finish.sh"):
        put(root, f"/etc/xtract-lab/{name}", (HERE / "guest" / name).read_text(), 0o755)
    put(root, "/etc/systemd/system/xtract-install.service", """[Unit]
Description=xtract lab image installer
ConditionKernelCommandLine=xtract.install
After=local-fs.target systemd-udev-settle.service
Wants=systemd-udev-settle.service

[Service]
Type=oneshot
ExecStart=/bin/bash /etc/xtract-lab/install.sh
StandardOutput=journal+console
StandardError=journal+console
""")
    # Not after cloud-final.service: that one runs after multi-user.target, which wants this unit, so systemd
    # breaks the cycle by dropping this unit and the build waits for a report that never comes.
    put(root, "/etc/systemd/system/xtract-finish.service", """[Unit]
Description=xtract lab image: host-only initramfs on the source hardware
ConditionPathExists=/etc/xtract-lab/finish-pending
Wants=network-online.target
After=network-online.target ssh.service cloud-init.service

[Service]
Type=oneshot
ExecStart=/bin/bash /etc/xtract-lab/finish.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=1800
""")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "xtract-install.service").unlink(missing_ok=True)
    (wants / "xtract-install.service").symlink_to("/etc/systemd/system/xtract-install.service")
    put(root, "/etc/fstab", "LABEL=xtract-inst / ext4 defaults 0 1\n")
    put(root, "/etc/hostname", f"lab-{r.family}\n")
    put(root, "/etc/hosts", f"127.0.0.1 localhost\n127.0.1.1 lab-{r.family}\n")


def root_tarball(r: Recipe) -> tuple[Path, dict[str, str]]:
    """The family's root tree as a tarball (cached) and what the tree's build decided (keys)."""
    key = hashlib.sha256(repr((r, BASE, SUITE, MIRROR, ROOT_VERSION)).encode()).hexdigest()[:16]
    tar = cache_dir() / "images" / f"root-{r.family}-{key}.tar"
    facts = tar.with_suffix(".json")
    tar.parent.mkdir(parents=True, exist_ok=True)
    if tar.exists() and facts.exists():
        return tar, json.loads(facts.read_text())
    build = Path(tempfile.mkdtemp(prefix=f"root-{r.family}-", dir=tar.parent))
    try:
        root = build / "root"
        run(["debootstrap", "--variant=minbase", "--include=systemd-sysv,udev,kmod", SUITE, str(root), MIRROR],
            timeout=1800)
        if r.family == "rhel":  # Debian's dracut defaults to a generic image; the finish boot makes it host-only
            put(root, "/etc/dracut.conf.d/05-generic.conf", 'hostonly="no"\n')
        install_without_starting(root, tuple(dict.fromkeys(BASE + r.packages)))
        _network_config(r, root)
        private = _accounts(r, root)
        chroot(root, "apt-get", "clean")
        for sub in ("usr/share/doc", "usr/share/man", "usr/share/locale", "var/lib/apt/lists"):
            shutil.rmtree(root / sub, ignore_errors=True)
        (root / "var/lib/apt/lists/partial").mkdir(parents=True)
        partial = tar.with_suffix(".partial")
        run(["tar", "--numeric-owner", "-cf", str(partial), "-C", str(root), "."])
        facts.write_text(json.dumps({"private_key": private}))
        partial.rename(tar)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    return tar, json.loads(facts.read_text())


# -- disks and the two boots -------------------------------------------------------------------------


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def _seed_files_into(r: Recipe, tree: Path) -> None:
    """The NoCloud files for the installer, which writes them onto a vfat disk labelled CIDATA (this
    machine's kernel may have no vfat, the guest's has)."""
    for name, text in _seed_files(r).items():
        put(tree, f"/etc/xtract-lab/seed/{name}", text)


def _machine(r: Recipe, work: Path, name: str, disks: tuple[Disk, ...], *, extra: tuple[Path, ...] = (),
             kernel: Path | None = None, initrd: Path | None = None, append: str = "") -> Machine:
    nics = (Nic(mac="00:50:56:3f:00:01", network=NETWORKS["VM Network"]),
            Nic(mac="00:50:56:3f:00:02", network=NETWORKS["App Net"]))
    return Machine(name=f"image-{r.family}-{name}", kind="vmware", uuid=str(uuid.uuid5(uuid.NAMESPACE_DNS, r.family)),
                   disks=disks, nics=nics, uefi=r.firmware == "uefi", serial_log=work / f"{name}.serial.log",
                   qmp_socket=work / f"{name}.qmp", vars_file=work / "OVMF_VARS.fd", extra_drives=extra,
                   kernel=kernel, initrd=initrd, append=append)


EMERGENCY = "You are in emergency mode"


def _boot(machine: Machine, timeout: float) -> str:
    vm = QemuVm(machine).start()
    try:
        deadline = time.monotonic() + timeout
        while not vm.wait(5.0):
            vm.recover()  # a boot that lost its timer under TCG is reset (the installer and finish unit start over)
            if vm.stalled():
                raise BuildError(f"{machine.name} stalled ({vm.stalled()}); {vm.tail(4000)}")
            if EMERGENCY in vm.tail(4000):  # systemd waits there for a root password forever: say why at once
                raise BuildError(f"{machine.name} went to systemd's emergency mode; {vm.console()[-8000:]}")
            if time.monotonic() > deadline:
                raise BuildError(f"{machine.name} did not power off within {timeout:.0f} s; {vm.tail(4000)}")
    finally:
        vm.stop()
    return vm.console()


def _report(console: str) -> dict[str, str]:
    if "XTRACT-REPORT-BEGIN" not in console or "XTRACT-REPORT-END" not in console:
        raise BuildError(f"the finishing boot printed no report; console:\n{console[-4000:]}")
    body = console.split("XTRACT-REPORT-BEGIN", 1)[1].split("XTRACT-REPORT-END", 1)[0]
    report: dict[str, str] = {}
    for line in body.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            report[key] = f"{report[key]} {value}" if key in report and key.startswith("addr.") else value
    return report


def _check(r: Recipe, report: dict[str, str]) -> None:
    problems = []
    driver = "vmw_pvscsi"  # NVMe is built into the cloud kernel: nothing to find in the initramfs
    if boot_bus(r) == "scsi" and report.get(f"initramfs.{driver}") != "yes":
        problems.append(f"the initramfs lacks {driver}, the driver of its boot disk")
    for m in ("virtio_scsi", "virtio_pci"):
        if report.get(f"initramfs.{m}") != "no":
            problems.append(f"the host-only initramfs holds {m}: it was not built on VMware-like hardware")
    first = report.get(f"addr.{NICS[0]}", "")
    if f"{STATIC_IPV4}/24" not in first or f"{STATIC_IPV6}/64" not in first:
        problems.append(f"{NICS[0]} has {first!r}")
    if f"{DHCP_IPV4}/24" not in report.get(f"addr.{NICS[1]}", ""):
        problems.append(f"{NICS[1]} has {report.get(f'addr.{NICS[1]}')!r}")
    if report.get("sshd") != "active":
        problems.append(f"sshd is {report.get('sshd')}")
    if problems:
        raise BuildError(f"{r.family} image: {'; '.join(problems)}; report {report}")


def build(r: Recipe, dest: Path) -> None:
    tar, facts = root_tarball(r)
    work = Path(tempfile.mkdtemp(prefix=f"image-{r.family}-", dir=dest.parent))
    try:
        tree = work / "tree"
        tree.mkdir()
        run(["tar", "--numeric-owner", "-xf", str(tar), "-C", str(tree)])
        _units(r, tree)
        kernel = sorted((tree / "boot").glob("vmlinuz-*"))[-1]
        initrd = tree / "boot" / kernel.name.replace("vmlinuz-", "initrd.img-")
        shutil.copyfile(kernel, work / "vmlinuz")
        shutil.copyfile(initrd, work / "initrd.img")
        accelerator(work / "vmlinuz")  # probe KVM once with this kernel (TCG where KVM cannot run it)
        seed = _sparse(work / "seed.img", 8 * 2**20) if r.family == "ubuntu" else None
        if seed is not None:
            _seed_files_into(r, tree)
        installer = _sparse(work / "installer.raw", 3 * 2**30)
        run(["mkfs.ext4", "-q", "-L", "xtract-inst", "-d", str(tree), str(installer)], timeout=1800)
        shutil.rmtree(tree)
        disks = (Disk(_sparse(work / "disk0.raw", DISK0), wwn=wwn(r.family, 0), bus=boot_bus(r)),
                 Disk(_sparse(work / "disk1.raw", DISK1), wwn=wwn(r.family, 1)))
        extra_disks = (Disk(installer),) + ((Disk(seed, wwn=wwn(r.family, 2)),) if seed is not None else ())
        console = _boot(_machine(r, work, "install", (*disks, *extra_disks), kernel=work / "vmlinuz",
                                 initrd=work / "initrd.img",
                                 append="root=LABEL=xtract-inst rw console=ttyS0,115200n8 xtract.install "
                                        "cloud-init=disabled"), 1800)
        if "XTRACT-INSTALL: done" not in console:
            raise BuildError(f"the {r.family} installer did not finish; console:\n{console[-4000:]}")
        installer.unlink()
        report = _report(_boot(_machine(r, work, "finish", disks, extra=(seed,) if seed else ()), 2400))
        _check(r, report)
        host_key = f"ssh-ed25519 {report['hostkey.ssh-ed25519']}"
        meta = {"family": r.family, "firmware": "efi" if r.firmware == "uefi" else "bios",
                "disks": [{"file": d.path.name, "capacity": d.path.stat().st_size, "wwn": d.wwn, "bus": d.bus}
                          for d in disks],
                "nic_names": list(NICS), "user": r.user, "password": PASSWORD if r.login == "password" else "",
                "private_key": facts["private_key"], "host_key": host_key, "kernel": "vmlinuz",
                "seed": "seed.img" if seed else "", "report": report}
        (work / "initrd.img").unlink()
        for leftover in work.glob("*.qmp"):
            leftover.unlink()
        (work / "meta.json").write_text(json.dumps(meta, indent=1))
        work.rename(dest)
    except BaseException:
        failed = dest.parent / f"{r.family}.failed"  # the last failed build's logs and disks, for a person
        shutil.rmtree(failed, ignore_errors=True)
        if work.exists():
            work.rename(failed)
        raise


def ensure_image(family: str) -> GuestImage:
    """The family's image, built once (about 10 minutes under TCG) and then taken from the cache."""
    if os.geteuid() != 0:
        raise BuildError("building guest images needs root (debootstrap, chroot, loop mounts)")
    r = RECIPES[family]
    base = cache_dir() / "images"
    base.mkdir(parents=True, exist_ok=True)
    dest = base / f"{family}-{r.key()}"
    with open(base / f"{family}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel sessions wait for one build
        if not (dest / "meta.json").exists():
            build(r, dest)
    return GuestImage.load(dest)


if __name__ == "__main__":
    for name in sys.argv[1:] or list(RECIPES):
        image = ensure_image(name)
        print(f"{name}: {image.root} host key {image.host_key}")
