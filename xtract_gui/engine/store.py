"""The crash-safe store: one SQLite database (WAL) for plans, jobs, steps, changeIds, copy cursors,
sync history and the journal of every action taken on either side.

The journal is what makes a crash survivable: ``intent`` is committed before the side effect
starts and ``outcome`` after it ends, so an intent without an outcome after a restart names
exactly what may be half done.  No secret is ever written here: plans hold only keyring
references and every free text goes through ``scrub`` first.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.extents import Extent, normalize
from ..domain.messages import Message, decode, encode
from ..domain.plan import Plan
from ..domain.redact import scrub
from ..domain.states import JobState
from .offloop import SerialWriter

_log = logging.getLogger("xtract_gui.engine")

SCHEMA_VERSION = 3
DB_FILE = "xtract.sqlite3"  # under the data directory (or a state directory's ``data/``)

_V1 = """
CREATE TABLE plans(id TEXT PRIMARY KEY, name TEXT NOT NULL, json TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE jobs(vm_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,
                  resume_state TEXT NOT NULL DEFAULT '', error TEXT NOT NULL DEFAULT '',
                  data TEXT NOT NULL DEFAULT '{}', updated REAL NOT NULL);
CREATE TABLE steps(id INTEGER PRIMARY KEY AUTOINCREMENT, vm_id TEXT NOT NULL, step_id TEXT NOT NULL,
                   title TEXT NOT NULL, state TEXT NOT NULL, message TEXT NOT NULL DEFAULT '',
                   started REAL, ended REAL, UNIQUE(vm_id, step_id));
CREATE TABLE disks(vm_id TEXT NOT NULL, disk_key INTEGER NOT NULL, change_id TEXT NOT NULL DEFAULT '',
                   target_ref TEXT NOT NULL DEFAULT '', capacity INTEGER NOT NULL DEFAULT 0,
                   PRIMARY KEY(vm_id, disk_key));
CREATE TABLE cursors(key TEXT PRIMARY KEY, done TEXT NOT NULL);
CREATE TABLE journal(id INTEGER PRIMARY KEY AUTOINCREMENT, vm_id TEXT NOT NULL, side TEXT NOT NULL,
                     action TEXT NOT NULL, object TEXT NOT NULL DEFAULT '', params TEXT NOT NULL DEFAULT '{}',
                     intent_at REAL NOT NULL, outcome TEXT, outcome_at REAL, detail TEXT NOT NULL DEFAULT '');
CREATE TABLE syncs(vm_id TEXT NOT NULL, n INTEGER NOT NULL, bytes INTEGER NOT NULL, seconds REAL NOT NULL,
                   projected REAL NOT NULL, at REAL NOT NULL, PRIMARY KEY(vm_id, n));
"""
# v2: the cutover audit trail (who pressed it, when) gets its own table for the report.
_V2 = """
CREATE TABLE cutovers(id INTEGER PRIMARY KEY AUTOINCREMENT, vm_id TEXT NOT NULL, requested_by TEXT NOT NULL,
                      requested_at REAL NOT NULL, outcome TEXT NOT NULL DEFAULT '', downtime REAL);
CREATE INDEX journal_open ON journal(outcome) WHERE outcome IS NULL;
"""
# v3: copy progress, written about once a second, so that every process (``status --json`` from another shell,
# the wizard next to a CLI run) sees live figures, not only the one that copies.
_V3 = """
CREATE TABLE progress(vm_id TEXT PRIMARY KEY, step_id TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0,
                      total INTEGER NOT NULL DEFAULT 0, rate REAL NOT NULL DEFAULT 0, eta REAL, at REAL NOT NULL);
"""
MIGRATIONS: list[str] = [_V1, _V2, _V3]


@dataclass(frozen=True)
class JobRow:
    vm_id: str
    plan_id: str
    name: str
    state: JobState
    resume_state: str
    error: str
    data: dict[str, Any]
    updated: float


@dataclass(frozen=True)
class JournalEntry:
    id: int
    vm_id: str
    side: str  # "source" | "target" | "guest" | "local"
    action: str
    object: str
    params: dict[str, Any]
    intent_at: float
    outcome: str | None
    detail: str


class Store:
    """Thread-safe: every statement runs on the store's own thread (``offloop.SerialWriter``), in the order made.

    Writes made on the event loop's thread (the GUI thread under qasync) are queued and return at once, so a
    slow disk never freezes the window; writes from other threads (copy cursors, executors) wait for their
    commit as before.  Reads wait behind the writes queued before them.  ``intent`` on the loop returns a
    ticket (a negative id) that ``outcome`` resolves to the journal row once it is written; a side effect
    that follows an intent goes through ``barrier`` first (``JobContext.call`` does), so the intent is
    committed before the side effect starts, as the journal's rule wants.
    """

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._tickets: dict[int, int] = {}  # intent ticket -> journal row id (only the store thread uses it)
        self._next_ticket = 0
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._writer = SerialWriter("xtract-store")
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL, not FULL: in WAL mode a commit then costs no fsync (only checkpoints do), and the
            # engine's loop is the GUI thread under qasync, where FULL's fsync per commit stalled the
            # event loop by > 50 ms (benchmarks/gui_stall.py; the writes now run on the store thread anyway).
            # WAL + NORMAL still keeps every commit through a process crash (SIGKILL, the crash-recovery
            # tests); only an OS crash or power loss may drop the last commits, and recovery then repeats
            # that step from the journal's earlier intent (snapshots are found by name, creates by name,
            # copies resume at a cursor).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    @classmethod
    def open_default(cls) -> Store:
        """The user's database (``paths.data_dir()``), the one the GUI and every CLI command share."""
        from ..paths import data_dir

        return cls(data_dir() / DB_FILE)

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise RuntimeError(f"The database {self.path} was written by a newer xtract-gui (schema {version}).")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={target}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self._rows("PRAGMA user_version")[0][0])

    def close(self) -> None:
        self._writer.close()
        with self._lock:
            self._db.close()

    def barrier(self) -> None:
        """Wait until every write made so far is committed (and raise the error of one that failed unseen)."""
        self._writer.barrier()

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """A read, answered on the store thread after the writes queued before it."""
        def run() -> list[sqlite3.Row]:
            with self._lock:
                return self._db.execute(sql, args).fetchall()
        return self._writer.read(run)

    def _one(self, sql: str, args: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    def _write(self, fn: Callable[[sqlite3.Connection], Any]) -> Any:
        """``fn(db)`` on the store thread: queued when made on the event loop, else waited for (see the class)."""
        def run() -> Any:
            with self._lock:
                return fn(self._db)
        return self._writer.write(run)

    def _exec(self, sql: str, args: Sequence[Any] = ()) -> None:
        self._write(lambda db: db.execute(sql, args))

    # -- plans ------------------------------------------------------------------------------
    def save_plan(self, plan_id: str, plan: Plan) -> None:
        self._exec("INSERT OR REPLACE INTO plans(id, name, json, created) VALUES(?,?,?,?)",
                   (plan_id, plan.name, plan.to_json(), self._clock()))

    def plan(self, plan_id: str) -> Plan:
        row = self._one("SELECT json FROM plans WHERE id=?", (plan_id,))
        if row is None:
            raise KeyError(plan_id)
        return Plan.from_json(row["json"])

    def plan_ids(self) -> list[str]:
        return [r["id"] for r in self._rows("SELECT id FROM plans ORDER BY created")]

    # -- jobs -------------------------------------------------------------------------------
    def create_job(self, vm_id: str, plan_id: str, name: str) -> None:
        now = self._clock()

        def run(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            for table in ("steps", "disks", "syncs"):
                db.execute(f"DELETE FROM {table} WHERE vm_id=?", (vm_id,))
            db.execute("DELETE FROM cursors WHERE key LIKE ?", (f"{vm_id}/%",))
            db.execute("DELETE FROM progress WHERE vm_id=?", (vm_id,))
            db.execute("UPDATE cutovers SET outcome='superseded' WHERE vm_id=? AND outcome=''", (vm_id,))
            db.execute("INSERT OR REPLACE INTO jobs(vm_id, plan_id, name, state, data, updated) "
                       "VALUES(?,?,?,?,?,?)", (vm_id, plan_id, name, JobState.PENDING.value, "{}", now))
            db.execute("COMMIT")

        self._write(run)

    def job(self, vm_id: str) -> JobRow | None:
        row = self._one("SELECT * FROM jobs WHERE vm_id=?", (vm_id,))
        return self._job(row) if row else None

    def jobs(self, plan_id: str | None = None) -> list[JobRow]:
        if plan_id is None:
            rows = self._rows("SELECT * FROM jobs ORDER BY rowid")
        else:
            rows = self._rows("SELECT * FROM jobs WHERE plan_id=? ORDER BY rowid", (plan_id,))
        return [self._job(r) for r in rows]

    @staticmethod
    def _job(row: sqlite3.Row) -> JobRow:
        return JobRow(row["vm_id"], row["plan_id"], row["name"], JobState(row["state"]), row["resume_state"],
                      decode(row["error"]), json.loads(row["data"]), row["updated"])

    def set_state(self, vm_id: str, state: JobState, *, error: str | None = None,
                  resume_state: str | None = None) -> None:
        sets, args = ["state=?", "updated=?"], [state.value, self._clock()]
        if error is not None:
            sets.append("error=?")
            args.append(_stored(error))
        if resume_state is not None:
            sets.append("resume_state=?")
            args.append(resume_state)
        self._exec(f"UPDATE jobs SET {', '.join(sets)} WHERE vm_id=?", (*args, vm_id))

    def update_data(self, vm_id: str, **changes: Any) -> dict[str, Any] | None:
        """Merge ``changes`` into the job's data (a ``None`` value removes the key); returns the new data, or None
        when made on the event loop (queued; ``job`` reads it back behind the merge)."""
        now = self._clock()

        def run(db: sqlite3.Connection) -> dict[str, Any]:
            row = db.execute("SELECT data FROM jobs WHERE vm_id=?", (vm_id,)).fetchone()
            data = json.loads(row["data"]) if row else {}
            for k, v in changes.items():
                if v is None:
                    data.pop(k, None)
                else:
                    data[k] = v
            db.execute("UPDATE jobs SET data=?, updated=? WHERE vm_id=?", (json.dumps(data), now, vm_id))
            return data

        done = self._write(run)
        return None if done is None else dict(done)

    # -- steps ------------------------------------------------------------------------------
    def record_step(self, vm_id: str, step_id: str, title: str, state: str, message: str = "") -> None:
        now = self._clock()
        title, message = _stored(title), _stored(message)

        def run(db: sqlite3.Connection) -> None:
            cur = db.execute("UPDATE steps SET title=?, state=?, message=?, ended=? WHERE vm_id=? AND step_id=?",
                             (title, state, message, None if state == "running" else now, vm_id, step_id))
            if cur.rowcount == 0:
                db.execute("INSERT INTO steps(vm_id, step_id, title, state, message, started, ended) "
                           "VALUES(?,?,?,?,?,?,?)",
                           (vm_id, step_id, title, state, message, now, None if state == "running" else now))
            elif state == "running":
                db.execute("UPDATE steps SET started=? WHERE vm_id=? AND step_id=?", (now, vm_id, step_id))

        self._write(run)

    def steps(self, vm_id: str) -> list[dict[str, Any]]:
        """The VM's steps in order; titles and messages as ``Message`` values where the engine stored one."""
        return [{**dict(r), "title": decode(r["title"]), "message": decode(r["message"])}
                for r in self._rows("SELECT * FROM steps WHERE vm_id=? ORDER BY id", (vm_id,))]

    # -- disks and changeIds ----------------------------------------------------------------
    def set_disk(self, vm_id: str, disk_key: int, *, change_id: str | None = None, target_ref: str | None = None,
                 capacity: int | None = None) -> None:
        def run(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR IGNORE INTO disks(vm_id, disk_key) VALUES(?,?)", (vm_id, disk_key))
            for col, val in (("change_id", change_id), ("target_ref", target_ref), ("capacity", capacity)):
                if val is not None:
                    db.execute(f"UPDATE disks SET {col}=? WHERE vm_id=? AND disk_key=?", (val, vm_id, disk_key))

        self._write(run)

    def disks(self, vm_id: str) -> dict[int, sqlite3.Row]:
        return {r["disk_key"]: r for r in self._rows("SELECT * FROM disks WHERE vm_id=?", (vm_id,))}

    # -- copy cursors (the transfer CursorStore) --------------------------------------------
    def cursor(self, vm_id: str, disk_key: int, copy_id: str) -> SqliteCursor:
        return SqliteCursor(self, f"{vm_id}/{disk_key}/{copy_id}")

    def _cursor_load(self, key: str) -> list[Extent]:
        row = self._one("SELECT done FROM cursors WHERE key=?", (key,))
        return [Extent(o, n) for o, n in json.loads(row["done"])] if row else []

    def _cursor_save(self, key: str, done: Sequence[Extent]) -> None:
        runs = [[e.offset, e.length] for e in normalize(done)]
        self._exec("INSERT OR REPLACE INTO cursors(key, done) VALUES(?,?)", (key, json.dumps(runs)))

    def _cursor_clear(self, key: str) -> None:
        self._exec("DELETE FROM cursors WHERE key=?", (key,))

    def clear_cursors(self, vm_id: str) -> None:
        self._exec("DELETE FROM cursors WHERE key LIKE ?", (f"{vm_id}/%",))

    # -- journal ----------------------------------------------------------------------------
    def intent(self, vm_id: str, side: str, action: str, obj: str = "", **params: Any) -> int:
        """Committed before the side effect starts (autocommit mode: each statement is durable; on the event loop,
        queued, and the side effect's ``JobContext.call`` waits for it).  Returns the id ``outcome`` takes."""
        values = (vm_id, side, action, obj, scrub(json.dumps(params, default=str)), self._clock())
        with self._lock:
            self._next_ticket -= 1
            ticket = self._next_ticket

        def run(db: sqlite3.Connection) -> int:
            cur = db.execute("INSERT INTO journal(vm_id, side, action, object, params, intent_at) "
                             "VALUES(?,?,?,?,?,?)", values)
            self._tickets[ticket] = int(cur.lastrowid or 0)
            return self._tickets[ticket]

        row_id = self._write(run)
        return ticket if row_id is None else int(row_id)

    def outcome(self, entry_id: int, outcome: str, detail: str = "", **params: Any) -> None:
        now, detail = self._clock(), scrub(detail)

        def run(db: sqlite3.Connection) -> None:
            row_id = self._tickets.pop(entry_id, 0) if entry_id < 0 else entry_id
            if not row_id:
                _log.warning("journal outcome %r for an intent that was never written", outcome)
                return
            sets = "outcome=?, outcome_at=?, detail=?"
            args: list[Any] = [outcome, now, detail]
            if params:
                row = db.execute("SELECT params FROM journal WHERE id=?", (row_id,)).fetchone()
                merged = {**json.loads(row["params"]), **params} if row else params
                sets += ", params=?"
                args.append(scrub(json.dumps(merged, default=str)))
            db.execute(f"UPDATE journal SET {sets} WHERE id=?", (*args, row_id))

        self._write(run)

    def open_intents(self, vm_id: str | None = None) -> list[JournalEntry]:
        sql = "SELECT * FROM journal WHERE outcome IS NULL" + (" AND vm_id=?" if vm_id else "") + " ORDER BY id"
        return [self._entry(r) for r in self._rows(sql, (vm_id,) if vm_id else ())]

    def journal(self, vm_id: str | None = None) -> list[JournalEntry]:
        sql = "SELECT * FROM journal" + (" WHERE vm_id=?" if vm_id else "") + " ORDER BY id"
        return [self._entry(r) for r in self._rows(sql, (vm_id,) if vm_id else ())]

    @staticmethod
    def _entry(r: sqlite3.Row) -> JournalEntry:
        return JournalEntry(r["id"], r["vm_id"], r["side"], r["action"], r["object"], json.loads(r["params"]),
                            r["intent_at"], r["outcome"], r["detail"])

    # -- sync history and cutover audit -----------------------------------------------------
    def record_sync(self, vm_id: str, n: int, nbytes: int, seconds: float, projected: float) -> None:
        self._exec("INSERT OR REPLACE INTO syncs(vm_id, n, bytes, seconds, projected, at) VALUES(?,?,?,?,?,?)",
                   (vm_id, n, nbytes, seconds, projected, self._clock()))

    def syncs(self, vm_id: str) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM syncs WHERE vm_id=? ORDER BY n", (vm_id,))

    def record_cutover_request(self, vm_id: str, requested_by: str) -> int | None:
        """The request's id; None when made on the event loop (queued: the process driving the job reads it soon)."""
        values = (vm_id, scrub(requested_by), self._clock())
        row_id = self._write(lambda db: db.execute("INSERT INTO cutovers(vm_id, requested_by, requested_at) "
                                                   "VALUES(?,?,?)", values).lastrowid)
        return None if row_id is None else int(row_id)

    def finish_cutover_request(self, vm_id: str, outcome: str, downtime: float | None) -> None:
        """Close the VM's open cutover request (pressed by a person or automatic) with what came of it."""
        self._exec("UPDATE cutovers SET outcome=?, downtime=? WHERE id=(SELECT MAX(id) FROM cutovers "
                   "WHERE vm_id=? AND outcome='')", (scrub(outcome), downtime, vm_id))

    def pending_cutover(self, vm_id: str) -> str:
        """Who asked for the VM's cutover, while that request is open ("" when none): a request written by another
        process is how its ``cutover`` reaches the process that drives the job."""
        row = self._one("SELECT requested_by FROM cutovers WHERE vm_id=? AND outcome='' ORDER BY id DESC LIMIT 1",
                        (vm_id,))
        return str(row["requested_by"]) if row else ""

    def drop_cutover_requests(self, vm_id: str, outcome: str) -> None:
        """Close every open request of the VM (its job was cancelled or made anew): none may fire later."""
        self._exec("UPDATE cutovers SET outcome=? WHERE vm_id=? AND outcome=''", (scrub(outcome), vm_id))

    def cutovers(self, vm_id: str) -> list[sqlite3.Row]:
        return self._rows("SELECT * FROM cutovers WHERE vm_id=? ORDER BY id", (vm_id,))


    # -- live progress ----------------------------------------------------------------------
    def save_progress(self, vm_id: str, step_id: str, done: int, total: int, rate: float, eta: float | None) -> None:
        self._exec("INSERT OR REPLACE INTO progress(vm_id, step_id, done, total, rate, eta, at) VALUES(?,?,?,?,?,?,?)",
                   (vm_id, step_id, int(done), int(total), float(rate), eta, self._clock()))

    def progress(self) -> dict[str, sqlite3.Row]:
        return {r["vm_id"]: r for r in self._rows("SELECT * FROM progress")}


def _stored(text: str) -> str:
    """Text as the store keeps it, scrubbed of anything shaped like a credential: a ``Message`` as JSON (its
    parameters scrubbed one by one, so that the JSON stays whole), so the GUI can show it in its language."""
    if isinstance(text, Message):
        return encode(text.map_text(scrub))
    return scrub(text)


class SqliteCursor:
    """``transfer.cursor.CursorStore`` bound to one (VM, disk, copy) key."""

    def __init__(self, store: Store, key: str) -> None:
        self._store = store
        self.key = key

    def load(self) -> list[Extent]:
        return self._store._cursor_load(self.key)

    def save(self, done: Sequence[Extent]) -> None:
        self._store._cursor_save(self.key, done)

    def clear(self) -> None:
        self._store._cursor_clear(self.key)
