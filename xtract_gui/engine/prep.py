"""Readiness and guest preparation: pure checks first, then the manifest's prep tasks over the guest channel.

Guest prep is guarded by a safety snapshot: taken first, removed when every task succeeded, kept
(and offered for revert) when one failed.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..domain.errors import ConfigurationError, GuestError, GuestScriptError
from ..domain.guest_tasks import GuestPhase, GuestTask, tasks_for
from ..domain.inventory import DiskSharing, OsFamily, SourceVM, TargetInventory
from ..domain.plan import GuestChannelKind, Plan
from ..domain.readiness import PLAN_WIDE, Finding, Severity, check_plan
from .context import JobContext
from .events import StepState
from .ports import GuestChannel, GuestTarget, ScriptResult, SourcePlatform, TargetPlatform
from .replicate import remove_snapshot, take_snapshot


def target_inventory(target: TargetPlatform, cluster_uuid: str) -> TargetInventory:
    """What readiness needs from the target, read with blocking calls (run it in an executor)."""
    clusters = tuple(target.clusters())
    return TargetInventory(kind=target.kind, version=target.version, clusters=clusters,
                           containers=tuple(target.containers(cluster_uuid)),
                           subnets=tuple(target.subnets(cluster_uuid)),
                           vm_names=frozenset(v.name for v in target.vms()))


def readiness_findings(plan: Plan, source: SourcePlatform, target: TargetPlatform) -> dict[str, list[Finding]]:
    """Blocking: every VM's findings plus the plan-wide ones (key ``PLAN_WIDE``)."""
    return check_plan(plan, source.inventory(), target_inventory(target, plan.target.cluster_uuid))


async def check_readiness(ctx: JobContext) -> None:
    async def run() -> None:
        found = await ctx.call(readiness_findings, ctx.plan, ctx.session.source(), ctx.session.target())
        mine = found.get(ctx.vm_id, []) + [f for f in found.get(PLAN_WIDE, []) if f.severity is Severity.BLOCKER]
        ctx.update(findings=[{**asdict(f), "severity": f.severity.value} for f in mine])
        for f in mine:
            ctx.log(f"Readiness {f.severity.value}: {f.message} Fix: {f.fix}",
                    "ERROR" if f.severity is Severity.BLOCKER else "INFO")
        blocking = [f for f in mine if f.severity is Severity.BLOCKER]
        if blocking:
            raise ConfigurationError(f"Readiness check failed: {blocking[0].message}", hint=blocking[0].fix)

    await ctx.run_step("readiness", "Checking readiness", run)


def guest_target(ctx: JobContext, vm: SourceVM) -> GuestTarget | None:
    access = ctx.vm_plan.guest
    if access.channel is GuestChannelKind.NONE or access.password is None:
        return None
    password = ctx.session.secret(access.password)
    if access.channel is GuestChannelKind.WINRM:
        host = access.winrm_host or (vm.guest_ips[0] if vm.guest_ips else "")
    else:
        host = vm.vm_id
    return GuestTarget(vm_id=vm.vm_id, os_family=vm.guest_family.value, channel=access.channel.value, host=host,
                       user=access.user, password=password, port=access.winrm_port, https=access.winrm_https,
                       allow_http_ntlm=access.allow_http_ntlm, fingerprint=access.fingerprint)


def task_params(ctx: JobContext, task: GuestTask, vm: SourceVM, target: GuestTarget,
                uploads: dict[str, Any] | None = None) -> dict[str, Any]:
    known: dict[str, Any] = {
        "user_name": target.user, "password": target.password,
        "has_shared_disks": any(d.sharing is not DiskSharing.NONE for d in vm.disks),
        "max_attempts": 15, "restore_san_policy": True, "remove_certificates": True, "restore_backups": True,
        "nics": [{"mac": n.mac, "network": n.network} for n in vm.nics],
        **(uploads or {}),
    }
    for name, resource in dict(task.extra.get("param_files", {})).items():
        try:
            known[name] = ctx.session.adapters.script_text(resource)
        except OSError:
            ctx.log(f"Resource {resource} for {task.id} is missing", "WARNING")
    return {p: known[p] for p in task.params if known.get(p) is not None}


async def upload_files(ctx: JobContext, channel: GuestChannel, vm: SourceVM) -> dict[str, Any]:
    """Put the user's VirtIO package and certificate files into the guest; returns the task params naming them."""
    opts = ctx.plan.options
    windows = vm.guest_family is OsFamily.WINDOWS
    if not windows or not (opts.virtio_package or opts.certificate_files):
        return {}
    base = "C:\\ProgramData\\xtract\\upload\\"

    async def put(local: str) -> str:
        try:
            data = await ctx.call(Path(local).read_bytes)
        except OSError as exc:
            raise ConfigurationError(f"Cannot read {local} on this computer ({exc.strerror}).",
                                     hint="Check the VirtIO package and certificate paths in the plan.") from exc
        remote = base + Path(local).name
        await ctx.call(channel.put_file, data, remote, cancel=ctx.cancel)
        ctx.log(f"Uploaded {Path(local).name} ({len(data)} bytes) to {remote}")
        return remote

    out: dict[str, Any] = {}

    async def run() -> None:
        if opts.virtio_package:
            out["package_path"] = out["driver_package"] = await put(opts.virtio_package)
        if opts.certificate_files:
            out["certificate_files"] = [await put(c) for c in opts.certificate_files]

    await ctx.run_step("guest.upload", "Uploading the driver package", run)
    return out


def script_for(ctx: JobContext, task: GuestTask) -> str:
    try:
        return ctx.session.adapters.script_text(task.script)
    except OSError as exc:
        raise GuestError(f"The guest script {task.script} is missing from this installation ({exc.strerror}).",
                         hint="Reinstall xtract-gui, or set the VM's guest channel to 'none'.") from exc


async def run_task(ctx: JobContext, channel: GuestChannel, task: GuestTask, vm: SourceVM,
                   target: GuestTarget, uploads: dict[str, Any] | None = None) -> ScriptResult:
    script = script_for(ctx, task)
    params = task_params(ctx, task, vm, target, uploads)
    shown = {k: ("***" if k in task.secret_params else v) for k, v in params.items() if k not in ("firstboot_script",)}
    ctx.log(f"[{task.id}] running {task.script} with {shown}")
    jid = ctx.store.intent(ctx.vm_id, "guest", "run_task", task.id, script=task.script)
    try:
        result = await ctx.call(channel.run_task, task, script, params, timeout=task.timeout_seconds,
                                cancel=ctx.cancel)
    except Exception as exc:
        ctx.store.outcome(jid, "failed", str(exc))
        raise
    ctx.store.outcome(jid, "ok" if result.ok else "failed", str(result.result.get("message", "")),
                      exit_code=result.exit_code, changed=result.result.get("changed"))
    ctx.log(f"[{task.id}] exit {result.exit_code}: {result.result.get('message', '')} "
            f"{'; '.join(map(str, result.result.get('warnings', [])))}".rstrip(),
            "INFO" if result.ok else "ERROR")
    if not result.ok:
        message = str(result.result.get("message") or result.stderr.strip()[-300:] or "no output")
        raise GuestScriptError(f"{task.title} failed in the guest: {message}", task_id=task.id,
                               exit_code=result.exit_code, result=result.result,
                               hint="Fix the cause in the guest and retry; the task is safe to run again.")
    return result


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
        for task in tasks:
            await ctx.run_step(f"guest.{task.id}", task.title,
                               lambda t=task: run_task(ctx, channel, t, vm, target, uploads),
                               warn_only=task.optional)
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
        for task in tasks:
            await ctx.run_step(f"{phase.value}.{task.id}", task.title,
                               lambda t=task: run_task(ctx, channel, t, vm, target), warn_only=True)
    finally:
        await ctx.call(channel.close)
