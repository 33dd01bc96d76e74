"""Run the guest scripts the way a channel does: params in a JSON file, one JSON line back."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xtract_gui.domain.guest_tasks import GuestTask, parse_manifest
from xtract_gui.paths import resources_dir
from xtract_gui.resources import load_script

RESOURCES = resources_dir()
CONTRACT_KEYS = {"task", "ok", "changed", "message", "warnings", "data"}
FIRSTBOOT_RESULT_KEYS = {"ok", "on_target", "nics", "disks_onlined", "errors", "finished_at"}


def manifest_data() -> dict[str, Any]:
    return json.loads((RESOURCES / "manifest.json").read_text(encoding="utf-8"))


def manifest_tasks() -> list[GuestTask]:
    return parse_manifest(manifest_data())


def task(task_id: str) -> GuestTask:
    return next(t for t in manifest_tasks() if t.id == task_id)


@dataclass(frozen=True)
class Run:
    exit_code: int
    result: dict[str, Any]
    stdout: str
    stderr: str
    params_file_left: bool


def composed_file(relative: str) -> Path:
    """The script a channel would send for ``relative`` (prelude + body), in a file anyone may read.

    World-readable in /tmp so that a test may run it as an unprivileged user; the caller deletes it.
    """
    fd, name = tempfile.mkstemp(prefix="xtract-", suffix=Path(relative).suffix)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(load_script(relative))
    os.chmod(name, 0o644)
    return Path(name)


def run_linux(script: str, root: Path, params: dict[str, Any] | None = None, *, timeout: float = 300,
              script_path: Path | None = None) -> Run:
    """Run the composed linux/<script> (or ``script_path`` as it is) with XTRACT_ROOT=root, as the contract
    says (bash <script> <params>)."""
    path = script_path or composed_file(f"linux/{script}")
    try:
        return _run_bash(script, path, root, params, timeout)
    finally:
        if script_path is None:
            path.unlink()


def _run_bash(script: str, path: Path, root: Path, params: dict[str, Any] | None, timeout: float) -> Run:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(params or {}, fh)
        params_file = fh.name
    env = {**os.environ, "XTRACT_ROOT": str(root)}
    proc = subprocess.run(["bash", str(path), params_file], capture_output=True, text=True, timeout=timeout,
                          env=env, check=False)
    left = os.path.exists(params_file)
    if left:
        os.unlink(params_file)
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert lines, f"{script} printed nothing on stdout; stderr:\n{proc.stderr}"
    result = json.loads(lines[-1])
    return Run(proc.returncode, result, proc.stdout, proc.stderr, left)


def check_contract(run: Run, task_id: str) -> None:
    """The result line has exactly the contract keys, and the exit code agrees with ok."""
    assert set(run.result) == CONTRACT_KEYS, run.result
    assert run.result["task"] == task_id
    assert isinstance(run.result["message"], str) and run.result["message"]
    assert all(isinstance(w, str) for w in run.result["warnings"])
    assert isinstance(run.result["data"], dict)
    assert (run.exit_code == 0) is (run.result["ok"] is True), (run.exit_code, run.result)
    assert not run.params_file_left, "the script must delete its params file"


def assert_like_example(run: Run, task_id: str, key: str = "result_example") -> None:
    """What the script printed has the same data keys as the manifest's example the simulator copies."""
    example = task(task_id).extra[key]
    assert set(run.result["data"]) == set(example["data"]), (task_id, key, run.result["data"])


def file_digests(root: Path, *subdirs: str) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file below root/subdir: a second idempotent run must not touch any."""
    import hashlib

    digests: dict[str, tuple[str, int]] = {}
    for sub in subdirs:
        base = root / sub.lstrip("/")
        if not base.exists():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and not p.is_symlink():
                digests[str(p.relative_to(root))] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
    return digests
