"""The Linux preparation in a real Debian root (debootstrap): initramfs-tools, lsinitramfs, its files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from xtract_gui.domain.guest_tasks import GuestPhase, tasks_for
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.prep import task_params

from .debian_root import initramfs_listing
from .helpers import check_contract, file_digests, manifest_tasks, run_linux

pytestmark = [pytest.mark.guest, pytest.mark.slow]

MAC = "00:50:56:8a:12:34"
VIRTIO = ("virtio_scsi", "virtio_blk", "virtio_net", "virtio_pci")
TOUCHED = ("etc", "boot", "var/lib/xtract")


def stage_source_vm(root: Path) -> None:
    # What the kernel would show on the source VM: one vmxnet3 NIC and the VMware SMBIOS UUID.
    nic = root / "sys/class/net/ens192"
    (nic / "device").mkdir(parents=True)
    (nic / "address").write_text(MAC + "\n")
    dmi = root / "sys/class/dmi/id"
    dmi.mkdir(parents=True)
    (dmi / "product_uuid").write_text("420A1B2C-3D4E-5F60-7182-93A4B5C6D7E8\n")
    (root / "etc/netplan").mkdir(parents=True)
    (root / "etc/netplan/01-static.yaml").write_text(
        "network:\n  version: 2\n  ethernets:\n    ens192:\n      addresses: [10.1.20.16/24]\n")
    (root / "etc/network").mkdir(exist_ok=True)
    (root / "etc/network/interfaces").write_text("auto ens192\niface ens192 inet static\n  address 10.1.20.16/24\n")


def run_prep(root: Path) -> list[dict]:
    results = []
    for t in tasks_for(manifest_tasks(), OsFamily.LINUX, GuestPhase.PREP):
        params = task_params(t, {})  # what the engine adds: param_files (composed), fixed_params
        run = run_linux(t.script.removeprefix("linux/"), root, params, timeout=t.timeout_seconds)
        check_contract(run, t.id)
        assert run.result["ok"], (t.id, run.result, run.stderr[-2000:])
        results.append(run.result)
    return results


def has_module(listing: str, module: str) -> bool:
    return re.search(rf"/{module}\.ko(\.[a-z]+)?$", listing, re.MULTILINE) is not None


def test_prep_adds_virtio_to_every_initramfs_pins_the_nic_and_is_idempotent(debian):
    before = initramfs_listing(debian)
    assert before, "the Debian root has no initramfs"
    assert not any(has_module(listing, m) for listing in before.values() for m in VIRTIO)  # the test can fail

    first = run_prep(debian)
    assert {r["task"] for r in first if r["changed"]} >= {"linux.initramfs_virtio", "linux.retain_ip",
                                                          "linux.install_firstboot"}
    after = initramfs_listing(debian)
    assert after.keys() == before.keys()
    for kernel, listing in after.items():
        missing = [m for m in VIRTIO if not has_module(listing, m)]
        assert not missing, (kernel, missing)
    modules = (debian / "etc/initramfs-tools/modules").read_text().split()
    assert set(VIRTIO) <= set(modules)
    assert (debian / "var/lib/xtract/backup/etc/initramfs-tools/modules").exists()
    rule = (debian / "etc/udev/rules.d/70-xtract-persistent-net.rules").read_text()
    assert f'ATTR{{address}}=="{MAC}"' in rule and 'NAME="ens192"' in rule
    plan = yaml.safe_load((debian / "etc/netplan/01-static.yaml").read_text())
    assert plan["network"]["ethernets"]["ens192"]["match"] == {"macaddress": MAC}
    assert (debian / "etc/systemd/system/multi-user.target.wants/xtract-firstboot.service").is_symlink()

    digests = file_digests(debian, *TOUCHED)
    second = run_prep(debian)
    assert [r["task"] for r in second if r["changed"]] == []
    assert file_digests(debian, *TOUCHED) == digests


def test_undo_puts_back_the_original_initramfs_and_files(debian):
    original = {k: v[0] for k, v in file_digests(debian, "etc", "boot").items()}
    run_prep(debian)
    assert {k: v[0] for k, v in file_digests(debian, "etc", "boot").items()} != original
    undo = run_linux("undo.sh", debian, {"restore_backups": True})
    check_contract(undo, "linux.undo")
    assert undo.result["ok"] and undo.result["data"]["unit_removed"]
    assert {k: v[0] for k, v in file_digests(debian, "etc", "boot").items()} == original
    assert not any(has_module(listing, "virtio_scsi") for listing in initramfs_listing(debian).values())
    assert not (debian / "var/lib/xtract").exists()
