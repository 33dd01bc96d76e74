"""``run`` keeps syncing until the VMs are cut over, from another shell; one process drives a job and a second one
says who does; ``status --json`` from another shell sees live figures; an edited plan is taken over where that is
safe; a failed cutover says why on stderr and names VMs by name."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import ROOT, _plan_file, cli, env  # noqa: F401 - fixture
from tests.support.faultproxy import FaultProxy, Rule
from xtract_gui.domain.plan import GuestAccess, GuestChannelKind, Plan
from xtract_gui.lab.runner import Lab

pytestmark = [pytest.mark.prism, pytest.mark.e2e]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab(tmp_path / "lab", vms=2, workload=False) as lab:
        yield lab


def _linux_plan(lab: Lab) -> Plan:
    """The lab's Linux VM alone, without a guest channel: the quickest whole journey."""
    assert lab.endpoints is not None
    plan = lab.endpoints.plan
    vm = replace(next(v for v in plan.vms if v.name == "lab-lin-02"), guest=GuestAccess(channel=GuestChannelKind.NONE))
    return replace(plan, vms=(vm,))


def _job(environ: dict[str, str]) -> dict[str, Any]:
    """The job's row as another process reads it (no lock, read-only)."""
    db = Path(environ["XTRACT_GUI_HOME"]) / "data" / "xtract.sqlite3"
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=2)
        try:
            row = con.execute("SELECT state, data FROM jobs").fetchone()
        finally:
            con.close()
    except sqlite3.Error:
        return {}
    return {"state": row[0], **json.loads(row[1])} if row else {}


def _until(check: Callable[[], bool], proc: subprocess.Popen[str], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"run ended ({proc.returncode}) before {what}: {(out or '')[-2000:]}"
                                 f"{(err or '')[-2000:]}")
        assert time.monotonic() < deadline, f"no {what} in {timeout} s"
        time.sleep(0.3)


def test_run_keeps_syncing_until_a_cutover_from_another_shell(tmp_path: Path, env: dict[str, str],  # noqa: F811
                                                              lab: Lab) -> None:
    plan_path = _plan_file(tmp_path, _linux_plan(lab))
    run = subprocess.Popen([sys.executable, "-m", "xtract_gui", "--sync-seconds", "1", "run", plan_path], cwd=ROOT,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _until(lambda: int(_job(env).get("sync_count", -1)) >= 2, run, "two delta syncs after the seed")
        status = json.loads(cli("status", "--json", env=env).stdout)
        assert status[0]["ready_for_cutover"] and status[0]["sync_count"] >= 2, status

        second = cli("run", plan_path, env=env)  # the same jobs from a second shell
        assert second.returncode == 1
        assert "another xtract-gui process" in second.stderr and f"pid {run.pid}" in second.stderr, second.stderr

        cut = cli("cutover", "lab-lin-02", env=env, timeout=180)
        assert cut.returncode == 0, cut.stdout[-2000:] + cut.stderr
        assert "lab-lin-02" in cut.stdout and "vm-1002" not in cut.stdout
        out, err = run.communicate(timeout=120)
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()
    assert run.returncode == 0, out[-2000:] + err
    assert "Traceback" not in err
    assert _job(env)["state"] == "done_unverified"  # no guest channel: nobody saw it boot (issue 15.4)


def test_a_progress_figure_reaches_another_process_while_it_copies(tmp_path: Path, env: dict[str, str],  # noqa: F811
                                                                   lab: Lab) -> None:
    plan = _linux_plan(lab)
    plan = replace(plan, options=replace(plan.options, bandwidth_limit_mbps=2.0))  # a seed that takes seconds
    run = subprocess.Popen([sys.executable, "-m", "xtract_gui", "--sync-seconds", "60", "run",
                            _plan_file(tmp_path, plan), "--until", "ready"], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        seen: list[tuple[int, int]] = []

        def copying() -> bool:
            if _job(env).get("state") != "seeding":
                return False
            status = json.loads(cli("status", "--json", env=env).stdout or "[]")
            seen.append((status[0]["done_bytes"], status[0]["total_bytes"]) if status else (0, 0))
            return 0 < seen[-1][0] < seen[-1][1]

        _until(copying, run, "a seed figure between 0 and the total")
        _, err = run.communicate(timeout=180)
        assert run.returncode == 0, err
    finally:
        if run.poll() is None:
            run.kill()
            run.communicate()


def test_an_edited_plan_is_taken_over_where_safe_and_refused_by_name(
        tmp_path: Path, env: dict[str, str], lab: Lab, fault_proxy: Callable[..., FaultProxy]) -> None:  # noqa: F811
    assert lab.endpoints is not None
    plan = _linux_plan(lab)
    out = cli("--sync-seconds", "1", "run", _plan_file(tmp_path, plan), "--until", "ready", env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    renamed = replace(plan, vms=(replace(plan.vms[0], target_name="db-new"),))
    out = cli("run", _plan_file(tmp_path, renamed, "renamed.json"), "--until", "ready", env=env)
    assert out.returncode == 2
    assert "vms[lab-lin-02].target_name" in out.stderr and "Traceback" not in out.stderr, out.stderr

    proxy = fault_proxy(lab.endpoints.prism_port)  # Prism "moved": the plan file names its new port
    moved = replace(plan, target=replace(plan.target, port=proxy.port))
    out = cli("--sync-seconds", "1", "run", _plan_file(tmp_path, moved, "moved.json"), "--until", "ready", env=env,
              timeout=180)
    assert out.returncode == 0, out.stderr
    assert "taken over from the plan file: target.port" in out.stderr
    assert proxy.connections > 0  # the jobs went on through the new port


def test_a_failed_cutover_says_why_on_stderr(tmp_path: Path, env: dict[str, str], lab: Lab) -> None:  # noqa: F811
    assert lab.prism is not None
    out = cli("--sync-seconds", "1", "run", _plan_file(tmp_path, _linux_plan(lab)), "--until", "ready", env=env,
              timeout=180)
    assert out.returncode == 0, out.stderr
    lab.prism.fail_next("POST", r"/vms/?$", 500, count=20)
    cut = cli("cutover", "lab-lin-02", env=env, timeout=180)
    assert cut.returncode == 1
    assert "lab-lin-02: rolled_back" in cut.stderr and "create VM" in cut.stderr, cut.stderr
    assert "vm-1002" not in cut.stdout


def test_a_transient_fault_while_a_cutover_starts_is_retried(tmp_path: Path, env: dict[str, str], lab: Lab,  # noqa: F811
                                                            fault_proxy: Callable[..., FaultProxy]) -> None:
    assert lab.endpoints is not None
    proxy = fault_proxy(lab.endpoints.prism_port)
    plan = _linux_plan(lab)
    plan_path = _plan_file(tmp_path, replace(plan, target=replace(plan.target, port=proxy.port)))
    out = cli("--sync-seconds", "1", "run", plan_path, "--until", "ready", env=env, timeout=180)
    assert out.returncode == 0, out.stderr
    # The cutover's process meets a Prism whose answers get lost for a while: more than one request's retries.
    proxy.add_rule(Rule("after_request", rb"^GET ", times=6))
    cut = cli("cutover", "lab-lin-02", env=env, timeout=240)
    assert cut.returncode == 0, cut.stdout[-2000:] + cut.stderr
    assert proxy.injected["after_request"] == 6
    assert _job(env)["state"] == "done_unverified"  # no guest channel: nobody saw it boot (issue 15.4)
