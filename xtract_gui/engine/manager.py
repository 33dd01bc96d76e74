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
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..domain.errors import CancelledError, ConflictError, NotFoundError, XtractError, described
from ..domain.messages import msg
from ..domain.plan import Plan
from ..domain.states import JobState
from .context import Adapters, JobContext, Session, Tuning
from .cutover import test_migration as _test_migration
from .emitter import Emitter
from .events import Event, LogLine, StepChanged, StepState
from .locks import JobLockedError, JobLocks, describe_process
from .pipeline import cleanup_cancel, recover, run_job
from .plan_update import review_plan_change
from .prep import revert_prep
from .resilient import retryable
from .store import JobRow, Store
from .views import JobSnapshot, not_ready, snapshots

__all__ = ["JobLockedError", "JobManager", "JobSnapshot"]

_STOPPABLE = {JobState.PENDING, JobState.VALIDATING, JobState.PREPARING, JobState.SEEDING, JobState.SYNCING}


class JobManager:
    def __init__(self, *, store: Store, adapters: Adapters, clock: Callable[[], float] = time.time,
                 tuning: Tuning | None = None, owner: str = "") -> None:
        """``owner`` says what this process is ("xtract-gui run plan.json", "the xtract-gui wizard") to another
        process that finds a job locked by it (locks.py)."""
        from ..paths import log_dir

        self.store = store
        self.locks = JobLocks(Path(store.path).parent / "locks", who=describe_process(owner))
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
        self._bandwidth_mbps: float | None = None  # set by a person while jobs run (None: each plan's own)

    # -- events -----------------------------------------------------------------------------
    def subscribe(self, sink: Callable[[Event], None]) -> Callable[[], None]:
        return self.emitter.subscribe(sink)

    # -- plans and jobs ---------------------------------------------------------------------
    async def start(self, plan: Plan) -> str:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm in plan.vms:
            row = self.store.job(vm.vm_id)
            if row is not None and not row.state.terminal:
                raise ConflictError(msg("manager.already_migrating", "{vm} is already in a migration ({state}).",
                                        vm=row.name, state=row.state.value),
                                    hint=msg("manager.already_migrating.hint",
                                             "Resume, retry or cancel that migration first."))
            holder = self.locks.holder(vm.vm_id)
            if holder is not None and not self.locks.held(vm.vm_id):
                raise JobLockedError(f"{vm.name} is being migrated by another xtract-gui process: {holder}.",
                                     holder=holder, hint="Use that window or terminal, or stop it and run this again.")
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
            try:
                self.locks.acquire(row.vm_id, row.name)
            except JobLockedError as exc:  # another process drives it: leave it alone
                self.emitter.log(row.vm_id, "INFO", f"Not continued here: {exc.holder} drives this job")
                continue
            ctx = self._context(row.vm_id)
            ctx.log("Continuing after a restart")
            ctx.cancel.clear()
            try:
                await ctx.connect()
                await recover(ctx)
            except XtractError as exc:
                self.locks.release(row.vm_id)
                if retryable(exc):  # the network or a peer, for now: the job is as good as it was
                    ctx.log(f"Could not continue now ({exc}); it stays {row.state.value} and continues at the "
                            "next start", "WARNING")
                else:
                    ctx.set_state(JobState.FAILED, exc.describe(), error=exc.describe())
                continue
            if row.state is JobState.SYNCING and row.data.get("cutover_requested_by") and \
                    row.data.get("cutover_stage"):
                ctx.cutover_requested.set()
            self._spawn(row.vm_id)

    async def cutover(self, vm_ids: Sequence[str], *, requested_by: str) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        # All or nothing: a selection with one VM that cannot cut over now must not shut the others down.
        rows = [self._row(vm_id) for vm_id in vm_ids]
        for row in rows:
            if row.state is not JobState.SYNCING or row.data.get("sync_count") is None:
                raise not_ready(row)
        for row in rows:
            vm_id = row.vm_id
            if self.locks.elsewhere(vm_id):
                # Another process drives the job: it reads the request from the store at its next idle moment.
                self.store.record_cutover_request(vm_id, requested_by)
                self.emitter.log(vm_id, "INFO", f"Cutover requested by {requested_by}; the process that drives "
                                                f"the job ({self.locks.holder(vm_id)}) carries it out")
                continue
            ctx = self._context(vm_id)
            if vm_id not in self._tasks:
                taken = self.locks.acquire(vm_id, row.name)
                try:
                    ctx.cancel.clear()
                    await ctx.connect()
                    await recover(ctx)
                except BaseException:
                    if taken:
                        self.locks.release(vm_id)
                    raise
            self.store.record_cutover_request(vm_id, requested_by)
            ctx.update(cutover_requested_by=requested_by, cutover_requested_at=self.clock())
            ctx.log(f"Cutover requested by {requested_by}")
            ctx.cutover_requested.set()
            if vm_id not in self._tasks:
                self._spawn(vm_id)

    async def test_migration(self, vm_ids: Sequence[str], *, undo: bool = False) -> None:
        self.emitter.bind_loop(asyncio.get_running_loop())
        for vm_id in vm_ids:
            row = self._row(vm_id)
            async with self._holding(row):
                ctx = self._context(vm_id)
                await ctx.connect()
                await _test_migration(ctx, undo=undo)

    async def pause(self, vm_ids: Sequence[str]) -> None:
        for vm_id in vm_ids:
            row = self._row(vm_id)
            if row.state not in _STOPPABLE:
                self.emitter.log(vm_id, "WARNING", f"Cannot pause in state {row.state.value}")
                continue
            self._refuse_elsewhere(row)
            await self._stop(vm_id)
            self._context(vm_id).set_state(JobState.PAUSED, msg("state.paused_by_user", "paused by the user"))

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
            async with self._holding(self._row(vm_id)):
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
                raise ConflictError(msg("manager.cannot_cancel", "{vm} already runs on AHV; it cannot be cancelled "
                                        "any more.", vm=row.name),
                                    hint=msg("manager.cannot_cancel.hint", "Retry the job to finish its last steps, "
                                             "or remove the AHV VM in Prism."))
            self._refuse_elsewhere(row)
            await self._stop(vm_id)
            async with self._holding(row):
                ctx = self._context(vm_id)
                await ctx.connect()
                await cleanup_cancel(ctx, undo_guest=undo_guest)

    def set_bandwidth_limit(self, mbps: float) -> None:
        """One limit (Mbit/s, 0: none) for every copy of this process, now and for sessions opened later."""
        self._bandwidth_mbps = max(0.0, float(mbps))
        for session in self._sessions.values():
            session.scheduler.set_rate(self._bandwidth_mbps * 125_000 or None)

    def bandwidth_limit(self) -> float:
        """The limit in force (Mbit/s, 0: none): the one set here, else that of the newest plan with a job."""
        if self._bandwidth_mbps is not None:
            return self._bandwidth_mbps
        with_jobs = {row.plan_id for row in self.store.jobs()}
        for plan_id in reversed(self.store.plan_ids()):
            if plan_id in with_jobs:
                return float(self.store.plan(plan_id).options.bandwidth_limit_mbps)
        return 0.0

    async def wait(self, vm_ids: Sequence[str], until: Callable[[JobSnapshot], bool], *,
                   timeout: float | None = None) -> list[JobSnapshot]:
        """Wait until ``until`` holds for every VM or its job stopped running; returns their snapshots."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            snaps = {s.vm_id: s for s in self.jobs()}
            if all(until(snaps[v]) or not self.running(v) for v in vm_ids if v in snaps):
                return [snaps[v] for v in vm_ids if v in snaps]
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError("waiting for jobs timed out")
            await asyncio.sleep(0.1 if all(v in self._tasks for v in vm_ids) else 0.3)

    def running(self, vm_id: str) -> bool:
        """The job runs here, or another process drives it."""
        return vm_id in self._tasks or self.locks.elsewhere(vm_id)

    def update_plan(self, plan_id: str, plan: Plan) -> list[str]:
        """Apply an edited plan to the jobs of ``plan_id`` (none of them may run here now): the safe changes
        (addresses, ports, credential references, pins, interval, bandwidth…) are kept, anything else is refused
        with a ``ConfigurationError`` naming the fields.  Returns the fields that changed."""
        if any(self._contexts[v].session.plan_id == plan_id for v in self._tasks if v in self._contexts):
            raise ConflictError(msg("manager.plan_running", "The plan's jobs are running in this window."),
                            hint=msg("manager.plan_running.hint", "Pause them first."))
        changed = review_plan_change(self.store.plan(plan_id), plan)
        if changed:
            self.store.save_plan(plan_id, plan)
            session = self._sessions.pop(plan_id, None)
            if session is not None:
                session.close()
            for vm_id in [v for v, c in self._contexts.items() if c.session.plan_id == plan_id]:
                del self._contexts[vm_id]
        return changed

    # -- views ------------------------------------------------------------------------------
    def plan_ids(self) -> list[str]:
        return self.store.plan_ids()

    def plan(self, plan_id: str) -> Plan:
        return self.store.plan(plan_id)

    def jobs(self) -> list[JobSnapshot]:
        return snapshots(self.store, {v: c.progress for v, c in self._contexts.items()})

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
        self.locks.release_all()
        self.emitter.close()  # last: what still logs above reopens a file the finalizer would have to close

    # -- internals --------------------------------------------------------------------------
    def _row(self, vm_id: str) -> JobRow:
        row = self.store.job(vm_id)
        if row is None:
            raise NotFoundError(msg("manager.no_job", "No migration job for VM {vm}.", vm=vm_id),
                                hint=msg("manager.no_job.hint", "Run 'xtract-gui status' to list jobs."))
        return row

    def _session(self, plan_id: str) -> Session:
        if plan_id not in self._sessions:
            self._sessions[plan_id] = Session(plan_id, self.store.plan(plan_id), self.adapters, self.emitter,
                                              self.tuning, whitelist_locks=self._whitelist_locks)
            if self._bandwidth_mbps is not None:  # what the person set holds for jobs resumed later too
                self._sessions[plan_id].scheduler.set_rate(self._bandwidth_mbps * 125_000 or None)
        return self._sessions[plan_id]

    def _context(self, vm_id: str) -> JobContext:
        ctx = self._contexts.get(vm_id)
        row = self._row(vm_id)
        if ctx is None or ctx.session.plan_id != row.plan_id:
            ctx = JobContext(vm_id, self.store, self.emitter, self._session(row.plan_id), self._executor)
            self._contexts[vm_id] = ctx
            self.emitter.name_vm(vm_id, row.name)
        return ctx

    def _refuse_elsewhere(self, row: JobRow) -> None:
        if self.locks.elsewhere(row.vm_id):
            holder = self.locks.holder(row.vm_id) or "another xtract-gui"
            raise JobLockedError(f"{row.name} is being migrated by another xtract-gui process: {holder}.",
                                 holder=holder, hint="Use that window or terminal to pause or cancel it.")

    @contextlib.asynccontextmanager
    async def _holding(self, row: JobRow) -> AsyncIterator[None]:
        """The job's lock for a command that works on it (cancel, test migration), unless its task holds it."""
        taken = self.locks.acquire(row.vm_id, row.name)
        try:
            yield
        finally:
            if taken and row.vm_id not in self._tasks:
                self.locks.release(row.vm_id)

    def _spawn(self, vm_id: str) -> None:
        ctx = self._context(vm_id)
        self.locks.acquire(vm_id, self._row(vm_id).name)  # held until the job's task ends
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
            ctx.set_state(JobState.FAILED, described(exc), error=described(exc))
        finally:
            self._tasks.pop(ctx.vm_id, None)
            self.locks.release(ctx.vm_id)
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
        taken = self.locks.acquire(row.vm_id, row.name)
        try:
            await ctx.connect()
            await recover(ctx)
        except BaseException:
            if taken:
                self.locks.release(row.vm_id)
            raise
        ctx.set_state(back, msg("state.resumed", "resumed"))
        self._spawn(row.vm_id)
