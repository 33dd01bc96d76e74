"""The VMware Tools channel with pyVmomi against govmomi's simulator (xtract_gui/lab/vcsim/go/guestops.go).

The simulator runs guest programs for real, chrooted into a directory standing for the guest's root.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim

from xtract_gui.domain.errors import (
    AuthenticationError,
    CancelledError,
    CertificateMismatchError,
    ConnectionFailedError,
    GuestError,
    NotFoundError,
    PermissionDeniedError,
    UnsupportedError,
)
from xtract_gui.domain.guest_tasks import GuestPhase, GuestTask, tasks_for
from xtract_gui.domain.inventory import OsFamily
from xtract_gui.engine.ports import GuestTarget
from xtract_gui.engine.prep import run_sequence
from xtract_gui.esxi_address import host_address
from xtract_gui.guest import GuestChannels, VmToolsChannelFactory
from xtract_gui.guest.scripts import REFUSED
from xtract_gui.guest.vmtools_channel import pem_fingerprint
from xtract_gui.lab.vcsim import start_vcsim
from xtract_gui.resources import load_manifest
from xtract_gui.tlspin import read_peer_fingerprint

pytestmark = [pytest.mark.guest, pytest.mark.vcsim]

GUEST_USER, GUEST_PASSWORD = "root", "vmware"  # guestops.go's defaults


@dataclass
class GuestOpsLab:
    si: Any
    root: Path  # the guest's "/" on this machine
    base_url: str
    vms: dict[str, Any]  # "linux", "windows", "unready" -> vim.VirtualMachine

    def target(self, kind: str = "linux", **changes: Any) -> GuestTarget:
        vm = self.vms[kind]
        target = GuestTarget(vm_id=vm._moId, os_family="windows" if kind == "windows" else "linux",
                             channel="vmtools", host=vm._moId, user=GUEST_USER, password=GUEST_PASSWORD)
        return replace(target, **changes)

    def control(self, vm_id: str, query: str) -> None:
        req = urllib.request.Request(f"{self.base_url}/xtract/guestops?vm={vm_id}&{query}", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def set_ready(self, vm_id: str, ready: bool) -> None:
        self.control(vm_id, f"ready={str(ready).lower()}")

    def status(self) -> dict[str, str]:
        with urllib.request.urlopen(f"{self.base_url}/xtract/guestops", timeout=10) as resp:
            data: dict[str, str] = json.loads(resp.read())
        return data

    def host_certificate(self, kind: str, mode: str) -> None:
        """What vCenter lists as the certificate of the host running that VM: transfer|other|none."""
        host = self.vms[kind].runtime.host._moId
        req = urllib.request.Request(f"{self.base_url}/xtract/guestops?host={host}&certificate={mode}", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200


@pytest.fixture
def guestops(vcsim_factory: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GuestOpsLab]:
    root = tmp_path / "guest-root"
    root.mkdir()
    monkeypatch.setenv("XTRACT_VCSIM_GUEST_ROOT", str(root))
    sim = vcsim_factory(tls=False)
    si = SmartConnect(host=sim.host, port=sim.port, user=sim.user, pwd=sim.password, protocol="http")
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
    vms: dict[str, Any] = {}
    for vm in sorted(view.view, key=lambda v: v.name):
        if not vm.guest.guestOperationsReady:
            vms.setdefault("unready", vm)
        elif vm.guest.guestFamily == "linuxGuest":
            vms.setdefault("linux", vm)
        elif vm.guest.guestFamily == "windowsGuest":
            vms.setdefault("windows", vm)
    view.DestroyView()
    assert {"linux", "windows", "unready"} <= set(vms)
    yield GuestOpsLab(si=si, root=root, base_url=sim.base_url, vms=vms)
    Disconnect(si)


def factory(lab: GuestOpsLab) -> VmToolsChannelFactory:
    return VmToolsChannelFactory(lambda: lab.si, poll_interval=0.1)


def task(task_id: str = "linux.lab_probe", **changes: Any) -> GuestTask:
    base = GuestTask(id=task_id, title="Probe", os_family=OsFamily.LINUX, phase=GuestPhase.PREP, order=1,
                     script="linux/lab_probe.sh")
    return replace(base, **changes)


PROBE = r"""#!/bin/bash
params=$(cat "$1"); rm -f "$1"
mkdir -p /var/lib/xtract && echo "$params" > /var/lib/xtract/seen.json
echo "working in $(pwd)" >&2
printf '{"task":"linux.lab_probe","ok":true,"changed":true,"message":"done","warnings":[],'
printf '"data":{"params":%s}}\n' "$params"
"""


def test_uploads_runs_bash_for_real_and_downloads_output(guestops: GuestOpsLab) -> None:
    channel = GuestChannels(vmtools=factory(guestops)).open(guestops.target())
    try:
        result = channel.run_task(task(), PROBE, {"answer": 42}, timeout=60)
    finally:
        channel.close()
    assert result.exit_code == 0 and result.ok
    assert result.result["data"]["params"] == {"answer": 42, "task": "linux.lab_probe"}
    assert result.stderr.startswith("working in /tmp/xtract.")
    assert json.loads((guestops.root / "var/lib/xtract/seen.json").read_text())["answer"] == 42
    assert not list((guestops.root / "tmp").glob("xtract.*"))  # per-run folder removed


def test_exit_code_and_missing_result_line(guestops: GuestOpsLab) -> None:
    channel = factory(guestops).open(guestops.target())
    try:
        result = channel.run_task(task(), "echo no json here\nexit 3\n", {}, timeout=60)
    finally:
        channel.close()
    assert result.exit_code == 3 and not result.ok
    assert result.stdout == "no json here\n" and result.result == {}


def test_the_real_check_root_script_runs_in_the_guest(guestops: GuestOpsLab) -> None:
    (guestops.root / "etc").mkdir()
    (guestops.root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12"\n')
    check_root = next(t for t in tasks_for(load_manifest(), OsFamily.LINUX, GuestPhase.PREP)
                      if t.id == "linux.check_root")
    channel = factory(guestops).open(guestops.target())
    try:
        report = asyncio.run(run_sequence(channel, [check_root], {}))
    finally:
        channel.close()
    outcome = report.outcomes[0]
    assert outcome.result is not None, outcome.error
    assert outcome.result.result.get("task") == "linux.check_root", (outcome.result.stdout, outcome.result.stderr)
    assert outcome.result.result["data"]["uid"] == 0
    assert outcome.result.result["data"]["os_id"] == "debian"


def test_put_and_get_file(guestops: GuestOpsLab) -> None:
    channel = factory(guestops).open(guestops.target())
    try:
        channel.put_file(b"\x00payload\xff" * 1000, "/opt/xtract/pkg/blob.bin")
        assert channel.get_file("/opt/xtract/pkg/blob.bin") == b"\x00payload\xff" * 1000
        with pytest.raises(NotFoundError, match="/opt/xtract/nothing"):
            channel.get_file("/opt/xtract/nothing")
    finally:
        channel.close()
    assert (guestops.root / "opt/xtract/pkg/blob.bin").stat().st_size == 9_000


def test_transfers_reach_the_host_by_its_management_ip_not_its_inventory_name(guestops: GuestOpsLab) -> None:
    vm = guestops.vms["linux"]
    (guestops.root / "tmp" / "hello.txt").write_text("hi")
    fm = guestops.si.content.guestOperationsManager.fileManager
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    url = fm.InitiateFileTransferFromGuest(vm=vm, auth=auth, guestFilePath="/tmp/hello.txt").url
    # vCenter names the ESXi host as it was added ("DC0_C0_H1"); this computer cannot resolve that.
    assert urllib.parse.urlsplit(url).netloc.split(":")[0] == vm.runtime.host.name
    channel = factory(guestops).open(guestops.target())
    try:
        assert channel.get_file("/tmp/hello.txt") == b"hi"
    finally:
        channel.close()


def test_several_management_ips_keep_the_name_one_is_used() -> None:
    def nic(key: str, ip: str) -> Any:
        return SimpleNamespace(key=key, spec=SimpleNamespace(ip=SimpleNamespace(ipAddress=ip)))

    one = [SimpleNamespace(nicType="management", selectedVnic=["k0"], candidateVnic=[nic("k0", "10.1.1.5"),
                                                                                    nic("k1", "10.9.9.9")]),
           SimpleNamespace(nicType="vmotion", selectedVnic=["k2"], candidateVnic=[nic("k2", "10.2.2.2")])]
    assert host_address("esx01", one) == "10.1.1.5"
    two = [SimpleNamespace(nicType="management", selectedVnic=["k0", "k1"],
                           candidateVnic=[nic("k0", "10.1.1.5"), nic("k1", "192.168.1.5")])]
    assert host_address("esx01", two) == "esx01"  # which one routes from here is unknown
    assert host_address("esx01", []) == "esx01"


def test_guest_operations_not_ready_is_a_clear_error(guestops: GuestOpsLab) -> None:
    with pytest.raises(GuestError, match="not ready") as info:
        factory(guestops).open(guestops.target("unready"))
    assert "VMware Tools" in str(info.value) and "Running" in str(info.value)
    channel = factory(guestops).open(guestops.target())
    guestops.set_ready(guestops.vms["linux"]._moId, False)  # tools stopped after the channel opened
    try:
        with pytest.raises(GuestError, match="not available"):
            channel.run_task(task(), PROBE, {}, timeout=30)
    finally:
        channel.close()


@pytest.mark.parametrize(("fault", "error", "words"), [
    ("GuestComponentsOutOfDate", UnsupportedError, "Upgrade VMware Tools"),
    ("GuestPermissionDenied", PermissionDeniedError, "administrator (Windows) or root (Linux)"),
])
def test_guest_faults_become_errors_that_say_what_to_do(guestops: GuestOpsLab, fault: str, error: type,
                                                        words: str) -> None:
    channel = factory(guestops).open(guestops.target())
    guestops.control(guestops.vms["linux"]._moId, f"fault={fault}")
    try:
        with pytest.raises(error, match=re.escape(words)) as info:
            channel.run_task(task(), PROBE, {}, timeout=30)
    finally:
        channel.close()
    assert fault in info.value.detail  # the vSphere fault name stays in the log detail


def test_wrong_guest_password_is_an_authentication_error(guestops: GuestOpsLab) -> None:
    channel = factory(guestops).open(guestops.target(password="Not-It-123"))
    try:
        with pytest.raises(AuthenticationError) as info:
            channel.run_task(task(), PROBE, {}, timeout=30)
    finally:
        channel.close()
    assert "Not-It-123" not in f"{info.value} {info.value.detail}"


def test_one_guest_operation_at_a_time_per_vm(guestops: GuestOpsLab) -> None:
    script = ("n=$(cat \"$1\" | sed 's/.*\"n\": \\([0-9]*\\).*/\\1/'); rm -f \"$1\"\n"
              "echo \"start $n\" >> /var/tmp/order.log; sleep 0.4; echo \"end $n\" >> /var/tmp/order.log\n")
    (guestops.root / "var/tmp").mkdir(parents=True)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        channel = factory(guestops).open(guestops.target())  # separate channels, same VM
        try:
            assert channel.run_task(task(), script, {"n": n}, timeout=60).exit_code == 0
        except BaseException as exc:  # reported below, from the main thread
            errors.append(exc)
        finally:
            channel.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    lines = (guestops.root / "var/tmp/order.log").read_text().split("\n")[:-1]
    assert len(lines) == 6
    for i in range(0, 6, 2):  # every start is followed by its own end: no run overlapped another
        assert lines[i].replace("start", "end") == lines[i + 1]


def _cancel_when(path: Path, cancel: threading.Event) -> threading.Thread:
    def watch() -> None:
        while not cancel.is_set():
            if path.exists():
                cancel.set()
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    return watcher


def test_cancel_kills_the_guest_process(guestops: GuestOpsLab) -> None:
    cancel = threading.Event()
    (guestops.root / "var/tmp").mkdir(parents=True)
    _cancel_when(guestops.root / "var/tmp/started", cancel)
    channel = factory(guestops).open(guestops.target())
    try:
        with pytest.raises(CancelledError):
            channel.run_task(task(), "touch /var/tmp/started; sleep 30; touch /var/tmp/finished", {}, timeout=120,
                             cancel=cancel)
    finally:
        cancel.set()
        channel.close()
    pm = guestops.si.content.guestOperationsManager.processManager
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    deadline = time.monotonic() + 20
    while any(p.endTime is None for p in pm.ListProcessesInGuest(guestops.vms["linux"], auth)):
        assert time.monotonic() < deadline, "the cancelled guest process is still running"
        time.sleep(0.1)
    assert not (guestops.root / "var/tmp/finished").exists()
    assert not list((guestops.root / "tmp").glob("xtract.*"))


def test_timeout_stops_the_guest_process(guestops: GuestOpsLab) -> None:
    channel = factory(guestops).open(guestops.target())
    try:
        with pytest.raises(GuestError, match="timed out"):
            channel.run_task(task(), "sleep 30", {}, timeout=1)
    finally:
        channel.close()


def test_windows_run_folder_is_made_by_the_folder_rules_before_anything_else(guestops: GuestOpsLab) -> None:
    channel = factory(guestops).open(guestops.target("windows"))
    try:
        with pytest.raises(GuestError, match="exit code 9009"):  # the simulator cannot run Windows programs
            channel.run_task(task("win.lab_probe", os_family=OsFamily.WINDOWS, script="windows/p.ps1"),
                             "Write-Output 1", {}, timeout=30)
    finally:
        channel.close()
    pm = guestops.si.content.guestOperationsManager.processManager
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    (proc,) = pm.ListProcessesInGuest(guestops.vms["windows"], auth)  # only the folder command ran
    assert proc.cmdLine.startswith("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe -NoProfile")
    script = base64.b64decode(proc.cmdLine.split("-EncodedCommand ", 1)[1]).decode("utf-16-le")
    assert "function Initialize-XtractFolder" in script and "-Fresh" in script
    assert "C:\\Windows\\Temp\\xtract\\" in script
    assert not (guestops.root / "C/Windows/Temp/xtract").exists() or \
        list((guestops.root / "C/Windows/Temp/xtract").iterdir()) == []


def test_a_parent_planted_by_an_unprivileged_account_is_refused_and_nothing_runs(guestops: GuestOpsLab) -> None:
    """Issue 21.1: a local user who made /tmp/xtract first could rename the run folder, plant the script
    and symlink the output file; the run refuses before anything is uploaded, and only the check ran."""
    planted = guestops.root / "tmp/xtract"
    planted.mkdir(parents=True, exist_ok=True)
    os.chown(planted, 1000, 1000)
    planted.chmod(0o777)
    marker = guestops.root / "var/lib/xtract/seen.json"
    marker.unlink(missing_ok=True)
    planted_factory = VmToolsChannelFactory(lambda: guestops.si, poll_interval=0.1, run_parent="/tmp/xtract")
    channel = GuestChannels(vmtools=planted_factory).open(guestops.target())
    try:
        with pytest.raises(PermissionDeniedError, match="Nothing was uploaded or run"):
            channel.run_task(task(), PROBE, {"answer": 42}, timeout=60)
    finally:
        channel.close()
    assert list(planted.iterdir()) == [] and not marker.exists()
    pm = guestops.si.content.guestOperationsManager.processManager
    auth = vim.vm.guest.NamePasswordAuthentication(username=GUEST_USER, password=GUEST_PASSWORD)
    (proc,) = pm.ListProcessesInGuest(guestops.vms["linux"], auth)
    assert "xtract_path_safe" in proc.cmdLine and proc.exitCode == REFUSED
    planted.chmod(0o700)
    os.chown(planted, 0, 0)  # the same folder, root's and private: runs go on
    channel = GuestChannels(vmtools=planted_factory).open(guestops.target())
    try:
        assert channel.run_task(task(), PROBE, {"answer": 42}, timeout=60).ok
    finally:
        channel.close()


def test_secret_params_are_masked_in_output_and_logs(guestops: GuestOpsLab, caplog: pytest.LogCaptureFixture
                                                     ) -> None:
    caplog.set_level(logging.DEBUG)
    secret_task = task(secret_params=("password",), params=("password",))
    channel = factory(guestops).open(guestops.target())
    try:
        result = channel.run_task(secret_task, 'cat "$1"; rm -f "$1"', {"password": "Sup3r-S3cret"}, timeout=30)
    finally:
        channel.close()
    assert "********" in result.stdout and "Sup3r-S3cret" not in result.stdout
    assert "vmtools" in caplog.text
    assert "Sup3r-S3cret" not in caplog.text and GUEST_PASSWORD not in caplog.text


# -- ESXi transfer certificates (pinned from HostSystem.config.certificate) ---------------------------

def test_transfers_accept_exactly_the_host_certificate_vcenter_lists(guestops: GuestOpsLab) -> None:
    host, port = guestops.status()["transfer"].rsplit(":", 1)
    presented = read_peer_fingerprint(host, int(port))
    listed = bytes(b & 0xFF for b in guestops.vms["linux"].runtime.host.config.certificate)
    assert listed.startswith(b"-----BEGIN CERTIFICATE-----")
    channel = factory(guestops).open(guestops.target())
    try:
        channel.put_file(b"pinned", "/opt/pin/a.txt")
        assert channel.get_file("/opt/pin/a.txt") == b"pinned"
    finally:
        channel.close()
    # The listener's certificate is self-signed: checking it against trusted CAs (the old default) fails.
    ca_checked = VmToolsChannelFactory(lambda: guestops.si, transfer_verify=True).open(guestops.target())
    try:
        with pytest.raises(ConnectionFailedError) as info:
            ca_checked.put_file(b"x", "/opt/pin/b.txt")
    finally:
        ca_checked.close()
    assert not isinstance(info.value, CertificateMismatchError)
    assert pem_fingerprint(listed) == presented  # what was pinned is what the listener presents
    assert not (guestops.root / "opt/pin/b.txt").exists()


def test_a_host_presenting_another_certificate_is_refused(guestops: GuestOpsLab) -> None:
    guestops.host_certificate("linux", "other")
    host, port = guestops.status()["transfer"].rsplit(":", 1)
    channel = factory(guestops).open(guestops.target())
    try:
        with pytest.raises(CertificateMismatchError, match="not the one vCenter lists") as info:
            channel.put_file(b"secret-ish", "/opt/pin/c.txt")
    finally:
        channel.close()
    assert info.value.actual == read_peer_fingerprint(host, int(port))
    assert info.value.expected and info.value.expected != info.value.actual
    assert "refresh it in vCenter" in info.value.hint
    assert not (guestops.root / "opt/pin/c.txt").exists()


def test_a_host_without_a_certificate_in_vcenter_is_a_clear_error(guestops: GuestOpsLab) -> None:
    guestops.host_certificate("linux", "none")
    channel = factory(guestops).open(guestops.target())
    try:
        with pytest.raises(ConnectionFailedError, match="vCenter has no certificate for ESXi host") as info:
            channel.run_task(task(), PROBE, {}, timeout=30)
    finally:
        channel.close()
    assert "WinRM" in info.value.hint and "certificate" in info.value.hint
    assert not any(p.is_file() for p in (guestops.root / "tmp").glob("xtract.*/*"))  # nothing uploaded unverified


def test_unverified_transfers_are_not_an_option(guestops: GuestOpsLab) -> None:
    with pytest.raises(ValueError, match="never made unverified"):
        VmToolsChannelFactory(lambda: guestops.si, transfer_verify=False)


# -- the simulator's own temp guest root --------------------------------------------------------------

@pytest.mark.parametrize("how", ["sigterm", "stdin-closed"])
def test_the_simulator_removes_the_guest_root_it_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        how: str) -> None:
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.delenv("XTRACT_VCSIM_GUEST_ROOT", raising=False)
    monkeypatch.setenv("TMPDIR", str(tmpdir))  # where Go's os.MkdirTemp puts the fallback root
    sim = start_vcsim(tls=False, vms=1, log_dir=tmp_path)
    try:
        with urllib.request.urlopen(f"{sim.base_url}/xtract/guestops", timeout=10) as resp:
            root = Path(json.loads(resp.read())["root"])
        assert root.parent == tmpdir and root.name.startswith("xtract-vcsim-guest-") and root.is_dir()
        if how == "stdin-closed":  # the test process died: the simulator sees its stdin close
            assert sim.process.stdin is not None
            sim.process.stdin.close()
            sim.process.wait(timeout=30)
    finally:
        sim.stop()
    assert sim.process.returncode is not None
    assert not root.exists()
    assert [p.name for p in tmpdir.iterdir() if p.name.startswith("xtract-vcsim-guest-")] == []


def test_the_fixture_puts_the_guest_root_under_tmp_path(vcsim_factory: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XTRACT_VCSIM_GUEST_ROOT", raising=False)
    sim = vcsim_factory(tls=False, vms=1)
    with urllib.request.urlopen(f"{sim.base_url}/xtract/guestops", timeout=10) as resp:
        root = Path(json.loads(resp.read())["root"])
    # Under tmp_path, so even a SIGKILLed simulator leaves its root where pytest cleans up.
    assert root.parent == tmp_path and root.is_dir()
