"""The ``xtract-gui`` command, run as a real subprocess against a lab served by this test process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from xtract_gui import __version__
from xtract_gui.domain.plan import Plan, SecretRef
from xtract_gui.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "xtract_gui", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "XTRACT_GUI_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "tests.cli.filekeyring.FileKeyring",
            "XTRACT_TEST_KEYRING": str(tmp_path / "keyring.json")}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    with Lab(tmp_path_factory.mktemp("cli-lab"), vms=2) as lab:
        yield lab


def _plan_file(tmp_path: Path, plan: Plan, name: str = "plan.json") -> str:
    path = tmp_path / name
    path.write_text(plan.to_json(), encoding="utf-8")
    return str(path)


def _one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("xtract-gui: ")
    return lines[0]


def test_version(env: dict[str, str]) -> None:
    out = cli("--version", env=env)
    assert out.returncode == 0 and __version__ in out.stdout


@pytest.mark.parametrize("text, words", [
    ("{not json", "not valid JSON"),
    ('{"name": "x"}', "missing"),
    ("[]", "not a JSON object"),
])
def test_a_bad_plan_is_exit_2_with_one_line(tmp_path: Path, env: dict[str, str], text: str, words: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    out = cli("plan", "validate", str(path), env=env)
    assert out.returncode == 2
    assert words in _one_line(out.stderr)
    out = cli("run", str(path), env=env)
    assert out.returncode == 2 and not (tmp_path / "home" / "data" / "xtract.sqlite3").exists()


def test_validate_a_lab_plan(tmp_path: Path, env: dict[str, str], lab: Lab) -> None:
    assert lab.endpoints is not None
    plan = lab.endpoints.plan
    out = cli("plan", "validate", _plan_file(tmp_path, plan), env=env)
    assert out.returncode == 0, out.stderr
    assert "0 blocker(s)" in out.stdout and "lab-lin-02" in out.stdout  # its guest prep is off: a warning
    unmapped = replace(plan, network_map={})
    out = cli("plan", "validate", _plan_file(tmp_path, unmapped, "unmapped.json"), env=env)
    assert out.returncode == 1 and "not mapped" in out.stdout
    ghost = replace(plan, vms=(replace(plan.vms[0], vm_id="vm-404"),))
    out = cli("plan", "validate", _plan_file(tmp_path, ghost, "ghost.json"), env=env)
    assert out.returncode == 1 and "not in the source inventory" in out.stdout


def test_missing_secret_and_unreachable_target_change_nothing(tmp_path: Path, env: dict[str, str], lab: Lab) -> None:
    assert lab.endpoints is not None
    plan = lab.endpoints.plan
    no_secret = replace(plan, target=replace(plan.target, password=SecretRef("xtract-gui", "admin@nowhere")))
    out = cli("run", _plan_file(tmp_path, no_secret), env=env)
    assert out.returncode == 1 and "secret set xtract-gui admin@nowhere" in _one_line(out.stderr)
    closed = replace(plan, target=replace(plan.target, port=1))
    out = cli("run", _plan_file(tmp_path, closed, "closed.json"), env=env)
    assert out.returncode == 1
    _one_line(out.stderr)
    status = cli("status", "--json", env=env)
    assert status.returncode == 0 and json.loads(status.stdout) == []
    assert all(v.snapshot_count == 0 for v in lab.source.inventory().vms)  # type: ignore[union-attr]


def test_unknown_vm(env: dict[str, str]) -> None:
    out = cli("pause", "vm-404", env=env)
    assert out.returncode == 1 and "Unknown VM 'vm-404'" in _one_line(out.stderr)


def test_secret_set_reads_stdin_and_never_prints_it(env: dict[str, str], tmp_path: Path) -> None:
    out = cli("secret", "set", "xtract-gui", "admin@prism", stdin="S3cret-value\n", env=env)
    assert out.returncode == 0 and "S3cret-value" not in out.stdout + out.stderr
    assert "keyring:xtract-gui/admin@prism" in out.stdout
    assert json.loads((tmp_path / "keyring.json").read_text()) == {"xtract-gui/admin@prism": "S3cret-value"}


@pytest.mark.slow
def test_the_job_commands_on_a_served_lab(tmp_path: Path, env: dict[str, str], lab: Lab) -> None:
    assert lab.endpoints is not None and lab.source is not None
    plan_path = _plan_file(tmp_path, lab.endpoints.plan)
    out = cli("--sync-seconds", "1", "run", plan_path, "--until", "ready", env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert "Seed" in out.stdout
    jobs = json.loads(cli("status", "--json", env=env).stdout)
    assert {j["state"] for j in jobs} == {"syncing"} and all(j["ready_for_cutover"] for j in jobs)
    assert cli("test", "lab-lin-02", env=env).returncode == 0
    assert json.loads(cli("status", "--json", env=env).stdout)[1]["test_vm_uuid"]
    assert cli("test", "lab-lin-02", "--undo", env=env).returncode == 0
    assert cli("pause", "lab-win-01", env=env).returncode == 0
    assert json.loads(cli("status", "--json", env=env).stdout)[0]["state"] == "paused"
    assert cli("--sync-seconds", "1", "resume", "lab-win-01", env=env).returncode == 0
    out = cli("cutover", "lab-win-01", env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    assert cli("cancel", "lab-lin-02", env=env).returncode == 0
    assert [j["state"] for j in json.loads(cli("status", "--json", env=env).stdout)] == ["done", "cancelled"]
    assert lab.source.list_snapshots("vm-1002") == [] and lab.source.get_vm("vm-1002").power_state.value == "on"
    report = tmp_path / "report.html"
    assert cli("report", "--html", str(report), env=env).returncode == 0
    html = report.read_text()
    assert "lab-win-01" in html and "Final sync" in html and os.environ.get("USER", "root") in html
    table = cli("status", env=env).stdout
    assert "lab-win-01" in table and "done" in table and "cancelled" in table


@pytest.mark.slow
def test_demo_two_vms_exits_0(tmp_path: Path, env: dict[str, str]) -> None:
    out = cli("demo", "--vms", "2", "--state-dir", str(tmp_path / "demo"), env=env, timeout=240)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "every VM cut over and verified" in out.stdout
    js = cli("demo", "--vms", "1", "--json", "--state-dir", str(tmp_path / "demo2"), env=env, timeout=240)
    assert js.returncode == 0
    events = [json.loads(line) for line in js.stdout.splitlines() if line.startswith("{")]
    assert {"JobStateChanged", "StepChanged", "SyncSummary"} <= {e["event"] for e in events}
    assert events[-1]["event"] == "DemoFinished" and events[-1]["ok"] is True, events[-1]


@pytest.mark.slow
def test_lab_serve_prints_endpoints_and_stops_on_sigterm(tmp_path: Path, env: dict[str, str]) -> None:
    state = tmp_path / "served"
    proc = subprocess.Popen([sys.executable, "-m", "xtract_gui", "lab", "serve", "--state-dir", str(state),
                             "--vms", "1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 60
        while not (state / "endpoints.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        endpoints = json.loads((state / "endpoints.json").read_text())
        assert endpoints["prism"]["url"].startswith("http://127.0.0.1:")
        assert Plan.from_json((state / "plan.json").read_text()).source.protocol == "lab"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert json.loads(out)["state_dir"] == str(state.resolve())
