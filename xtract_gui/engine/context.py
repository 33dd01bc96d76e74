"""What a per-VM pipeline works with: the adapters of its plan, the store, the event emitter,
its cancellation flag, and small helpers that keep the step/state/journal bookkeeping in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from ..domain.errors import CancelledError, SecretMissingError, XtractError, described
from ..domain.guest_tasks import GuestTask
from ..domain.messages import msg, took
from ..domain.plan import Plan, SecretRef, SourceEndpoint, TargetEndpoint, VmPlan
from ..domain.states import JobState, can_transition
from ..resources import load_manifest, load_script  # the one resource loader
from ..transfer.retry import RetryPolicy
from ..transfer.scheduler import CopyScheduler
from ..transfer.workers import WorkerPool, default_size
from .emitter import Emitter
from .events import JobStateChanged, StepChanged, StepState
from .ports import (
    DiskWriterFactory,
    GuestChannelFactory,
    SecretStore,
    SourcePlatform,
    TargetPlatform,
)
from .resilient import Retries, call_retrying, resilient
from .store import Store

T = TypeVar("T")


@dataclass
class Adapters:
    """Factories the composition root (cli.py, gui/app.py, tests) fills; all calls are blocking."""

    secrets: SecretStore
    source: Callable[[SourceEndpoint, str], SourcePlatform]  # (endpoint, password) -> connected source
    target: Callable[[TargetEndpoint, str], TargetPlatform]
    writers: Callable[[Plan, TargetPlatform], DiskWriterFactory]
    guests: GuestChannelFactory | None = None
    # Guest channels bound to one plan's source connection (VMware Tools guest operations go through the
    # vCenter that plan reads from): called once per plan session with that session's ``source`` getter;
    # when set, the session uses what it returns instead of ``guests``.
    session_guests: Callable[[Callable[[], SourcePlatform]], GuestChannelFactory | None] | None = None
    manifest: Callable[[], list[GuestTask]] = load_manifest
    script_text: Callable[[str], str] = load_script  # prelude + body: what a guest runs
    log_dir: Path | None = None  # default: xtract_gui.paths.log_dir()


@dataclass
class Tuning:
    """Engine knobs that are not part of a plan."""

    sync_interval_seconds: float | None = None  # tests and demo: seconds instead of the plan's minutes
    guest_wait_seconds: float = 300.0
    copy_threads: int = 8
    streams_per_host: int = 4  # disks copied at once from one ESXi host
    streams_per_target: int = 8  # disks written at once into one Prism cluster
    chunk_size: int = 4 * 1024 * 1024
    checkpoint_seconds: float = 2.0
    orphan_wait_seconds: float = 60.0  # how long after a crashed create Prism may still finish it
    retry: Retries = field(default_factory=Retries)  # idempotent adapter calls after a transient fault
    copy_retry: RetryPolicy | None = None  # each chunk of a copy (None: the copy engine's own default)
    # Copy worker processes: None takes the plan's ``copy_workers``; 0 copies in this process (the way before
    # issue 17: kept for comparisons, and used for readers/writers that cannot be described to a worker).
    copy_workers: int | None = None


READINESS_REUSE_SECONDS = 10.0
PROGRESS_SAVE_SECONDS = 1.0  # how often a copy's figures reach the database for other processes


class Session:
    """The connected adapters of one plan, opened lazily and shared by its VMs."""

    def __init__(self, plan_id: str, plan: Plan, adapters: Adapters, emitter: Emitter, tuning: Tuning, *,
                 whitelist_locks: dict[str, asyncio.Lock] | None = None) -> None:
        self.plan_id, self.plan, self.tuning = plan_id, plan, tuning
        # Every plan may read from another vCenter: its guest channels are its own, never shared.
        adapters = adapters if adapters.session_guests is None else dataclasses.replace(
            adapters, guests=adapters.session_guests(self.source), session_guests=None)
        # A guest task broken off by the network is run again (the scripts are idempotent), on a new channel.
        self.adapters = dataclasses.replace(adapters, guests=resilient(adapters.guests, tuning.retry,
                                                                       wrap=frozenset({"open"})))
        self.emitter = emitter
        self._lock = threading.Lock()
        self._source: SourcePlatform | None = None
        self._target: TargetPlatform | None = None
        self._writers: DiskWriterFactory | None = None
        rate = plan.options.bandwidth_limit_mbps * 125_000 or None
        self.scheduler = CopyScheduler(tuning.copy_threads, rate=rate)
        # The byte work of every copy runs in worker processes; the scheduler's bucket is the plan's one limit.
        workers = tuning.copy_workers if tuning.copy_workers is not None else \
            (plan.options.copy_workers or default_size())
        self.workers = WorkerPool(workers, threads=tuning.copy_threads, throttle=self.scheduler.throttle,
                                  services={"secret": lambda service, user: self.secret(SecretRef(service, user))}) \
            if workers > 0 else None
        self.host_slots: dict[str, asyncio.Semaphore] = {}
        self.target_slots = asyncio.Semaphore(tuning.streams_per_target)
        self.vm_slots = asyncio.Semaphore(max(1, plan.options.max_parallel_vms))
        # One lock per cluster, shared by every plan's session (see whitelist.py).
        locks = whitelist_locks if whitelist_locks is not None else {}
        self.whitelist_lock = locks.setdefault(plan.target.cluster_uuid, asyncio.Lock())
        self._readiness_lock = asyncio.Lock()
        self._readiness: tuple[float, Any] | None = None

    def secret(self, ref: SecretRef) -> str:
        value = self.adapters.secrets.get(ref.service, ref.username)
        if not value:
            raise SecretMissingError(msg("engine.secret_missing", "No secret stored for {ref}.", ref=str(ref)),
                                     hint=msg("engine.secret_missing.hint", "Store it with: xtract-gui secret set "
                                              "{service} {user}", service=ref.service, user=ref.username))
        self.emitter.add_secrets([value])
        return value

    async def readiness(self, compute: Callable[[], Awaitable[T]]) -> T:
        """The plan's readiness, computed once for the VMs that start together.

        Every VM's job needs the same listings of vCenter and Prism; a plan of N VMs starting at once
        would otherwise list both sides N times in parallel. The result is reused for a few seconds
        only, so a retry after the user fixed a blocker sees the fix.
        """
        async with self._readiness_lock:
            if self._readiness is None or time.monotonic() - self._readiness[0] > READINESS_REUSE_SECONDS:
                self._readiness = (time.monotonic(), await compute())
            return cast(T, self._readiness[1])

    # The adapters are opened lazily (a connect is tried again after a transient fault, like any idempotent
    # call) and used through ``resilient`` proxies (see resilient.py).

    def source(self) -> SourcePlatform:
        with self._lock:
            if self._source is None:
                password = self.secret(self.plan.source.password)
                self._source = resilient(call_retrying(self.adapters.source, self.plan.source, password,
                                                       policy=self.tuning.retry, what="connect to the source"),
                                         self.tuning.retry)
            return self._source

    def target(self) -> TargetPlatform:
        with self._lock:
            if self._target is None:
                password = self.secret(self.plan.target.password)
                self._target = resilient(call_retrying(self.adapters.target, self.plan.target, password,
                                                       policy=self.tuning.retry, what="connect to the target"),
                                         self.tuning.retry)
            return self._target

    def writers(self) -> DiskWriterFactory:
        target = self.target()
        with self._lock:
            if self._writers is None:
                self._writers = resilient(call_retrying(self.adapters.writers, self.plan, target,
                                                        policy=self.tuning.retry, what="open the disk writers"),
                                          self.tuning.retry)
            return self._writers

    def host_slot(self, host: str) -> asyncio.Semaphore:
        return self.host_slots.setdefault(host, asyncio.Semaphore(self.tuning.streams_per_host))

    def close(self) -> None:
        for obj in (self._writers, self._source, self._target):
            if obj is not None:
                with contextlib.suppress(Exception):  # best effort; the process may be going away
                    obj.close()
        self._writers = self._source = self._target = None
        if self.workers is not None:
            self.workers.close()
        self.scheduler.close()
        for vm in self.plan.vms:
            self.emitter.close_log(vm.vm_id)


@dataclass
class JobContext:
    vm_id: str
    store: Store
    emitter: Emitter
    session: Session
    executor: ThreadPoolExecutor
    cancel: threading.Event = field(default_factory=threading.Event)
    cutover_requested: asyncio.Event = field(default_factory=asyncio.Event)
    sync_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    progress: dict[str, Any] = field(default_factory=dict)

    @property
    def plan(self) -> Plan:
        return self.session.plan

    @property
    def vm_plan(self) -> VmPlan:
        return self.session.plan.vm(self.vm_id)

    @property
    def data(self) -> dict[str, Any]:
        row = self.store.job(self.vm_id)
        return row.data if row else {}

    def update(self, **changes: Any) -> None:
        self.store.update_data(self.vm_id, **changes)

    async def connect(self) -> None:
        """Open the plan's adapters on the executor before the job uses them.

        ``Session`` opens them lazily on first use, and a first use is a TLS handshake, a login and
        (Prism) a product probe: run from a coroutine that would block the event loop, which is the
        GUI thread under qasync. After this, ``session.source()``/``target()``/``writers()`` return at once.
        """
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.executor, self.session.source)
        await loop.run_in_executor(self.executor, self.session.writers)  # opens the target too

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking adapter call on the bounded executor."""
        if self.cancel.is_set():
            raise CancelledError("The job was stopped.")
        loop = asyncio.get_running_loop()
        store, call = self.store, functools.partial(fn, *args, **kwargs)

        def after_journal() -> T:
            store.barrier()  # the intents the loop queued before this call are committed before it acts
            return call()

        return await loop.run_in_executor(self.executor, after_journal)

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """A blocking side effect on a thread, after the journal's queued intents are committed; unlike ``call`` it
        runs after a cancel too (clean-ups do)."""
        store = self.store

        def after_journal() -> T:
            store.barrier()
            return fn(*args)

        return await asyncio.to_thread(after_journal)

    def log(self, message: str, level: str = "INFO") -> None:
        self.emitter.log(self.vm_id, level, message)

    def report_progress(self, step_id: str, done: int, total: int, rate: float, eta: float | None) -> None:
        """The copy's figures: kept here for this process, and written about once a second (and at the start and
        the end) for every other reader of the database.  Called from copy threads."""
        self.progress.update(done_bytes=done, total_bytes=total, rate=rate, eta=eta, at=time.time())
        now = time.monotonic()
        if done == 0 or done >= total or now - float(self.progress.get("saved", 0.0)) >= PROGRESS_SAVE_SECONDS:
            self.progress["saved"] = now
            self.store.save_progress(self.vm_id, step_id, done, total, rate, eta)

    def state(self) -> JobState:
        row = self.store.job(self.vm_id)
        return row.state if row else JobState.PENDING

    def set_state(self, new: JobState, reason: str = "", *, error: str | None = None) -> None:
        old = self.state()
        if old is new:
            return
        if not can_transition(old, new):
            self.log(f"State change {old.value} -> {new.value} is not allowed; kept {old.value}.", "WARNING")
            return
        resume = old.value if new in (JobState.PAUSED, JobState.FAILED) and old.active else None
        self.store.set_state(self.vm_id, new, error=error if error is not None else ("" if new.active else None),
                             resume_state=resume)
        self.emitter.emit(JobStateChanged(self.vm_id, old, new, reason))
        self.log(f"State {old.value} -> {new.value}" + (f": {reason}" if reason else ""))
        if not new.active and new is not JobState.PENDING:
            self.emitter.close_log(self.vm_id)  # the job stops running here: no need to hold its file open

    def step(self, step_id: str, title: str, state: StepState, message: str = "") -> None:
        self.store.record_step(self.vm_id, step_id, title, state.value, message)
        self.emitter.emit(StepChanged(self.vm_id, step_id, title, state, message))
        self.progress["step_title"] = title if state is StepState.RUNNING else self.progress.get("step_title", title)
        if state is not StepState.RUNNING:
            self.log(f"Task '{title}' {state.value}" + (f": {message}" if message else ""),
                     "WARNING" if state in (StepState.WARNING, StepState.FAILED) else "INFO")

    async def run_step(self, step_id: str, title: str, fn: Callable[[], Any], *, warn_only: bool = False) -> Any:
        """Record a step around ``await fn()``: running, then succeeded/failed with the error text."""
        self.step(step_id, title, StepState.RUNNING)
        started = time.monotonic()
        try:
            result = await fn()
        except asyncio.CancelledError:
            self.step(step_id, title, StepState.PENDING, msg("step.interrupted", "interrupted"))
            raise
        except CancelledError:
            self.step(step_id, title, StepState.PENDING, msg("step.interrupted", "interrupted"))
            raise
        except Exception as exc:
            self.step(step_id, title, StepState.WARNING if warn_only else StepState.FAILED, described(exc))
            if isinstance(exc, XtractError) and exc.detail:
                # The remote words or the trace behind a message: what support needs, kept out of the message.
                self.log(f"Details of '{title}': {exc.detail}", "DEBUG")
            if warn_only:
                return None
            raise
        self.step(step_id, title, StepState.SUCCEEDED, took(time.monotonic() - started))
        return result
