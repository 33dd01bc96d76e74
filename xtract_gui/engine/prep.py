"""Readiness and guest preparation: pure checks first, then the manifest's prep tasks over the guest channel.

Guest prep is guarded by a safety snapshot: taken first, removed when every task succeeded, kept
(and offered for revert) when one failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..domain.errors import CancelledError, ConfigurationError, GuestError, GuestScriptError, XtractError
from ..domain.guest_tasks import GuestPhase, GuestTask, tasks_for
from ..domain.inventory import DiskSharing, OsFamily, SourceVM, TargetInventory
from ..domain.messages import encode, msg, raw
from ..domain.plan import GuestChannelKind, Plan, TransferMode
from ..domain.readiness import PLAN_WIDE, Finding, Severity, check_plan
from ..domain.redact import scrub
from ..resources import load_script
from .context import JobContext
from .events import StepState
from .ports import (
    Cancellation,
    GuestChannel,
    GuestTarget,
    ProgressFn,
    ScriptResult,
    SourcePlatform,
    TargetPlatform,
    no_progress,
)
from .replicate import remove_snapshot, take_snapshot

log = logging.getLogger("xtract_gui.engine.prep")
BlockingCall = Callable[..., Awaitable[Any]]  # runs a blocking channel call: asyncio.to_thread, JobContext.call


def target_inventory(target: TargetPlatform, cluster_uuid: str, nfs_client: str = "") -> TargetInventory:
    """What readiness needs from the target, read with blocking calls (run it in an executor)."""
    clusters = tuple(target.clusters())
    return TargetInventory(kind=target.kind, version=target.version, clusters=clusters,
                           containers=tuple(target.containers(cluster_uuid)),
                           subnets=tuple(target.subnets(cluster_uuid)),
                           vm_names=frozenset(v.name for v in target.vms()), nfs_client=nfs_client)


def readiness_findings(plan: Plan, source: SourcePlatform, target: TargetPlatform,
                       nfs_client: Callable[[], str] | None = None) -> dict[str, list[Finding]]:
    """Blocking: every VM's findings plus the plan-wide ones (key ``PLAN_WIDE``).  ``nfs_client`` gives this
    laptop's NFS whitelist entry (warm mode), so readiness can tell whether a container's own whitelist has it."""
    client = ""
    if nfs_client is not None and plan.transfer_mode is TransferMode.WARM:
        try:
            client = nfs_client()
        except XtractError as exc:  # no route to the NFS address: the whitelist step says so in its turn
            log.info("This laptop's NFS address is not known for readiness: %s", exc)
    return check_plan(plan, source.inventory(), target_inventory(target, plan.target.cluster_uuid, client))


async def check_readiness(ctx: JobContext) -> None:
    async def run() -> None:
        found = await ctx.session.readiness(
            lambda: ctx.call(readiness_findings, ctx.plan, ctx.session.source(), ctx.session.target(),
                             lambda: ctx.session.writers().whitelist_entry))
        mine = found.get(ctx.vm_id, []) + [f for f in found.get(PLAN_WIDE, []) if f.severity is Severity.BLOCKER]
        # Kept as messages (JSON): the monitor's cutover dialog and the report show them in the reader's language.
        ctx.update(findings=[{**asdict(f), "severity": f.severity.value, "message": encode(f.message),
                              "fix": encode(f.fix), "section": str(f.section)} for f in mine])
        for f in mine:
            ctx.log(f"Readiness {f.severity.value}: {f.message} Fix: {f.fix}",
                    "ERROR" if f.severity is Severity.BLOCKER else "INFO")
        blocking = [f for f in mine if f.severity is Severity.BLOCKER]
        if blocking:
            raise ConfigurationError(msg("engine.readiness_failed", "Readiness check failed: {reason}",
                                         reason=blocking[0].message), hint=blocking[0].fix)

    await ctx.run_step("readiness", "Checking readiness", run)


def guest_target(ctx: JobContext, vm: SourceVM) -> GuestTarget | None:
    access = ctx.vm_plan.guest
    if access.channel is GuestChannelKind.SSH:
        return ssh_target(ctx, vm)
    if access.channel is GuestChannelKind.NONE or access.password is None:
        return None
    password = ctx.session.secret(access.password)
    if access.channel is GuestChannelKind.WINRM:
        host = access.winrm_host or (vm.guest_ips[0] if vm.guest_ips else "")
    else:
        host = vm.vm_id
    return GuestTarget(vm_id=vm.vm_id, os_family=vm.guest_family.value, channel=access.channel.value, host=host,
                       user=access.user, password=password, port=access.winrm_port, https=access.winrm_https,
                       allow_http_ntlm=access.allow_http_ntlm, fingerprint=access.fingerprint,
                       auth=access.winrm_auth)


def ssh_target(ctx: JobContext, vm: SourceVM) -> GuestTarget | None:
    """SSH: a password, a private key, or both (the password then unlocks the key and answers sudo)."""
    access = ctx.vm_plan.guest
    if access.password is None and access.ssh_key is None:
        return None
    password = ctx.session.secret(access.password) if access.password is not None else ""
    key = ctx.session.secret(access.ssh_key) if access.ssh_key is not None else ""
    host = access.ssh_host or (vm.guest_ips[0] if vm.guest_ips else "")
    return GuestTarget(vm_id=vm.vm_id, os_family=vm.guest_family.value, channel=access.channel.value, host=host,
                       user=access.user, password=password, port=access.ssh_port or 22,
                       host_key=access.ssh_host_key, private_key=key)


def prep_values(ctx: JobContext, vm: SourceVM, target: GuestTarget,
                uploads: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every task parameter the plan and the VM provide; ``task_params`` gives each task its own."""
    return {
        "user_name": target.user, "password": target.password,
        "has_shared_disks": any(d.sharing is not DiskSharing.NONE for d in vm.disks),
        "deadline_minutes": 30, "restore_san_policy": True, "remove_certificates": True, "restore_backups": True,
        "nics": [{"mac": n.mac, "network": n.network} for n in vm.nics],
        **(uploads or {}),
    }


def task_params(task: GuestTask, values: Mapping[str, Any], loader: Callable[[str], str] = load_script
                ) -> dict[str, Any]:
    """The task's own parameters: its ``params`` out of ``values``, then the manifest's ``extra``.

    ``extra.param_files`` values are resource texts (through ``loader``, so the first-boot script
    arrives with its prelude); ``extra.fixed_params`` are constants that tell apart tasks sharing
    one script (the sha1 and sha2 certificate tasks) and win over anything the plan provides.
    """
    params = {name: values[name] for name in task.params if values.get(name) is not None}
    for name, relative in dict(task.extra.get("param_files", {})).items():
        params.setdefault(name, loader(str(relative)))
    params.update(dict(task.extra.get("fixed_params", {})))
    return params

async def upload_files(ctx: JobContext, channel: GuestChannel, vm: SourceVM) -> dict[str, Any]:
    """Put the user's VirtIO package and certificate files into the guest; returns the task params naming them."""
    opts = ctx.plan.options
    windows = vm.guest_family is OsFamily.WINDOWS
    if not windows or not (opts.virtio_package or opts.certificate_files):
        return {}
    base = "C:\\ProgramData\\xtract\\upload\\"

    digests: dict[str, str] = {}

    async def put(local: str) -> str:
        try:
            data = await ctx.call(Path(local).read_bytes)
        except OSError as exc:
            raise ConfigurationError(f"Cannot read {local} on this computer ({exc.strerror}).",
                                     hint="Check the VirtIO package and certificate paths in the plan.") from exc
        remote = base + Path(local).name
        await ctx.call(channel.put_file, data, remote, cancel=ctx.cancel)
        digests[remote] = hashlib.sha256(data).hexdigest()  # install_virtio checks it right before msiexec
        ctx.log(f"Uploaded {Path(local).name} ({len(data)} bytes, SHA-256 {digests[remote]}) to {remote}")
        return remote

    out: dict[str, Any] = {}

    async def run() -> None:
        if opts.virtio_package:
            out["package_path"] = out["driver_package"] = await put(opts.virtio_package)
            out["package_sha256"] = digests[out["package_path"]]
        if opts.certificate_files:
            out["certificate_files"] = [await put(c) for c in opts.certificate_files]

    await ctx.run_step("guest.upload", "Uploading the driver package", run)
    return out


@dataclass(frozen=True)
class TaskOutcome:
    task: GuestTask
    result: ScriptResult | None  # None when the channel itself failed
    error: str = ""  # why it failed, in words for the job monitor

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok and not self.error

    @property
    def changed(self) -> bool:
        return bool(self.result is not None and self.result.result.get("changed"))

    @property
    def message(self) -> str:
        if self.error:
            return self.error
        return str(self.result.result.get("message", "")) if self.result is not None else ""


@dataclass
class SequenceReport:
    outcomes: list[TaskOutcome] = field(default_factory=list)
    failed: TaskOutcome | None = None  # the required task that stopped the sequence

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def changed(self) -> bool:
        return any(o.changed for o in self.outcomes)

    def raise_for_failure(self) -> None:
        if self.failed is None:
            return
        res = self.failed.result
        raise GuestScriptError(
            msg("guest.task_failed", "Guest task \"{title}\" failed: {why}", title=self.failed.task.title,
                why=raw(self.failed.message)),
            task_id=self.failed.task.id, exit_code=res.exit_code if res is not None else -1,
            result=res.result if res is not None else None,
            hint=msg("guest.task_failed.hint", "Fix the cause in the guest and run the preparation again; tasks "
                     "already done are skipped safely."),
            detail=res.stderr[-2000:] if res is not None else "")


class SequenceObserver(Protocol):
    """What the job monitor hears of a sequence; called on the event loop, never from a worker."""

    def started(self, task: GuestTask, params: Mapping[str, Any]) -> None: ...

    def finished(self, outcome: TaskOutcome, warn_only: bool) -> None: ...

    def interrupted(self, task: GuestTask, exc: BaseException) -> None: ...


class _Quiet:
    def started(self, task: GuestTask, params: Mapping[str, Any]) -> None:
        """Nobody listens."""

    def finished(self, outcome: TaskOutcome, warn_only: bool) -> None:
        """Nobody listens."""

    def interrupted(self, task: GuestTask, exc: BaseException) -> None:
        """Nobody listens."""


def _failure_text(result: ScriptResult) -> str:
    message = str(result.result.get("message") or "").strip()
    if message:
        return message
    tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-1:] or [""]
    return f"exit code {result.exit_code}, no result line" + (f": {tail[0][:300]}" if tail[0] else "")


async def run_sequence(channel: GuestChannel, tasks: Sequence[GuestTask], values: Mapping[str, Any], *,
                       loader: Callable[[str], str] = load_script, call: BlockingCall = asyncio.to_thread,
                       progress: ProgressFn = no_progress, cancel: Cancellation | None = None,
                       observer: SequenceObserver | None = None, stop_on_failure: bool = True) -> SequenceReport:
    """Run ``tasks`` in their order over ``channel``; the one guest task sequencer.

    ``values`` holds every parameter the plan provides (secrets resolved); each task gets only its
    own (``task_params``). A required task's failure stops the sequence and is ``report.failed``;
    an optional one's (or any, with ``stop_on_failure=False``: post and undo phases) is a warning.
    ``call`` runs the blocking channel call (the job's bounded executor in the engine). A
    cancellation propagates as ``CancelledError``, once the running task was stopped in the guest.
    """
    report, seen = SequenceReport(), observer or _Quiet()
    ordered = sorted(tasks, key=lambda t: t.order)
    secrets = [str(values[n]) for t in ordered for n in t.secret_params if values.get(n)]
    for index, task in enumerate(ordered):
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Guest preparation was cancelled before \"{task.title}\".")
        progress(index / max(1, len(ordered)), task.title)
        warn_only = task.optional or not stop_on_failure
        try:
            params = task_params(task, values, loader)
            script = loader(task.script)
        except XtractError as exc:  # a resource missing from this installation
            outcome = TaskOutcome(task, None, error=str(exc))
        else:
            seen.started(task, params)
            try:
                result = await call(channel.run_task, task, script, params, timeout=task.timeout_seconds,
                                    cancel=cancel)
            except (CancelledError, asyncio.CancelledError) as exc:
                seen.interrupted(task, exc)
                raise
            except XtractError as exc:
                outcome = TaskOutcome(task, None, error=str(exc))
            else:
                outcome = TaskOutcome(task, result, error="" if result.ok else _failure_text(result))
        report.outcomes.append(outcome)
        seen.finished(outcome, warn_only)
        if outcome.ok:
            log.info("guest task %s: ok, changed=%s", task.id, outcome.changed)
            continue
        log.warning("guest task %s failed%s: %s", task.id, " (warning only)" if warn_only else "",
                    scrub(outcome.message, secrets))
        if not warn_only:
            report.failed = outcome
            break
    progress(1.0, "done" if report.ok else f"failed: {report.failed.task.title if report.failed else ''}")
    return report


class _JobRecorder:
    """A sequence as the job monitor shows it: one step, one journal entry and log lines per task."""

    def __init__(self, ctx: JobContext, step_prefix: str) -> None:
        self.ctx, self.prefix = ctx, step_prefix
        self.started_at: dict[str, float] = {}
        self.journal: dict[str, int] = {}

    def started(self, task: GuestTask, params: Mapping[str, Any]) -> None:
        ctx = self.ctx
        ctx.step(f"{self.prefix}.{task.id}", task.title, StepState.RUNNING)
        shown = {k: ("***" if k in task.secret_params else v) for k, v in params.items() if k != "firstboot_script"}
        ctx.log(f"[{task.id}] running {task.script} with {shown}")
        self.journal[task.id] = ctx.store.intent(ctx.vm_id, "guest", "run_task", task.id, script=task.script)
        self.started_at[task.id] = time.monotonic()

    def finished(self, outcome: TaskOutcome, warn_only: bool) -> None:
        ctx, task, res = self.ctx, outcome.task, outcome.result
        jid = self.journal.pop(task.id, None)
        if jid is not None:
            extra = {"exit_code": res.exit_code, "changed": res.result.get("changed")} if res is not None else {}
            ctx.store.outcome(jid, "ok" if outcome.ok else "failed", outcome.message, **extra)
        if res is not None:
            warnings = "; ".join(map(str, res.result.get("warnings", [])))
            ctx.log(f"[{task.id}] exit {res.exit_code}: {res.result.get('message', '')} {warnings}".rstrip(),
                    "INFO" if res.ok else "ERROR")
        step_id = f"{self.prefix}.{task.id}"
        if outcome.ok:
            elapsed = time.monotonic() - self.started_at.pop(task.id, time.monotonic())
            ctx.step(step_id, task.title, StepState.SUCCEEDED, f"{elapsed:.1f} s")
            return
        state = StepState.WARNING if warn_only else StepState.FAILED
        ctx.step(step_id, task.title, state, f"{task.title} failed in the guest: {outcome.message}")

    def interrupted(self, task: GuestTask, exc: BaseException) -> None:
        jid = self.journal.pop(task.id, None)
        if jid is not None and isinstance(exc, CancelledError):  # asyncio's: the process stops; keep it open
            self.ctx.store.outcome(jid, "failed", str(exc))
        self.ctx.step(f"{self.prefix}.{task.id}", task.title, StepState.PENDING, "interrupted")


def script_for(ctx: JobContext, task: GuestTask) -> str:
    """The text the channel sends for ``task`` (prelude + body), from the adapters' resource loader."""
    try:
        return ctx.session.adapters.script_text(task.script)
    except (OSError, XtractError) as exc:
        raise GuestError(f"The guest script {task.script} is missing from this installation ({exc}).",
                         hint="Reinstall xtract-gui, or set the VM's guest channel to 'none'.") from exc

async def open_channel(ctx: JobContext, target: GuestTarget) -> GuestChannel:
    factory = ctx.session.adapters.guests
    if factory is None:
        raise GuestError("No guest channel is available in this build.",
                         hint="Set the VM's guest channel to 'none' and prepare the guest by hand.")
    return await ctx.call(factory.open, target)


async def guest_prep(ctx: JobContext, vm: SourceVM) -> None:
    target = guest_target(ctx, vm)
    tasks = tasks_for(ctx.session.adapters.manifest(), vm.guest_family, GuestPhase.PREP)
    if target is None or not tasks:
        ctx.step("guest.prep", "Preparing the guest", StepState.SKIPPED,
                 "guest channel is 'none'" if target is None else "no preparation tasks for this OS")
        ctx.update(prep_done=True)
        return
    snap = await ctx.run_step("guest.snapshot", "Taking a safety snapshot", lambda: take_snapshot(ctx, "prep"))
    ctx.update(prep_snapshot=snap.snapshot_id)
    channel = await open_channel(ctx, target)
    try:
        uploads = await upload_files(ctx, channel, vm)
        report = await run_sequence(channel, tasks, prep_values(ctx, vm, target, uploads),
                                    loader=ctx.session.adapters.script_text, call=ctx.call, cancel=ctx.cancel,
                                    observer=_JobRecorder(ctx, "guest"))
        report.raise_for_failure()
    except GuestError as exc:
        ctx.log(f"Guest preparation stopped; safety snapshot {snap.snapshot_id} is kept so the guest can be "
                "reverted to it (Revert guest preparation).", "WARNING")
        raise GuestError(str(exc), hint="Revert to the safety snapshot or fix the guest, then retry.") from exc
    finally:
        await ctx.call(channel.close)
    await ctx.run_step("guest.snapshot_remove", "Removing the safety snapshot",
                       lambda: remove_snapshot(ctx, snap.snapshot_id))
    ctx.update(prep_done=True, prep_snapshot=None)


async def revert_prep(ctx: JobContext) -> bool:
    """Revert the guest to the kept safety snapshot and remove it; False when there is none."""
    snap_id = ctx.data.get("prep_snapshot")
    if not snap_id:
        return False
    src = ctx.session.source()

    async def run() -> None:
        jid = ctx.store.intent(ctx.vm_id, "source", "revert_snapshot", snap_id)
        await ctx.call(src.revert_snapshot, ctx.vm_id, snap_id)
        ctx.store.outcome(jid, "ok")
        await remove_snapshot(ctx, snap_id)

    await ctx.run_step("guest.revert", "Reverting guest preparation", run)
    ctx.update(prep_snapshot=None, prep_done=None)
    return True


async def run_phase(ctx: JobContext, vm: SourceVM, phase: GuestPhase, *, skip: tuple[str, ...] = ()) -> None:
    """Run every task of ``phase`` (post clean-up, undo) in order; failures are warnings here."""
    target = guest_target(ctx, vm)
    tasks = [t for t in tasks_for(ctx.session.adapters.manifest(), vm.guest_family, phase)
             if not t.id.endswith(skip)]
    if target is None or not tasks:
        return
    channel = await open_channel(ctx, target)
    try:
        await run_sequence(channel, tasks, prep_values(ctx, vm, target), loader=ctx.session.adapters.script_text,
                           call=ctx.call, cancel=ctx.cancel, observer=_JobRecorder(ctx, phase.value),
                           stop_on_failure=False)
    finally:
        await ctx.call(channel.close)
