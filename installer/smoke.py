"""Smoke test of a built app, the same on Linux, Windows and macOS (CI's installer jobs, tests/installer):

    python installer/smoke.py PATH/TO/xtract-gui[.exe]

Runs the headless demo with two VMs in a fresh folder and exits 0 only when its last line is the JSON verdict
``DemoFinished`` with ``ok: true``; prints the app's output either way. Only the standard library: it runs
beside a frozen app, with whatever Python the build machine has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def smoke(app: Path, timeout: float = 1800) -> tuple[bool, str]:
    """(verdict ok, the app's output)."""
    with tempfile.TemporaryDirectory(prefix="xtract-smoke-") as tmp:
        env = {**os.environ, "XTRACT_GUI_HOME": str(Path(tmp) / "home")}
        run = subprocess.run([str(app), "demo", "--vms", "2", "--json", "--state-dir", str(Path(tmp) / "lab")],
                             capture_output=True, text=True, timeout=timeout, cwd=tmp, env=env)
    output = run.stdout + run.stderr
    lines = run.stdout.strip().splitlines()
    try:
        verdict = json.loads(lines[-1]) if lines else {}
    except ValueError:
        verdict = {}
    ok = run.returncode == 0 and verdict.get("event") == "DemoFinished" and verdict.get("ok") is True
    return ok, output


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    ok, output = smoke(Path(argv[0]))
    print(output)
    print(f"smoke: {'ok' if ok else 'FAILED'}: {argv[0]}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
