"""``xtract-gui check-folder``: the first thing to run at a new customer.

Warm migration reads a running VM's base disk while our snapshot holds it open read-only.  No public
source says whether vCenter's ``/folder`` (session cookie) and an ESXi host's ``/folder`` (service ticket)
serve that file then, or refuse it because the VM's process has it open.  This command answers it for one
VM of this customer's vSphere: it takes a snapshot, reads one range of the base flat file both ways,
compares what came back, removes the snapshot, and prints what it saw.  Nothing else is changed.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
import sys
import time
from dataclasses import asdict, dataclass
from typing import Any

from ..domain.errors import XtractError
from .connect import connect_vsphere
from .platform import VSphereSource

MiB = 1024 * 1024


@dataclass
class PathResult:
    path: str  # "vCenter" | "ESXi"
    server: str  # base URL the bytes came from
    ok: bool
    length: int = 0
    sha256: str = ""
    seconds: float = 0.0
    error: str = ""


@dataclass
class CheckResult:
    vm: str
    vm_id: str
    powered_on: bool
    disk: str
    offset: int
    length: int
    snapshot: str
    paths: list[PathResult]
    verdict: str
    ok: bool


def _read(path: str, open_reader: Any, offset: int, length: int) -> PathResult:
    started = time.perf_counter()
    reader = None
    try:
        reader = open_reader()
        server = reader.files.base_url
        data = bytes(reader.read(offset, length))
        return PathResult(path, server, True, len(data), hashlib.sha256(data).hexdigest(),
                          time.perf_counter() - started)
    except XtractError as exc:
        return PathResult(path, getattr(getattr(reader, "files", None), "base_url", ""), False,
                          seconds=time.perf_counter() - started, error=str(exc))
    finally:
        if reader is not None:
            reader.close()


def check(source: VSphereSource, vm_name: str, *, offset: int = 0, length: int = MiB,
          esxi_base: str | None = None) -> CheckResult:
    """Snapshot the VM, read ``length`` bytes at ``offset`` of its first disk through vCenter and through the
    ESXi host (``esxi_base``: its https base URL; default https://<management address>), remove the snapshot."""
    vm = next((v for v in source.inventory().vms if v.name == vm_name), None)
    if vm is None or not vm.disks:
        raise XtractError(f"vCenter has no VM named {vm_name!r} with a disk.", hint="Check the name (case matters).")
    key = vm.disks[0].key
    snap = source.create_snapshot(vm.vm_id, f"xtract-foldercheck-{int(time.time())}",
                                  description="xtract-gui check-folder: removed right away.")
    asked: list[str] = []

    def esxi(address: str) -> str:
        asked.append(address)
        return esxi_base or f"https://{address}"

    try:
        length = max(0, min(length, vm.disks[0].capacity_bytes - offset))
        paths = [_read("vCenter", lambda: source.open_disk_reader(vm.vm_id, snap.snapshot_id, key, host_access=None),
                       offset, length)]
        direct = _read("ESXi", lambda: source.open_disk_reader(vm.vm_id, snap.snapshot_id, key, host_access=esxi),
                       offset, length)
        if not asked:  # the reader fell back to vCenter: no ESXi host was named
            direct = PathResult("ESXi", "", False, error="vCenter names no ESXi host running the VM.")
        paths.append(direct)
    finally:
        source.remove_snapshot(vm.vm_id, snap.snapshot_id)
    ok = all(p.ok for p in paths) and len({p.sha256 for p in paths}) == 1
    if ok:
        verdict = ("Both paths serve the base disk of this running VM while our snapshot holds it, byte for byte "
                   "the same: warm migration can read it either way.")
    elif any(p.ok for p in paths):
        good = next(p.path for p in paths if p.ok)
        verdict = (f"Only the {good} path served the disk: warm migration must read through {good} "
                   "(see the error of the other path)." if not all(p.ok for p in paths) else
                   "The two paths returned different bytes: do not migrate until this is understood.")
    else:
        verdict = ("Neither path serves the base disk of a running VM here: warm migration cannot read it; use cold "
                   "mode (the VM is shut down first).")
    return CheckResult(vm=vm.name, vm_id=vm.vm_id, powered_on=vm.power_state.value == "on",
                       disk=vm.disks[0].backing_file, offset=offset, length=length, snapshot=snap.snapshot_id,
                       paths=paths, verdict=verdict, ok=ok)


def run(args: argparse.Namespace) -> int:
    """The command (arguments defined in cli.py): exit 0 when both paths served the same bytes."""
    password = getpass.getpass(f"vCenter password for {args.user}: ") if sys.stdin.isatty() \
        else sys.stdin.readline().rstrip("\n")
    source = connect_vsphere(args.vcenter, args.user, password, port=args.port, protocol=args.protocol,
                             expected_fingerprint=args.fingerprint, host_access=None, keepalive=0)
    try:
        result = check(source, args.vm, offset=args.offset, length=args.length, esxi_base=args.esxi)
    finally:
        source.close()
    if args.json:
        print(json.dumps(asdict(result), indent=2))
        return 0 if result.ok else 1
    power = "powered on" if result.powered_on else \
        "NOT powered on: the question is about a running VM, power it on and run this again"
    print(f"VM {result.vm} ({result.vm_id}), {power}")
    print(f"disk {result.disk}, bytes {result.offset}..{result.offset + result.length} "
          f"while snapshot {result.snapshot} held it (removed again)")
    for p in result.paths:
        seen = f"{p.length} bytes, sha256 {p.sha256[:16]}…, {p.seconds:.2f} s" if p.ok else f"FAILED: {p.error}"
        print(f"  via {p.path:<8} {p.server or '-':<40} {seen}")
    print(result.verdict)
    return 0 if result.ok else 1
