"""SIGKILL of the CLI in each phase of a migration, then the same command again: it must finish with
byte-exact disks, no stray snapshot on the source and no half-created VM on Prism.

The lab runs in its own process (``xtract-gui lab serve``), as a real vCenter and Prism would keep
running while the laptop's tool crashes.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from xtract_gui.domain.plan import Plan
from xtract_gui.lab.runner import CONTAINER, same_bytes
from xtract_gui.lab.source import LabSource
from xtract_gui.lab.source.container import LocalContainerWriters

pytestmark = [pytest.mark.e2e, pytest.mark.prism, pytest.mark.guest, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Path]:
    state = tmp_path / "lab"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "xtract_gui", "lab", "serve", "--state-dir", str(state),
                             "--vms", "1", "--task-delay", "1.0"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (state / "endpoints.json").exists():
            assert proc.poll() is None and time.monotonic() < deadline, "lab serve did not start"
            time.sleep(0.1)
        yield state
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def _phase(db: Path) -> tuple[str, set[str]]:
    """The job's state and its running steps, read the way a second process would."""
    if not db.exists():
        return "", set()
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            row = con.execute("SELECT state FROM jobs").fetchone()
            running = {r[0] for r in con.execute("SELECT step_id FROM steps WHERE state='running'")}
        finally:
            con.close()
    except sqlite3.Error:
        return "", set()
    return (row[0] if row else ""), running


@pytest.mark.parametrize("phase, step", [("preparing", ""), ("seeding", "seed"), ("syncing", ""),
                                         ("cutting_over", "cutover.create_vm")])
def test_sigkill_in_each_phase_then_restart_finishes(served: Path, tmp_path: Path, phase: str, step: str) -> None:
    plan = Plan.from_json((served / "plan.json").read_text())
    # A slow link keeps the seed going long enough to be killed in the middle of it.
    plan = dataclasses.replace(plan, options=dataclasses.replace(plan.options, bandwidth_limit_mbps=8.0))
    plan_path = tmp_path / "plan.json"
    plan_path.write_text(plan.to_json())
    home = tmp_path / "home"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XTRACT_GUI_HOME": str(home)}
    db = home / "data" / "xtract.sqlite3"
    cmd = [sys.executable, "-m", "xtract_gui", "--sync-seconds", "1", "run", str(plan_path), "--until", "done"]
    first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        state, running = _phase(db)
        if state == phase and (not step or step in running):
            break
        assert first.poll() is None, f"the run ended before reaching {phase} (state {state})"
        assert time.monotonic() < deadline, f"never reached {phase}"
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait(30)

    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-2000:]

    source = LabSource(served)
    vm = plan.vms[0]
    assert source.list_snapshots(vm.vm_id) == []
    assert source.get_vm(vm.vm_id).power_state.value == "off"
    writers = LocalContainerWriters(served / "prism" / "containers", CONTAINER)
    prism = json.loads((served / "prism" / "prism-state.json").read_text())
    names = [v["name"] for v in prism["vms"].values()]
    assert names == [vm.name]
    (made,) = prism["vms"].values()
    vmdisks = sorted(made["disks"], key=lambda d: d["device_index"])
    for disk, vmdisk in zip(source.get_vm(vm.vm_id).disks, vmdisks, strict=True):
        # The AHV VM's own cloned disk is byte-exact; the staging file went after the cutover.
        assert same_bytes(source.live_disk_path(vm.vm_id, disk.key), served / "prism" / vmdisk["vmdisk_path"])
        assert not writers.path(vm.name, disk.key).exists()
    con = sqlite3.connect(db)
    open_intents = con.execute("SELECT action FROM journal WHERE outcome IS NULL").fetchall()
    con.close()
    assert open_intents == []
