"""The engine's facade for the GUI and the CLI: plans in, per-VM jobs out, events to subscribers.

All public coroutines run on the engine's asyncio loop (qasync's in the GUI, ``asyncio.run`` in the
CLI); blocking adapter calls go to a bounded executor; a job is stopped through its
``threading.Event`` so that copies and waits inside the adapters notice it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import CancelledError, ConflictError, NotFoundError, XtractError
from ..domain.plan import Plan
from ..domain.states import JobState
from .context import Adapters, JobContext, Session, Tuning
from .cutover import test_migration as _test_migration
from .emitter import Emitter
from .events import Event, LogLine, StepChanged, StepState
from .pipeline import cleanup_cancel, recover, run_job
from .prep import revert_prep
from .store import JobRow, Store

_STOPPABLE = {JobState.PENDING, JobState.VALIDATING, JobState.PREPARING, JobState.SEEDING, JobState.SYNCING}


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


class JobManager:
    def __init__(self, *, store: Store, adapters: Adapters, clock: Callable[[], float] = time.time,
                 tuning: Tuning | None = None) -> None:
        from ..paths import log_dir

        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.tuning = tuning or Tuning()
        self.emitter = Emitter(adapters.log_dir or Path(log_dir()))
        self._executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="xtract-engine")
        self._views = ThreadPoolExecutor(max_workers=2, thread_name_prefix="xtract-views")  # see jobs_async
        self._sessions: dict[str, Session] = {}
        self._whitelist_locks: dict[str, asyncio.Lock] = {}  # per cluster, across plans (whitelist.py)
        self._contexts: dict[str, JobContext] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    # -- events -----------------------------------------------------------------------------
    def subscribe(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        return self.emitter.subscribe(sink)

    # -- plans and jobs ---------------------------------------------------------------------
    async def start(self, plan: Plan) -> str:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm in plan.vms:
            row = self.store.job(vm.vm_id)
            if row is not None and not row.state.terminal:
                raise ConflictError(f"{row.name} is already in a migration ({row.state.value}).",
                                    hint="Resume, retry or cancel that migration first.")
        plan_id = f"plan-{uuid.uuid4().hex[:12]}"
        self.store.save_plan(plan_id, plan)
        for vm in plan.vms:
            self.store.create_job(vm.vm_id, plan_id, vm.name)
            self.emitter.name_vm(vm.vm_id, vm.name)
            self.emitter.log(vm.vm_id, "INFO", f"Job created in plan {plan.name!r} ({plan_id})")
        for vm in plan.vms:
            self._spawn(vm.vm_id)
        return plan_id

    async def resume_all(self) -> None:
        """After a restart: settle half-done actions and continue every job that was running."""
        self.emitter.bind_loop(asyncio.get_running_loop())
        for row in self.store.jobs():
            if row.state.terminal or row.state in (JobState.PAUSED, JobState.FAILED, JobState.ROLLED_BACK):
                continue
            if row.vm_id in self._tasks:
                continue
            ctx = self._context(row.vm_id)
            ctx.log("Continuing after a restart")
            ctx.cancel.clear()
            try:
                await ctx.connect()
                await recover(ctx)
            except XtractError as exc:
                ctx.set_state(JobState.FAILED, str(exc), error=str(exc))
                continue
            if row.state is JobState.SYNCING and row.data.get("cutover_requested_by") and \
                    row.data.get("cutover_stage"):
                ctx.cutover_requested.set()
            self._spawn(row.vm_id)

    async def cutover(self, vm_ids: Sequence[str], *, requested_by: str) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state is not JobState.SYNCING or row.data.get("sync_count") is None:
                raise ConflictError(f"{row.name} is not ready for cutover (state {row.state.value}).",
                                    hint="Wait until the seed has finished and the VM shows 'ready for cutover'.")
            ctx = self._context(vm_id)
            self.store.record_cutover_request(vm_id, requested_by)
            ctx.update(cutover_requested_by=requested_by, cutover_requested_at=self.clock())
            ctx.log(f"Cutover requested by {requested_by}")
            ctx.cutover_requested.set()
            if vm_id not in self._tasks:
                ctx.cancel.clear()
                await ctx.connect()
                await recover(ctx)
                self._spawn(vm_id)

    async def test_migration(self, vm_ids: Sequence[str], *, undo: bool = False) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            self._row(vm_id)
            ctx = self._context(vm_id)
            await ctx.connect()
            await _test_migration(ctx, undo=undo)

    async def pause(self, vm_ids: Sequence[str]) -> None:
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state not in _STOPPABLE:
                self.emitter.log(vm_id, "WARNING", f"Cannot pause in state {row.state.value}")
                continue
            await self._stop(vm_id)
            self._context(vm_id).set_state(JobState.PAUSED, "paused by the user")

    async def resume(self, vm_ids: Sequence[str]) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state is not JobState.PAUSED:
                continue
            await self._continue(row)

    async def retry(self, vm_ids: Sequence[str]) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state not in (JobState.FAILED, JobState.ROLLED_BACK):
                continue
            await self._continue(row)

    async def revert_guest_prep(self, vm_ids: Sequence[str]) -> None:
        """Revert a failed guest preparation to its safety snapshot (the job stays failed; retry restarts it)."""
        for vm_id in vm_ids:
            ctx = self._context(vm_id)
            await ctx.connect()
            await revert_prep(ctx)

    async def cancel(self, vm_ids: Sequence[str], *, undo_guest: bool = False) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state.terminal:
                continue
            if row.data.get("cutover_stage") in ("after_boot", "post"):  # also when a late step failed
                raise ConflictError(f"{row.name} already runs on AHV; it cannot be cancelled any more.",
                                    hint="Retry the job to finish its last steps, or remove the AHV VM in Prism.")
            await self._stop(vm_id)
            ctx = self._context(vm_id)
            await ctx.connect()
            await cleanup_cancel(ctx, undo_guest=undo_guest)

    def set_bandwidth_limit(self, mbps: float) -> None:
        for session in self._sessions.values():
            session.scheduler.set_rate(mbps * 125_000 or None)

    async def wait(self, vm_ids: Sequence[str], until: Callable[[JobSnapshot], bool], *,
                   timeout: float | None = None) -> list[JobSnapshot]:
        """Wait until ``until`` holds for every VM or its job stopped running; returns their snapshots."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snaps = {s.vm_id: s for s in self.jobs()}
            if all(until(snaps[v]) or v not in self._tasks for v in vm_ids if v in snaps):
                return [snaps[v] for v in vm_ids if v in snaps]
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("waiting for jobs timed out")
            await asyncio.sleep(0.1)

    def running(self, vm_id: str) -> bool:
        return vm_id in self._tasks

    # -- views ------------------------------------------------------------------------------
    def jobs(self) -> list[JobSnapshot]:
        out = []
        for row in self.store.jobs():
            prog = self._contexts[row.vm_id].progress if row.vm_id in self._contexts else {}
            title = prog.get("step_title") or self._last_step_title(row.vm_id)
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

    def _last_step_title(self, vm_id: str) -> str:
        """For a job no context has run since the start (the GUI polls ``jobs``: only read when needed)."""
        steps = self.store.steps(vm_id)
        return str(steps[-1]["title"]) if steps else ""

    def steps(self, vm_id: str) -> list[StepChanged]:
        return [StepChanged(vm_id, r["step_id"], r["title"], StepState(r["state"]), r["message"],
                            r["ended"] or r["started"] or 0.0) for r in self.store.steps(vm_id)]

    def log_lines(self, vm_id: str, limit: int = 500) -> list[LogLine]:
        row = self.store.job(vm_id)
        if row is not None:
            self.emitter.name_vm(vm_id, row.name)
        return self.emitter.tail(vm_id, limit)

    def report_html(self) -> str:
        from .report import render_report

        return render_report(self.store)

    # -- the same views, read off the loop's thread ------------------------------------------
    # Under the GUI the loop's thread is the GUI thread, and these are SQLite (and log file) reads that a large
    # plan or a slow disk makes long.  Their own two threads: neither the job executor nor the loop's default
    # one (asyncio.to_thread), where adapter calls such as a cancel's VM deletions can wait for minutes.  The
    # answer may be older than events delivered meanwhile; the caller orders the two (gui/monitor_feed.py).

    async def jobs_async(self) -> list[JobSnapshot]:
        return await asyncio.get_running_loop().run_in_executor(self._views, self.jobs)

    async def steps_async(self, vm_id: str) -> list[StepChanged]:
        return await asyncio.get_running_loop().run_in_executor(self._views, self.steps, vm_id)

    async def log_lines_async(self, vm_id: str, limit: int = 500) -> list[LogLine]:
        return await asyncio.get_running_loop().run_in_executor(self._views, self.log_lines, vm_id, limit)

    async def report_html_async(self) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._views, self.report_html)

    async def close(self) -> None:
        """Stop every running job where it stands (states stay as they are; a restart continues them)."""
        for vm_id in list(self._tasks):
            await self._stop(vm_id)
        for session in self._sessions.values():
            await asyncio.to_thread(session.close)
        self._sessions.clear()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._views.shutdown(wait=False, cancel_futures=True)
        self.emitter.close()  # last: what still logs above reopens a file the finalizer would have to close

    # -- internals --------------------------------------------------------------------------
    def _row(self, vm_id: str) -> JobRow:
        row = self.store.job(vm_id)
        if row is None:
            raise NotFoundError(f"No migration job for VM {vm_id!r}.", hint="Run 'xtract-gui status' to list jobs.")
        return row

    def _session(self, plan_id: str) -> Session:
        if plan_id not in self._sessions:
            self._sessions[plan_id] = Session(plan_id, self.store.plan(plan_id), self.adapters, self.emitter,
                                              self.tuning, whitelist_locks=self._whitelist_locks)
        return self._sessions[plan_id]

    def _context(self, vm_id: str) -> JobContext:
        ctx = self._contexts.get(vm_id)
        row = self._row(vm_id)
        if ctx is None or ctx.session.plan_id != row.plan_id:
            ctx = JobContext(vm_id, self.store, self.emitter, self._session(row.plan_id), self._executor)
            self._contexts[vm_id] = ctx
            self.emitter.name_vm(vm_id, row.name)
        return ctx

    def _spawn(self, vm_id: str) -> None:
        ctx = self._context(vm_id)
        ctx.cancel.clear()
        self._tasks[vm_id] = asyncio.get_running_loop().create_task(self._guard(ctx), name=f"job-{vm_id}")

    async def _guard(self, ctx: JobContext) -> None:
        try:
            await ctx.connect()
            await run_job(ctx)
        except (asyncio.CancelledError, CancelledError):
            ctx.log("Stopped")
        except Exception as exc:
            ctx.log(f"Failed: {exc}", "ERROR")
            ctx.set_state(JobState.FAILED, str(exc), error=str(exc))
        finally:
            self._tasks.pop(ctx.vm_id, None)
            self.emitter.close_log(ctx.vm_id)

    async def _stop(self, vm_id: str) -> None:
        task = self._tasks.get(vm_id)
        ctx = self._contexts.get(vm_id)
        if ctx is not None:
            ctx.cancel.set()
        if task is None:
            return
        done, _ = await asyncio.wait({task}, timeout=15)
        if not done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _continue(self, row: JobRow) -> None:
        ctx = self._context(row.vm_id)
        seeded = row.data.get("sync_count") is not None
        back = JobState(row.resume_state) if row.resume_state else (JobState.SYNCING if seeded else JobState.PENDING)
        if row.state is JobState.ROLLED_BACK:
            back = JobState.SYNCING
        ctx.cutover_requested.clear()
        ctx.cancel.clear()
        await ctx.connect()
        await recover(ctx)
        ctx.set_state(back, "resumed")
        self._spawn(row.vm_id)
