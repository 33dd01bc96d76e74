"""What the job monitor, ``status`` and the report show of a job, read from the store (any process may be the
one driving the job) and, for the jobs this process copies, its own latest figures."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.errors import ConflictError
from ..domain.states import JobState
from .store import JobRow, Store

STALE_PROGRESS_SECONDS = 30.0  # figures older than this come from a process that stopped copying: no rate


@dataclass(frozen=True)
class JobSnapshot:
    vm_id: str
    name: str
    state: JobState
    step_title: str
    done_bytes: int
    total_bytes: int
    rate_bytes_per_s: float
    eta_seconds: float | None
    last_sync_at: float | None
    last_delta_bytes: int
    projected_downtime_seconds: float | None
    ready_for_cutover: bool
    error: str
    test_vm_uuid: str
    plan_id: str = ""
    sync_count: int = -1
    target_vm_uuid: str = ""
    downtime_seconds: float | None = None  # measured, once cut over


def _figures(own: Mapping[str, Any], stored: Any, now: float) -> dict[str, Any]:
    """This process's figures, or the database's when they are newer (another process copies)."""
    if stored is not None and float(stored["at"]) > float(own.get("at", 0.0)):
        fresh = now - float(stored["at"]) < STALE_PROGRESS_SECONDS
        return {"done_bytes": stored["done"], "total_bytes": stored["total"],
                "rate": stored["rate"] if fresh else 0.0, "eta": stored["eta"] if fresh else None}
    return dict(own)


def snapshots(store: Store, own_progress: Mapping[str, Mapping[str, Any]]) -> list[JobSnapshot]:
    """Every job as it stands; ``own_progress``: vm_id -> the figures of the jobs this process runs."""
    out = []
    stored = store.progress()
    now = time.time()
    for row in store.jobs():
        own = own_progress.get(row.vm_id, {})
        prog = _figures(own, stored.get(row.vm_id), now)
        title = own.get("step_title") or _last_step_title(store, row.vm_id)
        d = row.data
        out.append(JobSnapshot(
            vm_id=row.vm_id, name=row.name, state=row.state, step_title=title,
            done_bytes=int(prog.get("done_bytes", 0)), total_bytes=int(prog.get("total_bytes", 0)),
            rate_bytes_per_s=float(prog.get("rate", 0.0)), eta_seconds=prog.get("eta"),
            last_sync_at=d.get("last_sync_at"), last_delta_bytes=int(d.get("last_delta_bytes", 0)),
            projected_downtime_seconds=d.get("projected_downtime"),
            ready_for_cutover=row.state is JobState.SYNCING and d.get("sync_count") is not None,
            error=row.error, test_vm_uuid=d.get("test_vm_uuid", ""), plan_id=row.plan_id,
            sync_count=int(d["sync_count"]) if d.get("sync_count") is not None else -1,
            target_vm_uuid=d.get("target_vm_uuid", ""), downtime_seconds=d.get("downtime_seconds")))
    return out


def _last_step_title(store: Store, vm_id: str) -> str:
    steps = store.steps(vm_id)
    return str(steps[-1]["title"]) if steps else ""


def not_ready(row: JobRow) -> ConflictError:
    """Why a cutover cannot start now, naming the job's real state and what to do about it."""
    state, name = row.state, row.name
    if state is JobState.FAILED:
        return ConflictError(f"{name} is not ready for cutover: its job failed ({row.error or 'no reason given'}).",
                             hint="Retry it ('xtract-gui run PLAN' continues it, or Retry in the wizard); once it "
                                  "shows 'ready for cutover' again, cut over.")
    if state is JobState.ROLLED_BACK:
        return ConflictError(f"{name} is not ready for cutover: its last cutover was rolled back ({row.error}).",
                             hint="Retry it ('xtract-gui run PLAN' or Retry in the wizard) after fixing the cause.")
    if state is JobState.PAUSED:
        return ConflictError(f"{name} is not ready for cutover: its job is paused.",
                             hint=f"Resume it first: xtract-gui resume {name}")
    if state in (JobState.CUTTING_OVER, JobState.POST):
        return ConflictError(f"{name} is already being cut over.", hint="Wait for it: xtract-gui status")
    if state is JobState.DONE:
        return ConflictError(f"{name} is already cut over.", hint="Nothing to do; 'xtract-gui report' shows it.")
    if state is JobState.CANCELLED:
        return ConflictError(f"{name} was cancelled.", hint="Start its migration again with 'xtract-gui run PLAN'.")
    return ConflictError(f"{name} is not ready for cutover yet (state {state.value}).",
                         hint="Wait until its seed has finished and it shows 'ready for cutover'.")
