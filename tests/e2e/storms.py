"""Whole journeys under fault storms, for the e2e tests and ``benchmarks/faults.py``.

The lab's peers run in this process, each behind a fault proxy (tests/support/faultproxy.py); the migration is the
real CLI (``xtract-gui run PLAN --until done``) in a child process, run again whenever it ends without every VM
done, as a person would after a clear failure.  Afterwards the peers are read directly (not through the proxies)
for what the journey must leave: byte-identical disks, exactly one AHV VM per VM, no snapshot on the source, no
staging file, no stray image, an empty NFS whitelist; and every run's stderr is checked for a traceback.

- warm: govmomi's vCenter simulator (SOAP and /folder reads), the lab Prism Element, nfs-ganesha (NFS and
  MOUNT), each behind its own proxy;
- cold: the lab's Python source, the lab Prism (streamed images) and the Windows guests' WinRM listeners (guest
  preparation before, the first-boot report after), each behind its own proxy.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.faultproxy import FaultProxy, Storm
from tests.support.plans import in_mode
from xtract_gui.domain.plan import Plan, TransferMode
from xtract_gui.lab.runner import CONTAINER, Lab, verify_disks

ROOT = Path(__file__).resolve().parents[2]
PEERS_WARM = ("vcenter", "prism", "nfs", "mount")
PEERS_COLD = ("prism", "winrm")


@dataclass
class StormResult:
    mode: str
    storms: dict[str, Storm]
    runs: int = 0
    completed: bool = False
    injected: dict[str, collections.Counter[str]] = field(default_factory=dict)
    leftovers: list[str] = field(default_factory=list)  # what the journey left that it should not have
    tracebacks: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # the one-line failures the runs printed

    @property
    def faults(self) -> int:
        return sum(sum(c.values()) for c in self.injected.values())


def _run_cli(plan_path: Path, home: Path, timeout: float) -> tuple[int, str]:
    env = {**os.environ, "XTRACT_GUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "xtract_gui", "--sync-seconds", "1", "--orphan-wait", "5", "run", str(plan_path),
           "--until", "done"]
    try:
        out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:  # the run hung: killed, as a person would; the next run recovers
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return -9, err + "\n(killed after the timeout)"
    return out.returncode, out.stderr


def _jobs(home: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "XTRACT_GUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-m", "xtract_gui", "status", "--json"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    return list(json.loads(out.stdout or "[]"))


def _journey(result: StormResult, lab: Lab, plan: Plan, proxies: dict[str, list[FaultProxy]], home: Path,
             max_runs: int, run_timeout: float) -> None:
    plan_path = home.parent / "plan.json"
    plan_path.write_text(plan.to_json(), encoding="utf-8")
    for peer, storm in result.storms.items():
        for proxy in proxies.get(peer, []):
            proxy.storm = storm
    while result.runs < max_runs and not result.completed:
        result.runs += 1
        code, err = _run_cli(plan_path, home, run_timeout)
        if "Traceback" in err:
            result.tracebacks.append(err[-3000:])
        result.messages += [line for line in err.splitlines() if line.startswith("xtract-gui: ")]
        result.completed = code == 0 and all(j["state"] in ("done", "done_unverified") for j in _jobs(home))
    for peer, group in proxies.items():
        result.injected[peer] = sum((p.injected for p in group), collections.Counter())
        for proxy in group:
            proxy.calm()


def _journey_and_checks(result: StormResult, lab: Lab, plan: Plan, proxies: dict[str, list[FaultProxy]],
                        home: Path, max_runs: int, run_timeout: float) -> None:
    _journey(result, lab, plan, proxies, home, max_runs, run_timeout)
    result.leftovers = _leftovers(lab, plan, home)


def _stop(proxies: dict[str, list[FaultProxy]]) -> None:
    for group in proxies.values():
        for proxy in group:
            proxy.stop()


def _leftovers(lab: Lab, plan: Plan, home: Path) -> list[str]:
    assert lab.prism is not None and lab.endpoints is not None
    out = [f"{vm_id}: {p}" for vm_id, problems in verify_disks(lab, plan).items() for p in problems]
    with lab.prism.state.lock:
        data = lab.prism.state.data
        whitelist = list(data.get("nfs_whitelist") or [])
        vm_names = sorted(v["name"] for v in data["vms"].values())
        images = {i["uuid"]: i["name"] for i in data["images"].values()}
    if whitelist:
        out.append(f"NFS whitelist entries left: {whitelist}")
    if len(vm_names) != len(plan.vms):
        out.append(f"{len(vm_names)} AHV VMs for {len(plan.vms)} migrated: {vm_names}")
    kept: set[str] = set()  # images a job records (cold mode keeps them when no guest reported its first boot)
    from xtract_gui.engine.store import DB_FILE, Store

    db = home / "data" / DB_FILE
    if db.exists():
        store = Store(db)
        try:
            for job in store.jobs():
                kept |= {str(r["target_ref"]) for r in store.disks(job.vm_id).values()}
        finally:
            store.close()
    stray = sorted(name for uuid, name in images.items() if uuid not in kept)
    if stray:
        out.append(f"images nobody records: {stray}")
    staging = lab.endpoints.containers_dir / CONTAINER / "xtract"
    if staging.is_dir() and any(staging.rglob("*.raw")):
        out.append(f"staging files left: {[p.name for p in staging.rglob('*.raw')]}")
    return out


def warm_storm(tmp: Path, storms: dict[str, Storm], *, start_ganesha: Callable[..., Any], seed: int = 1,
               vms: int = 2, max_runs: int = 4, run_timeout: float = 300) -> StormResult:
    """``storms``: peer name (``PEERS_WARM``) -> storm; ``start_ganesha(container=, export_dir=)`` gives a running
    ganesha (the tests' ``ganesha_factory``)."""
    result = StormResult("warm", storms)
    with Lab(tmp / "lab", vms=vms, source="vcsim", workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        nfs = start_ganesha(container=CONTAINER, export_dir=lab.endpoints.containers_dir / CONTAINER)
        base = lab.endpoints.plan
        proxies = {name: [FaultProxy(("127.0.0.1", port), seed=seed * 10 + i, name=name).start()]
                   for i, (name, port) in enumerate((("vcenter", base.source.port), ("prism", base.target.port),
                                                     ("nfs", nfs.nfs_port), ("mount", nfs.mount_port)))}
        try:
            plan = dataclasses.replace(
                base, source=dataclasses.replace(base.source, port=proxies["vcenter"][0].port),
                target=dataclasses.replace(base.target, port=proxies["prism"][0].port, nfs_host="127.0.0.1",
                                           nfs_port=proxies["nfs"][0].port,
                                           nfs_mount_port=proxies["mount"][0].port))
            _journey_and_checks(result, lab, plan, proxies, tmp / "home", max_runs, run_timeout)
        finally:
            _stop(proxies)
    return result


def cold_storm(tmp: Path, storms: dict[str, Storm], *, seed: int = 1, vms: int = 2, max_runs: int = 4,
               run_timeout: float = 300) -> StormResult:
    """``storms``: peer name (``PEERS_COLD``) -> storm."""
    result = StormResult("cold", storms)
    with Lab(tmp / "lab", vms=vms, workload=False) as lab:
        assert lab.endpoints is not None
        base = in_mode(lab.endpoints.plan, TransferMode.COLD)
        proxies: dict[str, list[FaultProxy]] = {
            "prism": [FaultProxy(("127.0.0.1", base.target.port), seed=seed * 10, name="prism").start()], "winrm": []}
        try:
            vm_plans = []
            for i, vm in enumerate(base.vms):
                if vm.guest.winrm_port:
                    proxy = FaultProxy(("127.0.0.1", vm.guest.winrm_port), seed=seed * 10 + 1 + i,
                                       name=f"winrm-{vm.name}").start()
                    proxies["winrm"].append(proxy)
                    vm = dataclasses.replace(vm, guest=dataclasses.replace(vm.guest, winrm_port=proxy.port))
                vm_plans.append(vm)
            plan = dataclasses.replace(base, vms=tuple(vm_plans),
                                       target=dataclasses.replace(base.target, port=proxies["prism"][0].port))
            _journey_and_checks(result, lab, plan, proxies, tmp / "home", max_runs, run_timeout)
        finally:
            _stop(proxies)
    return result
