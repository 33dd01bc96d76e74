"""The per-VM log files: one open handle per running job (not an open/append/close per line), every line
on disk as soon as ``log`` returns, secrets masked, and nothing left open once the job or the engine stops.

Open handles are read from ``/proc/self/fd``: what the process really holds, whatever the code says.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.states import JobState
from xtract_gui.engine import emitter as emitter_module
from xtract_gui.engine.emitter import Emitter
from xtract_gui.engine.naming import log_name

from .fakes import Rig, make_plan, make_rig

STOPPED = (JobState.DONE, JobState.DONE_UNVERIFIED, JobState.FAILED,
           JobState.ROLLED_BACK, JobState.CANCELLED, JobState.PAUSED)


def open_fds(folder: Path) -> list[Path]:
    """Files under ``folder`` this process holds open, one entry per descriptor."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:  # the descriptor listdir itself used, already closed
            continue
        if target.parent == folder:
            found.append(target)
    return found


def test_a_vm_log_is_opened_once_and_each_line_is_in_the_file_when_log_returns(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.name_vm("vm-1", "web 01")
    path = tmp_path / log_name("web 01", "vm-1")
    for i in range(200):
        em.log("vm-1", "INFO", f"copied extent {i}")
        if i in (0, 199):
            assert open_fds(tmp_path) == [path]  # one handle, kept open across lines
            # Another reader sees the line at once: a crash right now would lose nothing.
            assert path.read_text(encoding="utf-8").splitlines()[-1].endswith(f"INFO    copied extent {i}")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 200
    em.close()
    assert open_fds(tmp_path) == []


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.add_secrets(["Hunter2!secret"])
    em.log("vm-1", "WARNING", "WinRM said: password Hunter2!secret rejected")
    em.close()
    text = (tmp_path / "xtract-vm-1.log").read_text(encoding="utf-8")
    assert "rejected" in text and "Hunter2!secret" not in text


def test_a_closed_log_reopens_for_a_later_line_and_appends(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.log("vm-1", "INFO", "first")
    em.close_log("vm-1")
    assert open_fds(tmp_path) == [] and em.open_logs() == []
    em.log("vm-1", "INFO", "second")
    assert em.open_logs() == [tmp_path / "xtract-vm-1.log"]
    em.close()
    lines = (tmp_path / "xtract-vm-1.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(None, 2)[2] for line in lines] == ["first", "second"]
    assert [line.message for line in Emitter(tmp_path).tail("vm-1", 10)] == ["first", "second"]


def test_a_vm_named_later_moves_to_its_named_file(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.log("vm-7", "INFO", "before the name is known")
    em.name_vm("vm-7", "db")
    em.log("vm-7", "INFO", "after")
    assert open_fds(tmp_path) == [tmp_path / log_name("db", "vm-7")]  # the id-named file is not held any more
    em.close()
    assert "before the name" in (tmp_path / "xtract-vm-7.log").read_text(encoding="utf-8")
    assert "after" in (tmp_path / log_name("db", "vm-7")).read_text(encoding="utf-8")


def test_two_vms_whose_names_fold_alike_have_two_logs_and_an_old_log_is_still_read(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.name_vm("vm-1", "会計サーバー01")
    em.name_vm("vm-2", "営業サーバー01")
    em.log("vm-1", "INFO", "accounting")
    em.log("vm-2", "INFO", "sales")
    em.close()
    assert em.log_path("vm-1") != em.log_path("vm-2")
    assert "accounting" in em.log_path("vm-1").read_text(encoding="utf-8")
    assert "sales" in em.log_path("vm-2").read_text(encoding="utf-8")
    (tmp_path / "xtract-db.log").write_text("2024-01-01T00:00:00 INFO    written before names were unique\n")
    old = Emitter(tmp_path)
    old.name_vm("vm-3", "db")
    assert [line.message for line in old.tail("vm-3", 5)] == ["written before names were unique"]


def test_open_logs_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emitter_module, "MAX_OPEN_LOGS", 3)
    em = Emitter(tmp_path)
    for i in range(8):
        em.log(f"vm-{i}", "INFO", "hello")
    assert sorted(p.name for p in open_fds(tmp_path)) == ["xtract-vm-5.log", "xtract-vm-6.log", "xtract-vm-7.log"]
    em.log("vm-0", "INFO", "again")  # the oldest went; a line for it opens it again
    assert len(open_fds(tmp_path)) == 3
    em.close()
    assert len((tmp_path / "xtract-vm-0.log").read_text(encoding="utf-8").splitlines()) == 2


def test_an_emitter_dropped_without_close_closes_its_files(tmp_path: Path) -> None:
    em = Emitter(tmp_path)
    em.log("vm-1", "INFO", "hello")
    del em  # under ``filterwarnings = error`` an unclosed file's ResourceWarning would fail this test
    assert open_fds(tmp_path) == []


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=2)


def test_a_job_that_stops_running_releases_its_log_and_close_releases_all(rig: Rig) -> None:
    async def go() -> None:
        m = rig.manager()
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        await m.start(plan)
        ids = [v.vm_id for v in plan.vms]
        await m.wait(ids, lambda s: s.ready_for_cutover or s.state in STOPPED)
        assert len(open_fds(rig.log_dir)) == 2  # both jobs run: one handle each
        await m.pause(ids[:1])
        held = open_fds(rig.log_dir)
        assert len(held) == 1 and "lab-win-01" not in held[0].name, held  # the paused job's log is let go
        await m.close()
        assert open_fds(rig.log_dir) == []

    asyncio.run(asyncio.wait_for(go(), 60))
    assert "State syncing -> paused" in next(rig.log_dir.glob("xtract-lab-win-01-*.log")).read_text(encoding="utf-8")
