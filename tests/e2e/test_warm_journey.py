"""The warm journey on real peers, with deltas that carry data: govmomi's simulator as vCenter (CBT through
its extension, disk reads over /folder), the Prism Element simulator, nfs-ganesha exporting the simulator's
container directory (written through the product's NFSv3 client), the composition root's own wiring
(``build_manager``); then ``xtract-gui status --json`` and ``report`` read the downtime back.

vcsim runs no guest: the test plays the guest by writing blocks into the VMs' flat files, from an event
sink on ``SyncSummary``.  The sink runs on the engine's loop right after a sync removed its snapshot, so
no migration snapshot exists while it writes and the next one cannot start before it returns (vcsim's
CBT records block hashes when a snapshot is taken).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.plan import GuestAccess, GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine.context import Tuning
from xtract_gui.engine.events import Event, SyncSummary
from xtract_gui.lab.runner import CONTAINER, Lab, verify_disks
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.vcsim, pytest.mark.prism, pytest.mark.nfs]

ROOT = Path(__file__).resolve().parents[2]
BLOCK = 64 * 1024


class Guest:
    """Writes a few 64 KiB blocks into every disk of a VM after its seed and after its sync 1, and remembers how many.

    Only into the VM whose sync just ended: the other VM may be in the middle of a sync (its snapshot then holds
    the disk, and its base file is the frozen one)."""

    def __init__(self, lab: Lab, capacities: dict[tuple[str, int], int]) -> None:
        self.lab, self.capacities = lab, capacities
        self.rng = random.Random(5)
        self.written: dict[tuple[str, int], int] = {}  # (VM, after sync n): bytes written

    def __call__(self, event: Event) -> None:
        if not isinstance(event, SyncSummary) or event.sync_number not in (0, 1) \
                or (event.vm_id, event.sync_number) in self.written:
            return
        total = 0
        for (vm_id, key), capacity in self.capacities.items():
            if vm_id != event.vm_id:
                continue
            with open(self.lab.source_disk_file(vm_id, key), "r+b") as f:
                for _ in range(6):
                    f.seek(self.rng.randrange(0, capacity // BLOCK) * BLOCK)
                    f.write(self.rng.randbytes(BLOCK))
                    total += BLOCK
        self.written[(event.vm_id, event.sync_number)] = total


def test_warm_journey_vcsim_prism_nfs_with_data_in_the_deltas(tmp_path: Path, ganesha_factory: Any) -> None:
    home = tmp_path / "home"
    with Lab(tmp_path / "lab", vms=2, source="vcsim", workload=False) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        nfs = ganesha_factory(container=CONTAINER, export_dir=lab.endpoints.containers_dir / CONTAINER)
        base = lab.endpoints.plan
        plan = dataclasses.replace(
            base, target=dataclasses.replace(base.target, nfs_host="127.0.0.1", nfs_port=nfs.nfs_port,
                                             nfs_mount_port=nfs.mount_port),
            vms=tuple(dataclasses.replace(v, guest=GuestAccess(channel=GuestChannelKind.NONE)) for v in base.vms))
        capacities = {(vm.vm_id, d.key): d.capacity_bytes for vm in lab.inventory().vms for d in vm.disks}
        guest = Guest(lab, capacities)
        manager = build_manager(secrets=lab.endpoints.secrets, state_dir=home,
                                tuning=Tuning(sync_interval_seconds=0.5, checkpoint_seconds=0.2))
        manager.subscribe(guest)
        ids = [v.vm_id for v in plan.vms]

        async def go() -> None:
            try:
                await manager.start(plan)
                snaps = await manager.wait(ids, lambda s: s.sync_count >= 2 or s.state.terminal
                                           or s.state is JobState.FAILED)
                assert all(s.ready_for_cutover for s in snaps), [(s.state, s.error) for s in snaps]
                with lab.prism.state.lock:  # type: ignore[union-attr]
                    assert lab.prism.state.data["nfs_whitelist"] == ["127.0.0.1/255.255.255.255"]  # type: ignore[union-attr]
                await manager.cutover(ids, requested_by="warm-e2e")
                snaps = await manager.wait(ids, lambda s: s.state.terminal or s.state in
                                           (JobState.FAILED, JobState.ROLLED_BACK))
                assert [s.state.is_done for s in snaps] == [True] * len(ids), [s.error for s in snaps]
                for vm_id in ids:
                    syncs = {int(r["n"]): int(r["bytes"]) for r in manager.store.syncs(vm_id)}
                    # The deltas after the guest wrote carried data: at least its blocks, at most a
                    # fraction of the disk (not a full copy).
                    disk_bytes = sum(c for (v, _), c in capacities.items() if v == vm_id)
                    for n in (1, 2):
                        assert 6 * BLOCK <= syncs[n] < disk_bytes // 4, (vm_id, syncs)
            finally:
                await manager.close()

        asyncio.run(asyncio.wait_for(go(), 300))
        assert {n for _, n in guest.written} == {0, 1} and len(guest.written) == 4
        with lab.prism.state.lock:
            assert lab.prism.state.data["nfs_whitelist"] == []
            names = sorted(v["name"] for v in lab.prism.state.data["vms"].values())
        assert names == sorted(v.name for v in plan.vms)
        # Byte-exact against the AHV VMs' own cloned disks, sources off, no snapshots, staging files gone;
        # the NFS writer removed each VM's whole staging folder over NFS.
        assert verify_disks(lab, plan) == {vm_id: [] for vm_id in ids}
        assert [p.name for p in (lab.endpoints.containers_dir / CONTAINER / "xtract").iterdir()] == []

    env = {**os.environ, "XTRACT_GUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    status = subprocess.run([sys.executable, "-m", "xtract_gui", "status", "--json"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    jobs = json.loads(status.stdout)
    assert [j["state"] for j in jobs] == ["done_unverified"] * 2  # no guest channel (issue 15.4)
    assert all(0 < j["downtime_seconds"] < 120 for j in jobs), jobs
    report = tmp_path / "report.html"
    subprocess.run([sys.executable, "-m", "xtract_gui", "report", "--html", str(report)], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=60)
    html = report.read_text()
    assert "warm-e2e" in html and html.count("downtime") >= 2
