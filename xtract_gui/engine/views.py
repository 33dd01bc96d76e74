"""What the job monitor, ``status`` and the report show of a job, read from the store (any process may be the
one driving the job) and, for the jobs this process copies, its own latest figures."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.errors import ConflictError
from ..domain.messages import decode, msg
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
    plan_name: str = ""
    test_vm_name: str = ""  # the test VM on AHV, while it exists
    check: str = ""  # done_unverified: what a person checks on the console
    warnings: tuple[str, ...] = ()  # readiness warnings (e.g. no VirtIO drivers: may not boot), as messages


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
    plan_names: dict[str, str] = {}
    for row in store.jobs():
        if row.plan_id not in plan_names:
            try:
                plan_names[row.plan_id] = store.plan(row.plan_id).name
            except KeyError:
                plan_names[row.plan_id] = row.plan_id
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
            target_vm_uuid=d.get("target_vm_uuid", ""), downtime_seconds=d.get("downtime_seconds"),
            plan_name=plan_names[row.plan_id], test_vm_name=d.get("test_vm_name", "") if d.get("test_vm_uuid") else "",
            check=decode(d.get("check", "")) if row.state is JobState.DONE_UNVERIFIED else "",
            warnings=tuple(decode(f.get("message", "")) for f in d.get("findings", [])
                           if f.get("severity") == "warning")))
    return out


def _last_step_title(store: Store, vm_id: str) -> str:
    steps = store.steps(vm_id)
    return steps[-1]["title"] if steps else ""


def not_ready(row: JobRow) -> ConflictError:
    """Why a cutover cannot start now, naming the job's real state and what to do about it."""
    state, name = row.state, row.name
    if state is JobState.FAILED:
        return ConflictError(msg("cutover.not_ready.failed", "{vm} is not ready for cutover: its job failed ({why}).",
                                 vm=name, why=row.error or msg("cutover.no_reason", "no reason given")),
                             hint=msg("cutover.not_ready.failed.hint", "Retry it ('xtract-gui run PLAN' continues it, "
                                      "or Retry in the wizard); once it shows 'ready for cutover' again, cut over."))
    if state is JobState.ROLLED_BACK:
        return ConflictError(msg("cutover.not_ready.rolled_back", "{vm} is not ready for cutover: its last cutover was "
                                 "rolled back ({why}).", vm=name, why=row.error),
                             hint=msg("cutover.not_ready.rolled_back.hint", "Retry it ('xtract-gui run PLAN' or Retry "
                                      "in the wizard) after fixing the cause."))
    if state is JobState.PAUSED:
        return ConflictError(msg("cutover.not_ready.paused", "{vm} is not ready for cutover: its job is paused.",
                                 vm=name),
                             hint=msg("cutover.not_ready.paused.hint", "Resume it first: xtract-gui resume {vm}",
                                      vm=name))
    if state in (JobState.CUTTING_OVER, JobState.POST):
        return ConflictError(msg("cutover.not_ready.cutting_over", "{vm} is already being cut over.", vm=name),
                             hint=msg("cutover.not_ready.cutting_over.hint", "Wait for it: xtract-gui status"))
    if state.is_done:
        return ConflictError(msg("cutover.not_ready.done", "{vm} is already cut over.", vm=name),
                             hint=msg("cutover.not_ready.done.hint", "Nothing to do; 'xtract-gui report' shows it."))
    if state is JobState.CANCELLED:
        return ConflictError(msg("cutover.not_ready.cancelled", "{vm} was cancelled.", vm=name),
                             hint=msg("cutover.not_ready.cancelled.hint",
                                      "Start its migration again with 'xtract-gui run PLAN'."))
    return ConflictError(msg("cutover.not_ready.other", "{vm} is not ready for cutover yet (state {state}).", vm=name,
                             state=state.value),
                         hint=msg("cutover.not_ready.other.hint",
                                  "Wait until its seed has finished and it shows 'ready for cutover'."))
