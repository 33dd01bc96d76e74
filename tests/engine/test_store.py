"""The SQLite store: schema migrations, journal, cursors, and no secret in the database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from xtract_gui.domain.extents import Extent
from xtract_gui.domain.states import JobState
from xtract_gui.engine.store import _V1, SCHEMA_VERSION, Store
from xtract_gui.lab.source import LabSource

from .fakes import make_plan


def test_new_database_is_at_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    mode = sqlite3.connect(tmp_path / "x.sqlite3").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_a_version_1_database_is_migrated_and_keeps_its_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "old.sqlite3")
    for stmt in _V1.split(";"):
        if stmt.strip():
            db.execute(stmt)
    db.execute("INSERT INTO journal(vm_id, side, action, intent_at) VALUES('vm-1', 'source', 'x', 1)")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    store = Store(tmp_path / "old.sqlite3")
    assert store.schema_version == SCHEMA_VERSION
    assert [e.action for e in store.open_intents()] == ["x"]
    store.record_cutover_request("vm-1", "alice")  # the v2 table exists
    assert store.cutovers("vm-1")[0]["requested_by"] == "alice"


def test_journal_intent_then_outcome(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.sqlite3")
    jid = store.intent("vm-1", "target", "create_vm", "web01", size=3)
    assert [e.id for e in store.open_intents("vm-1")] == [jid]
    store.outcome(jid, "ok", uuid="u-1")
    assert store.open_intents() == []
    entry = store.journal("vm-1")[0]
    assert entry.outcome == "ok" and entry.params == {"size": 3, "uuid": "u-1"}


def test_cursor_round_trip_survives_reopen(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.sqlite3")
    cursor = store.cursor("vm-1", 2000, "sync0")
    cursor.save([Extent(4096, 4096), Extent(0, 4096), Extent(65536, 10)])
    store.close()
    again = Store(tmp_path / "x.sqlite3").cursor("vm-1", 2000, "sync0")
    assert again.load() == [Extent(0, 8192), Extent(65536, 10)]
    again.clear()
    assert again.load() == []


def test_plans_and_errors_hold_no_secret(tmp_path: Path) -> None:
    lab = LabSource.create(tmp_path / "lab", vms=1)
    store = Store(tmp_path / "x.sqlite3")
    plan = make_plan(lab)
    store.save_plan("p1", plan)
    store.create_job(plan.vms[0].vm_id, "p1", plan.vms[0].name)
    store.set_state(plan.vms[0].vm_id, JobState.FAILED, error="login failed: password=Hunter2x")
    assert store.plan("p1") == plan
    raw = (tmp_path / "x.sqlite3").read_bytes() + (tmp_path / "x.sqlite3-wal").read_bytes()
    assert b"Hunter2x" not in raw
    assert b"keyring:xtract-test/guest" in raw
