"""Run the Windows guest scripts for real, in an order that is safe on a throw-away CI runner.

Used by .github/workflows/windows-guest.yml on Windows Server 2022 and 2025
(Windows PowerShell 5.1; GitHub has no 2019 runner any more).
Each script is composed as a channel sends it (prelude + body), run by powershell.exe with its
parameters as JSON on stdin (what the WinRM channel does), and its last stdout line checked against
the contract and the manifest's example shape. Stdlib only, so it runs before any install.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from xtract_gui.resources import load_manifest, load_script  # noqa: E402

CONTRACT = {"task", "ok", "changed", "message", "warnings", "data"}
BOOTSTRAP = ("$ErrorActionPreference='Stop';"
             "$j=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String((@($input) -join '').Trim()));"
             "& '{path}' -ParamsJson $j;exit $LASTEXITCODE")


def run(task_id: str, params: dict[str, Any], work: Path) -> dict[str, Any]:
    task = next(t for t in load_manifest() if t.id == task_id)
    folder = Path(tempfile.mkdtemp(dir=work))
    script = folder / Path(task.script).name
    script.write_bytes(b"\xef\xbb\xbf" + load_script(task.script).encode("utf-8"))
    body = json.dumps({**params, "task": task_id, **task.extra.get("fixed_params", {})}).encode("utf-8")
    command = BOOTSTRAP.format(path=str(script).replace("'", "''"))
    proc = subprocess.run(["powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass",
                           "-EncodedCommand", base64.b64encode(command.encode("utf-16-le")).decode("ascii")],
                          input=base64.b64encode(body) + b"\r\n", capture_output=True, timeout=900, check=False)
    out = proc.stdout.decode("utf-8", errors="replace")
    print(f"--- {task_id}: exit {proc.returncode}\n{out}\n{proc.stderr.decode('utf-8', errors='replace')}")
    lines = [line for line in out.splitlines() if line.strip().startswith("{")]
    assert lines, f"{task_id} printed no result line"
    result = json.loads(lines[-1])
    assert set(result) == CONTRACT and result["task"] == task_id, result
    assert (proc.returncode == 0) is (result["ok"] is True), (proc.returncode, result)
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certificate", required=True)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xtract-ci-"))
    ok = lambda task_id, **params: run(task_id, params, work)  # noqa: E731
    assert ok("win.check_admin")["ok"]
    assert ok("win.check_installer")["ok"]
    assert ok("win.add_sha2_certificate", certificate_files=[args.certificate])["ok"]
    again = ok("win.add_sha2_certificate", certificate_files=[args.certificate])
    assert again["ok"] and not again["changed"]  # idempotent
    saved = ok("win.retain_ip")
    assert saved["ok"] and saved["data"]["nics"], saved
    assert all(":" not in g for nic in saved["data"]["nics"] for g in nic["gateways"])
    firstboot = {"firstboot_script": load_script("windows/firstboot.ps1"), "deadline_minutes": 30}
    assert ok("win.install_firstboot", **firstboot)["ok"]
    pending = ok("win.read_firstboot_result")
    assert not pending["ok"] and pending["data"]["pending"] is True, pending  # still on the source
    source = ok("win.firstboot")  # the same UUID as saved: it must do nothing
    assert source["ok"] and source["data"]["on_target"] is False
    san = ok("win.set_san_policy")
    assert san["ok"] and san["data"]["after"] == 1
    undone = ok("win.undo", restore_san_policy=True, remove_certificates=True)
    assert undone["ok"] and undone["data"]["task_removed"] and undone["data"]["certificates_removed"]
    msi = Path(args.certificate)  # not an MSI: install_virtio must refuse it, touching nothing
    digest = hashlib.sha256(msi.read_bytes()).hexdigest()
    refused = ok("win.install_virtio", package_path=str(msi), package_sha256=digest)
    assert not refused["ok"] and "not an MSI" in refused["message"]
    print("all Windows guest scripts behaved")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
