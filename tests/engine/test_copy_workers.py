"""The engine with its copy workers (issue 17): a dying worker, and an event loop that never waits for a disk.

The lab source and the file target of ``fakes.py`` are described to the workers like the real adapters, so
every copy here runs in a worker process.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.transfer.worker_specs import SlowReaderSpec
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.engine.ports import WorkerDisk
from xtract_gui.engine.store import SqliteCursor
from xtract_gui.transfer.local import FileDiskReader

from .fakes import Rig, make_plan, make_rig
from .test_pipeline import STOPPED, _byte_exact, run


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return make_rig(tmp_path, vms=1)


def test_a_worker_that_dies_mid_seed_costs_a_retry_from_the_cursor_not_the_migration(
        rig: Rig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "worker-died"

    saved = tmp_path / "cursor-saved"

    def dying(self: FileDiskReader) -> WorkerDisk:  # the first worker dies as a crash ends a process
        return WorkerDisk(SlowReaderSpec(str(self.path), self.capacity, delay=0.02, die_after=16,
                                         marker=str(marker), once_saved=str(saved)))

    cursor_save = SqliteCursor.save

    def recording(self: SqliteCursor, done: Any) -> None:
        cursor_save(self, done)
        saved.touch()

    monkeypatch.setattr(FileDiskReader, "worker_spec", dying)
    monkeypatch.setattr(SqliteCursor, "save", recording)

    async def go() -> None:
        m = rig.manager(chunk_size=64 * 1024)
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE, streams_per_disk=2)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        snaps = await m.wait(ids, lambda s: s.ready_for_cutover or s.state in STOPPED)
        assert all(s.ready_for_cutover for s in snaps), [s.error for s in snaps]
        assert marker.exists()
        lines = [line.message for line in m.log_lines(ids[0], 500)]
        assert any("copy worker process" in t and "ended unexpectedly" in t and "Copying it again" in t
                   for t in lines), lines
        assert any("in copy worker" in t for t in lines)
        # The second attempt resumed after what the dead worker had checkpointed (a fresh target would have
        # been emptied under the cursor: the disk would then miss those bytes).
        writes = [e for e in m.store.journal(ids[0]) if e.action == "write_disk" and e.outcome == "ok"]
        assert any(int(e.params["resumed"]) > 0 for e in writes), [e.params for e in writes]
        await m.cutover(ids, requested_by="dana")
        done = await m.wait(ids, lambda s: s.state in STOPPED)
        assert [s.state.is_done for s in done] == [True], [s.error for s in done]
        await m.close()

    run(go)
    _byte_exact(rig)


def test_the_event_loop_writes_nothing_to_sqlite_or_log_files_and_connects_nothing(rig: Rig) -> None:
    """Every SQLite statement and log-file write of a seed, a sync and a cutover runs off the loop's thread."""
    statements: list[tuple[int, str]] = []
    log_writes: list[int] = []
    connects: list[int] = []

    async def go() -> None:
        loop_thread = threading.get_ident()
        m = rig.manager()
        m.store._db.set_trace_callback(lambda sql: statements.append((threading.get_ident(), sql)))
        write_file = m.emitter._write_file

        def recording(*args: Any) -> None:
            log_writes.append(threading.get_ident())
            write_file(*args)

        m.emitter._write_file = recording  # type: ignore[method-assign]
        source, target = m.adapters.source, m.adapters.target
        m.adapters.source = lambda ep, pw: (connects.append(threading.get_ident()), source(ep, pw))[1]
        m.adapters.target = lambda ep, pw: (connects.append(threading.get_ident()), target(ep, pw))[1]
        plan = make_plan(rig.lab, channel=GuestChannelKind.NONE)
        ids = [v.vm_id for v in plan.vms]
        await m.start(plan)
        await m.wait(ids, lambda s: s.sync_count >= 1 or s.state in STOPPED)
        await m.cutover(ids, requested_by="erin")
        done = await m.wait(ids, lambda s: s.state in STOPPED)
        assert [s.state.is_done for s in done] == [True], [s.error for s in done]
        await m.close()
        assert statements and log_writes and connects
        on_loop = [sql for thread, sql in statements if thread == loop_thread]
        assert on_loop == [], on_loop[:10]
        assert loop_thread not in log_writes and loop_thread not in connects
        # ... because the loop handed its writes over, not because it made none.
        assert m.store._writer.queued_from_loop > 50 and m.emitter._writer.queued_from_loop > 20

    asyncio.run(asyncio.wait_for(go(), 90))
