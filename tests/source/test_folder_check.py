"""``xtract-gui check-folder`` against the simulator: the one-command check for the open question (does
/folder serve a running VM's base disk while our snapshot holds it?).  The simulator cannot answer the
question itself (it has no file locks); this proves the command reads both ways and says what it saw."""

from __future__ import annotations

import hashlib
import io
import json

import pytest

from tests.support.vcsim import VcsimProcess
from xtract_gui.cli import main

pytestmark = pytest.mark.vcsim


def run(sim: VcsimProcess, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(sim.password + "\n"))  # never on the command line
    return main(["check-folder", "--vcenter", sim.host, "--port", str(sim.port), "--user", sim.user,
                 "--fingerprint", sim.fingerprint, "--vm", "DC0_C0_RP0_VM0", *extra])


def test_reads_one_range_both_ways_and_removes_its_snapshot(
        vcsim: VcsimProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(vcsim, monkeypatch, "--esxi", vcsim.base_url, "--offset", "0", "--length", "65536", "--json")
    result = json.loads(capsys.readouterr().out)
    assert code == 0 and result["ok"], result
    want = hashlib.sha256(vcsim.flat_file("DC0_C0_RP0_VM0").read_bytes()[:65536]).hexdigest()
    assert [(p["path"], p["ok"], p["length"], p["sha256"]) for p in result["paths"]] == [
        ("vCenter", True, 65536, want), ("ESXi", True, 65536, want)]
    assert "Both paths serve" in result["verdict"] and result["powered_on"]
    stats = vcsim.stats()
    assert stats["folder_session"] >= 2 and stats["folder_ticket"] >= 2  # descriptor + range, each way
    from tests.source.conftest import connect

    src = connect(vcsim)
    try:
        vm = next(v for v in src.inventory().vms if v.name == "DC0_C0_RP0_VM0")
        assert vm.snapshot_count == 0
    finally:
        src.close()


def test_a_path_that_fails_is_said_with_its_error(
        vcsim: VcsimProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(vcsim, monkeypatch, "--esxi", "https://127.0.0.1:9")
    out = capsys.readouterr().out
    assert code == 1
    assert "via vCenter" in out and "via ESXi" in out and "FAILED" in out
    assert "Only the vCenter path served the disk" in out
    assert vcsim.password not in out
