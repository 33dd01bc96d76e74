"""The Windows guest workflow runs the guest scripts for real on Windows Server 2022 and 2025 (it cannot run here;
tests/installer/test_workflows.py lints it with actionlint like every workflow)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github/workflows/windows-guest.yml"


def test_it_runs_every_step_on_2022_and_2025_with_windows_powershell() -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    job = flow["jobs"]["guest-scripts"]
    assert job["strategy"]["matrix"]["os"] == ["windows-2022", "windows-2025"]
    assert job["defaults"]["run"]["shell"] == "powershell"
    runner = (ROOT / "tests/windows_ci/run_guest_scripts.py").read_text()
    order = ["win.check_admin", "win.add_sha2_certificate", "win.retain_ip", "win.install_firstboot",
             "win.read_firstboot_result", "win.set_san_policy", "win.undo"]
    positions = [runner.index(f'"{task}"') for task in order]
    assert positions == sorted(positions)
