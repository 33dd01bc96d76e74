"""Issue 14 items 11–14 and issue 21.2 (Linux) in the debootstrap root: the guests real users migrate.

Each test stages what such a guest has (a kernel with VirtIO built in, fstab by device id and PCI path,
SUSE ifcfg with kernel eth* names, cloud-init, a state folder planted by another account) and runs the
composed scripts as a channel does; the fstab test runs them live inside the root (chroot) against
real file systems on loop devices, so blkid and mount(8) answer for real.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from .helpers import check_contract, composed_file, run_linux

pytestmark = [pytest.mark.guest, pytest.mark.slow]

BUILTIN = "6.8.0-31-generic"
VIRTIO_BUILTIN = ("kernel/drivers/virtio/virtio_pci.ko\nkernel/drivers/scsi/virtio_scsi.ko\n"
                  "kernel/drivers/block/virtio_blk.ko\nkernel/drivers/net/virtio_net.ko\n")


def _cloud_kernel(root: Path) -> str:
    return next(p.name.removeprefix("vmlinuz-") for p in (root / "boot").glob("vmlinuz-*"))


def _builtin_kernel(root: Path, *, via_config: bool = False) -> None:
    """A kernel like Ubuntu 24.04's generic: the VirtIO drivers are built in (modules.builtin, config =y)."""
    cloud = _cloud_kernel(root)
    shutil.copyfile(root / "boot" / f"vmlinuz-{cloud}", root / "boot" / f"vmlinuz-{BUILTIN}")
    shutil.copyfile(root / "boot" / f"initrd.img-{cloud}", root / "boot" / f"initrd.img-{BUILTIN}")
    modules = root / "lib/modules" / BUILTIN
    modules.mkdir(parents=True)
    if via_config:
        (root / "boot" / f"config-{BUILTIN}").write_text(
            "CONFIG_VIRTIO_PCI=y\nCONFIG_SCSI_VIRTIO=y\nCONFIG_VIRTIO_BLK=y\nCONFIG_VIRTIO_NET=y\n")
    else:
        (modules / "modules.builtin").write_text(VIRTIO_BUILTIN)


# -- item 11 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("via_config", [False, True], ids=["modules.builtin", "config"])
def test_a_kernel_with_virtio_built_in_is_ready(debian: Path, via_config: bool) -> None:
    cloud = _cloud_kernel(debian)
    _builtin_kernel(debian, via_config=via_config)
    for old in (f"vmlinuz-{cloud}", f"initrd.img-{cloud}"):  # the built-in kernel is the only one
        (debian / "boot" / old).unlink()
    run = run_linux("initramfs_virtio.sh", debian)
    check_contract(run, "linux.initramfs_virtio")
    assert run.result["ok"], run.result
    (kernel,) = run.result["data"]["kernels"]
    assert kernel["version"] == BUILTIN and kernel["missing_after"] == [] and kernel["rebuilt"] is False


def test_an_old_kernel_that_cannot_boot_on_ahv_is_a_warning_not_a_failure(debian: Path) -> None:
    old = "4.4.0-xtract-old"
    shutil.copyfile(debian / "boot" / f"vmlinuz-{_cloud_kernel(debian)}", debian / "boot" / f"vmlinuz-{old}")
    (debian / "lib/modules" / old / "kernel").mkdir(parents=True)  # no VirtIO driver at all
    run = run_linux("initramfs_virtio.sh", debian, timeout=900)
    check_contract(run, "linux.initramfs_virtio")
    assert run.result["ok"], run.result
    assert any(old in w for w in run.result["warnings"]), run.result["warnings"]
    cloud = next(k for k in run.result["data"]["kernels"] if k["version"] == _cloud_kernel(debian))
    assert cloud["missing_after"] == [] and cloud["rebuilt"] is True


# -- item 12: live inside the root, with real file systems ----------------------------------------


class LiveRoot:
    """The debootstrap root as a running guest: its own /dev (loop devices with by-id and by-path links)."""

    def __init__(self, root: Path, work: Path) -> None:
        self.root, self.work = root, work
        self.loops: list[str] = []
        self.mounts: list[Path] = []

    def __enter__(self) -> LiveRoot:
        dev = self.root / "dev"
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(dev)], check=True)
        self.mounts.append(dev)
        proc = self.root / "proc"
        subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
        self.mounts.append(proc)
        for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("urandom", 1, 9)):
            subprocess.run(["mknod", "-m", "666", str(dev / name), "c", str(major), str(minor)], check=True)
        return self

    def disk(self, link: str) -> str:
        """A new ext4 file system on a loop device, reachable in the root as /dev/<link>; returns its UUID."""
        image = self.work / f"fs{len(self.loops)}.img"
        with open(image, "wb") as f:
            f.truncate(16 * 2**20)
        subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
        loop = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True,
                              check=True).stdout.strip()
        self.loops.append(loop)
        st = Path(loop).stat()
        node = self.root / "dev" / Path(loop).name
        subprocess.run(["mknod", str(node), "b", str(st.st_rdev >> 8), str(st.st_rdev & 0xFF)], check=True)
        target = self.root / "dev" / link
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(Path("/dev") / Path(loop).name)
        return subprocess.run(["blkid", "-s", "UUID", "-o", "value", loop], capture_output=True, text=True,
                              check=True).stdout.strip()

    def run(self, script: str) -> subprocess.CompletedProcess[str]:
        composed = composed_file(f"linux/{script}")
        inside = self.root / "tmp" / composed.name
        shutil.move(composed, inside)
        (self.root / "tmp/params.json").write_text("{}")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"}  # no XTRACT_ROOT: a live run
        return subprocess.run(["chroot", str(self.root), "bash", f"/tmp/{inside.name}", "/tmp/params.json"],
                              capture_output=True, text=True, env=env, timeout=300, check=False)

    def __exit__(self, *exc: object) -> None:
        for mount in reversed(self.mounts):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        for loop in self.loops:
            subprocess.run(["losetup", "-d", loop], check=False)


BY_ID = "disk/by-id/scsi-36000c29a1b2c3d4e-part1"
BY_PATH = "disk/by-path/pci-0000:00:07.0-scsi-0:0:1:0-part1"
STALE = "UUID=00000000-dead-beef-0000-000000000000 /srv/old ext4 defaults 0 2"


def test_fstab_and_kernel_command_line_by_device_id_and_path_become_uuids(debian: Path, tmp_path: Path) -> None:
    import json

    with LiveRoot(debian, tmp_path) as live:
        uuid_a, uuid_b = live.disk(BY_ID), live.disk(BY_PATH)
        for mp in ("srv/a", "srv/b", "srv/old"):
            (debian / mp).mkdir(parents=True)
        (debian / "etc/fstab").write_text(f"/dev/{BY_ID} /srv/a ext4 defaults 0 2\n"
                                          f"/dev/{BY_PATH} /srv/b ext4 defaults,nofail 0 2\n{STALE}\n")
        (debian / "etc/default").mkdir(exist_ok=True)
        (debian / "etc/default/grub").write_text(
            f'GRUB_CMDLINE_LINUX="console=ttyS0 root=/dev/{BY_ID} resume=/dev/{BY_PATH}"\n')
        (debian / "boot/grub").mkdir(parents=True)
        (debian / "boot/grub/grub.cfg").write_text(
            f"menuentry 'Debian' {{\n\tlinux /vmlinuz root=/dev/{BY_ID} ro resume=/dev/{BY_PATH} quiet\n}}\n")
        proc = live.run("fstab_uuid.sh")
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["ok"], (result, proc.stderr[-2000:])
    fstab = (debian / "etc/fstab").read_text().splitlines()
    assert fstab == [f"UUID={uuid_a} /srv/a ext4 defaults 0 2", f"UUID={uuid_b} /srv/b ext4 defaults,nofail 0 2",
                     STALE], "the stale line stays as it was, and does not roll the others back"
    grub = (debian / "etc/default/grub").read_text()
    assert f"root=UUID={uuid_a}" in grub and f"resume=UUID={uuid_b}" in grub and "by-id" not in grub
    cfg = (debian / "boot/grub/grub.cfg").read_text()
    assert f"root=UUID={uuid_a} ro resume=UUID={uuid_b} quiet" in cfg
    assert {c["file"] for c in result["data"]["kernel_cmdline"]} >= {"/etc/default/grub", "/boot/grub/grub.cfg"}
    assert (debian / "var/lib/xtract/backup/etc/fstab").read_text().startswith(f"/dev/{BY_ID}")


# -- item 13 -------------------------------------------------------------------------------------


def _nic(root: Path, name: str, mac: str) -> None:
    nic = root / "sys/class/net" / name
    (nic / "device").mkdir(parents=True)
    (nic / "address").write_text(mac + "\n")


def test_suse_ifcfg_follows_the_udev_name_and_kernel_eth_names_are_never_renamed_into(debian: Path) -> None:
    shutil.rmtree(debian / "sys/class/net")
    _nic(debian, "eth0", "00:50:56:8a:00:01")
    _nic(debian, "eth1", "00:50:56:8a:00:02")
    _nic(debian, "ens224", "00:50:56:8a:00:03")
    for name in ("eth0", "eth1", "ens224"):
        (debian / "etc/sysconfig/network").mkdir(parents=True, exist_ok=True)
        (debian / f"etc/sysconfig/network/ifcfg-{name}").write_text("BOOTPROTO='dhcp'\nSTARTMODE='auto'\n")
    (debian / "etc/netplan/01-static.yaml").write_text(
        "network:\n  version: 2\n  ethernets:\n    eth0:\n      addresses: [10.1.20.16/24]\n")
    run = run_linux("retain_ip.sh", debian)
    check_contract(run, "linux.retain_ip")
    assert run.result["ok"], run.result
    rule = (debian / "etc/udev/rules.d/70-xtract-persistent-net.rules").read_text()
    assert 'NAME="ens224"' in rule and 'NAME="eth' not in rule, rule
    pinned = {n["name"]: n["pinned_by"] for n in run.result["data"]["nics"]}
    assert "suse-ifcfg" in pinned["ens224"] and "udev" in pinned["ens224"]
    assert "udev" not in pinned["eth0"] and any("eth0" in w for w in run.result["warnings"])
    eth0 = yaml.safe_load((debian / "etc/netplan/01-static.yaml").read_text())["network"]["ethernets"]["eth0"]
    assert eth0["match"] == {"macaddress": "00:50:56:8a:00:01"} and "set-name" not in eth0


# -- item 14 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("restore", [False, True])
def test_cloud_init_networking_is_off_for_the_move_and_back_on_after_undo(debian: Path, restore: bool) -> None:
    (debian / "etc/cloud/cloud.cfg.d").mkdir(parents=True)
    (debian / "etc/cloud/cloud.cfg").write_text("datasource_list: [ NoCloud, None ]\n")
    run = run_linux("retain_ip.sh", debian)
    assert run.result["ok"], run.result
    cfg = debian / "etc/cloud/cloud.cfg.d/99-xtract-disable-network-config.cfg"
    settings = yaml.safe_load(cfg.read_text())
    assert settings["network"] == {"config": "disabled"} and settings["ssh_deletekeys"] is False
    assert run.result["data"]["cloud_init"]["present"] is True
    undo = run_linux("undo.sh", debian, {"restore_backups": restore})
    check_contract(undo, "linux.undo")
    assert undo.result["ok"] and undo.result["data"]["cloud_init_networking"] is True
    assert not cfg.exists()


# -- issue 21.2 ----------------------------------------------------------------------------------


def _chain(root: Path, path: str) -> list[Path]:
    out, p = [], root / path.lstrip("/")
    while p != root:
        out.append(p)
        p = p.parent
    return out


def test_every_file_the_first_boot_unit_runs_or_reads_is_roots_alone(debian: Path) -> None:
    from xtract_gui.engine.prep import task_params

    from .helpers import task

    for script in ("retain_ip.sh", "install_firstboot.sh"):
        params = task_params(task(f"linux.{script.removesuffix('.sh')}"), {})
        assert run_linux(script, debian, params).result["ok"]
    for f in ("/etc/systemd/system/xtract-firstboot.service", "/var/lib/xtract/firstboot.sh",
              "/var/lib/xtract/network.json", "/var/lib/xtract/source-identity.json"):
        for p in _chain(debian, f):
            st = p.lstat()
            assert st.st_uid == 0 and st.st_mode & 0o022 == 0, (p, oct(st.st_mode), st.st_uid)


@pytest.mark.parametrize("plant", ["owner", "mode", "file"])
def test_a_state_folder_another_account_could_change_is_refused(debian: Path, plant: str) -> None:
    from xtract_gui.engine.prep import task_params

    from .helpers import task

    state = debian / "var/lib/xtract"
    state.mkdir(parents=True)
    if plant == "owner":
        subprocess.run(["chown", "1000:1000", str(state)], check=True)
    elif plant == "mode":
        state.chmod(0o777)
    else:
        (state / "network.json").write_text("{}")
        subprocess.run(["chown", "1000", str(state / "network.json")], check=True)
    run = run_linux("install_firstboot.sh", debian, task_params(task("linux.install_firstboot"), {}))
    check_contract(run, "linux.install_firstboot")
    assert not run.result["ok"] and run.result["message"].startswith("Refused"), run.result
    assert not (state / "firstboot.sh").exists()
    assert not (debian / "etc/systemd/system/xtract-firstboot.service").exists()
