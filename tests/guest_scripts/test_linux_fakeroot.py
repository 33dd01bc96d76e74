"""The Linux scripts for real (bash, awk, sed of this machine) against a root file system in a directory.

Only the kernel's view (sysfs, DMI) is staged by hand; the files the scripts read and write are the
ones a distribution has. The debootstrap test does the same against a real Debian root.
"""

from __future__ import annotations

import configparser
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from xtract_gui.resources import compose, load_script, read_resource

from .helpers import (
    FIRSTBOOT_RESULT_KEYS,
    assert_like_example,
    check_contract,
    composed_file,
    file_digests,
    run_linux,
    task,
)

pytestmark = [
    pytest.mark.guest,
    pytest.mark.skipif(os.geteuid() != 0, reason="the Linux guest scripts require root, as in a guest"),
]

MAC1 = "00:50:56:8a:12:34"
MAC2 = "00:50:56:8a:56:78"
NETPLAN = """network:
  version: 2
  renderer: networkd
  ethernets:
    ens192:
      addresses: [10.1.20.16/24]
      routes:
        - to: default
          via: 10.1.20.1
      nameservers:
        addresses: [10.1.0.10]
    ens224:
      dhcp4: true
"""
NM_KEYFILE = ("[connection]\nid=ens192\ntype=ethernet\ninterface-name=ens192\n\n"
              "[ipv4]\nmethod=manual\naddress1=10.1.20.16/24\n")
IFCFG = 'DEVICE=ens224\nBOOTPROTO=dhcp\nONBOOT=yes\nHWADDR="00:50:56:00:00:99"\n'


def put(root: Path, rel: str, text: str, mode: int = 0o644) -> Path:
    path = root / rel.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def add_nic(root: Path, name: str, mac: str, *, physical: bool = True) -> None:
    base = root / "sys/class/net" / name
    base.mkdir(parents=True, exist_ok=True)
    (base / "address").write_text(mac.upper() + "\n")
    if physical:
        (base / "device").mkdir(exist_ok=True)


@pytest.fixture
def guest_root(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    put(root, "/etc/os-release", 'PRETTY_NAME="Ubuntu 22.04.4 LTS"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="22.04"\n')
    put(root, "/etc/fstab", "UUID=0a1b-2c3d / ext4 defaults 0 1\n")
    put(root, "/etc/resolv.conf", "nameserver 10.1.0.10\nsearch corp.contoso.com contoso.com\n")
    put(root, "/sys/class/dmi/id/product_uuid", "420A1B2C-3D4E-5F60-7182-93A4B5C6D7E8\n")
    (root / "etc/systemd/system").mkdir(parents=True)
    for tool in ("usr/bin/apt-get", "usr/sbin/update-initramfs"):
        put(root, tool, "#!/bin/sh\nexit 0\n", 0o755)
    add_nic(root, "lo", "00:00:00:00:00:00", physical=False)
    add_nic(root, "ens192", MAC1)
    add_nic(root, "ens224", MAC2)
    add_nic(root, "br0", MAC1, physical=False)
    put(root, "/etc/netplan/50-cloud-init.yaml", NETPLAN, 0o600)
    put(root, "/etc/NetworkManager/system-connections/ens192.nmconnection", NM_KEYFILE, 0o600)
    put(root, "/etc/sysconfig/network-scripts/ifcfg-ens224", IFCFG)
    return root


# -- the prelude's JSON handling, exercised through resources/linux/_prelude.sh -----------------------------


def _prelude_script(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "probe.sh"
    script.write_text(compose(read_resource("linux/_prelude.sh"), "TASK=probe\n" + body))
    return script


@pytest.mark.parametrize("value", [
    'quote " and backslash \\ and slash /',
    "two\nlines\tand a tab",
    "accents é and € and ∑",
    '{"looks": "like json", "key": "nested"}',
    "",
])
def test_params_and_result_round_trip_through_json(tmp_path, value):
    body = ('v=$(param key default)\n'
            'finish true "$v" "{\\"value\\":$(json_str "$v"),\\"list\\":$(json_list $(param mods)),'
            '\\"flag\\":$(param flag false),\\"missing\\":$(json_str "$(param nothing fallback)")}"\n')
    params = tmp_path / "p.json"
    params.write_text(json.dumps({"other_key": "x", "nested": {"key": "not me", "a": [1, {"b": "}"}]},
                                 "mods": ["virtio_scsi", "virtio_net"], "key": value, "flag": True, "nothing": None}))
    proc = subprocess.run(["bash", str(_prelude_script(tmp_path, body)), str(params)], capture_output=True, text=True,
                          check=False)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 0 and not params.exists()
    expected = value or "default"
    assert result["data"] == {"value": expected, "list": ["virtio_scsi", "virtio_net"], "flag": True,
                              "missing": "fallback"}
    assert result["message"] == expected


def test_failure_exits_non_zero_with_warnings(tmp_path):
    body = 'warn "disk \\"sdb\\" has\ta tab"\nfinish false "Do this."\n'
    proc = subprocess.run(["bash", str(_prelude_script(tmp_path, body))], capture_output=True, text=True, check=False)
    result = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 1
    assert result == {"task": "probe", "ok": False, "changed": False, "message": "Do this.",
                      "warnings": ['disk "sdb" has\ta tab'], "data": {}}


# -- tasks -------------------------------------------------------------------------------------------


def test_check_root_reports_the_distribution(guest_root):
    put(guest_root, "/etc/os-release", 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\n'
        'VERSION_ID="9.3"\nPRETTY_NAME="Red Hat Enterprise Linux 9.3 (Plow)"\n')
    put(guest_root, "/usr/bin/dnf", "#!/bin/sh\n", 0o755)
    put(guest_root, "/usr/bin/dracut", "#!/bin/sh\n", 0o755)
    (guest_root / "usr/bin/apt-get").unlink()
    (guest_root / "usr/sbin/update-initramfs").unlink()
    run = run_linux("check_root.sh", guest_root)
    check_contract(run, "linux.check_root")
    assert_like_example(run, "linux.check_root")
    data = run.result["data"]
    assert (data["family"], data["package_manager"], data["initramfs_tool"]) == ("rhel", "dnf", "dracut")
    assert data["os_version_id"] == "9.3" and run.result["changed"] is False


def test_check_root_refuses_a_plain_user(guest_root):
    script = composed_file("linux/check_root.sh")
    try:
        proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", str(script)],
                              capture_output=True, text=True, env={**os.environ, "XTRACT_ROOT": str(guest_root)},
                              check=False)
    finally:
        script.unlink()
    result = json.loads(proc.stdout.splitlines()[-1])
    assert proc.returncode == 1 and result["ok"] is False
    assert "sudo" in result["message"]


def test_retain_ip_pins_every_configuration_to_the_mac(guest_root):
    run = run_linux("retain_ip.sh", guest_root)
    check_contract(run, "linux.retain_ip")
    assert_like_example(run, "linux.retain_ip")
    assert run.result["ok"] and run.result["changed"]
    nics = {n["name"]: n for n in run.result["data"]["nics"]}
    assert set(nics) == {"ens192", "ens224"}  # lo and the bridge are not physical
    assert nics["ens192"]["mac"] == MAC1 and set(nics["ens192"]["pinned_by"]) == {"udev", "networkmanager", "netplan"}
    assert set(nics["ens224"]["pinned_by"]) == {"udev", "ifcfg", "netplan"}

    rule = (guest_root / "etc/udev/rules.d/70-xtract-persistent-net.rules").read_text()
    assert f'ATTR{{address}}=="{MAC1}", ATTR{{type}}=="1", NAME="ens192"' in rule
    assert f'ATTR{{address}}=="{MAC2}", ATTR{{type}}=="1", NAME="ens224"' in rule

    plan = yaml.safe_load((guest_root / "etc/netplan/50-cloud-init.yaml").read_text())
    eth = plan["network"]["ethernets"]
    assert eth["ens192"]["match"] == {"macaddress": MAC1} and eth["ens192"]["set-name"] == "ens192"
    assert eth["ens224"]["match"] == {"macaddress": MAC2} and eth["ens224"]["dhcp4"] is True
    assert eth["ens192"]["routes"] == [{"to": "default", "via": "10.1.20.1"}]  # the rest is untouched

    nm = configparser.ConfigParser()
    nm.read(guest_root / "etc/NetworkManager/system-connections/ens192.nmconnection")
    assert nm["ethernet"]["mac-address"] == MAC1.upper() and nm["ipv4"]["address1"] == "10.1.20.16/24"
    ifcfg = (guest_root / "etc/sysconfig/network-scripts/ifcfg-ens224").read_text().splitlines()
    assert [ln for ln in ifcfg if ln.startswith("HWADDR=")] == [f"HWADDR={MAC2.upper()}"]

    saved = json.loads((guest_root / "var/lib/xtract/network.json").read_text())
    assert {n["mac"] for n in saved["nics"]} == {MAC1, MAC2}
    assert saved["search_list"] == ["corp.contoso.com", "contoso.com"]
    # The originals are kept for undo.
    assert (guest_root / "var/lib/xtract/backup/etc/netplan/50-cloud-init.yaml").read_text() == NETPLAN

    before = file_digests(guest_root, "etc", "var/lib/xtract")
    again = run_linux("retain_ip.sh", guest_root)
    assert again.result["ok"] and again.result["changed"] is False
    assert file_digests(guest_root, "etc", "var/lib/xtract") == before


def test_fstab_moves_the_lvm_devices_file_aside_once(guest_root):
    put(guest_root, "/etc/fstab", "UUID=0a1b / xfs defaults 0 0\n/dev/sdb1 /data xfs defaults 0 0\n")
    put(guest_root, "/etc/lvm/devices/system.devices",
        "VERSION=1.1.2\nIDTYPE=sys_wwid IDNAME=naa.6000c29 DEVNAME=/dev/sda2\n")
    run = run_linux("fstab_uuid.sh", guest_root)
    check_contract(run, "linux.fstab_uuid")
    assert_like_example(run, "linux.fstab_uuid")
    assert run.result["changed"] and not (guest_root / "etc/lvm/devices/system.devices").exists()
    assert (guest_root / "var/lib/xtract/initramfs-rebuild-needed").exists()
    # Offline, blkid cannot resolve /dev/sdb1: say so rather than guess.
    assert any("/dev/sdb1" in w for w in run.result["warnings"])
    assert (guest_root / "etc/fstab").read_text().count("/dev/sdb1") == 1
    again = run_linux("fstab_uuid.sh", guest_root)
    assert again.result["changed"] is False
    assert again.result["data"]["lvm_devices_file"]["action"] == "already moved aside"


def test_initramfs_without_a_tool_says_what_to_install(guest_root):
    (guest_root / "usr/sbin/update-initramfs").unlink()
    run = run_linux("initramfs_virtio.sh", guest_root)
    check_contract(run, "linux.initramfs_virtio")
    assert run.result["ok"] is False and "install" in run.result["message"]


def test_firstboot_acts_only_on_the_target_and_removes_itself(guest_root):
    assert run_linux("retain_ip.sh", guest_root).result["ok"]
    install = task("linux.install_firstboot")
    script_text = load_script(install.extra["param_files"]["firstboot_script"])  # with its prelude
    run = run_linux("install_firstboot.sh", guest_root, {"firstboot_script": script_text})
    check_contract(run, "linux.install_firstboot")
    assert_like_example(run, "linux.install_firstboot")
    unit = guest_root / "etc/systemd/system/xtract-firstboot.service"
    wants = guest_root / "etc/systemd/system/multi-user.target.wants/xtract-firstboot.service"
    assert "ExecStart=/bin/bash /var/lib/xtract/firstboot.sh" in unit.read_text()
    assert os.readlink(wants) == "/etc/systemd/system/xtract-firstboot.service"
    installed = guest_root / "var/lib/xtract/firstboot.sh"
    assert installed.read_text().rstrip("\n") == script_text.rstrip("\n")
    assert run_linux("install_firstboot.sh", guest_root, {"firstboot_script": script_text}).result["changed"] is False

    # Still on ESXi: nothing happens, the unit stays.
    on_source = run_linux("firstboot.sh", guest_root, script_path=installed)
    assert on_source.result["ok"] and on_source.result["data"] == {"on_target": False}
    assert unit.exists()
    pending = run_linux("read_firstboot_result.sh", guest_root)
    check_contract(pending, "linux.read_firstboot_result")
    assert_like_example(pending, "linux.read_firstboot_result", "pending_example")
    assert pending.result["data"]["pending"] is True and pending.exit_code != 0

    # On AHV: another DMI UUID; the second NIC came up under another name (its config would not apply).
    put(guest_root, "/sys/class/dmi/id/product_uuid", "9B2E7C41-0D3A-4B5C-8E6F-A1B2C3D4E5F6\n")
    (guest_root / "sys/class/net/ens224").rename(guest_root / "sys/class/net/ens3")
    on_target = run_linux("firstboot.sh", guest_root, {"wait_seconds": 0}, script_path=installed)
    check_contract(on_target, "linux.firstboot")
    result_file = json.loads((guest_root / "var/lib/xtract/firstboot-result.json").read_text())
    assert set(result_file) == FIRSTBOOT_RESULT_KEYS and result_file["on_target"] is True
    restored = {n["name"]: n["restored"] for n in result_file["nics"]}
    assert restored == {"ens192": True, "ens224": False}
    assert result_file["ok"] is False and any("ens3 instead of ens224" in e for e in result_file["errors"])
    assert not unit.exists() and not os.path.lexists(wants)

    read = run_linux("read_firstboot_result.sh", guest_root)
    check_contract(read, "linux.read_firstboot_result")
    assert read.result["data"] == result_file and read.result["ok"] is False


def test_undo_restores_every_file_and_is_idempotent(guest_root):
    originals = file_digests(guest_root, "etc")
    originals = {k: v[0] for k, v in originals.items()}
    put(guest_root, "/etc/lvm/devices/system.devices", "VERSION=1.1.2\n")
    originals["etc/lvm/devices/system.devices"] = file_digests(guest_root, "etc/lvm")[
        "etc/lvm/devices/system.devices"][0]
    for script in ("fstab_uuid.sh", "retain_ip.sh"):
        assert run_linux(script, guest_root).result["ok"]
    fb = load_script("linux/firstboot.sh")
    assert run_linux("install_firstboot.sh", guest_root, {"firstboot_script": fb}).result["ok"]

    keep = run_linux("undo.sh", guest_root)  # without restore_backups: only the first-boot parts go
    assert keep.result["data"]["unit_removed"] is True
    assert (guest_root / "etc/udev/rules.d/70-xtract-persistent-net.rules").exists()

    run = run_linux("undo.sh", guest_root, {"restore_backups": True})
    check_contract(run, "linux.undo")
    assert_like_example(run, "linux.undo")
    after = {k: v[0] for k, v in file_digests(guest_root, "etc").items()}
    assert after == originals
    assert not (guest_root / "var/lib/xtract").exists()
    again = run_linux("undo.sh", guest_root, {"restore_backups": True})
    assert again.result["ok"] and again.result["changed"] is False


def test_remove_vmware_tools_with_nothing_installed(guest_root):
    run = run_linux("remove_vmware_tools.sh", guest_root)
    check_contract(run, "linux.remove_vmware_tools")
    assert_like_example(run, "linux.remove_vmware_tools")
    assert run.result["ok"] and run.result["changed"] is False
