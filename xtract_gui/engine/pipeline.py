"""The per-VM pipeline: readiness → guest prep → seed → delta syncs → cutover → post, plus the
clean-up that cancel needs and the recovery that a restart needs.

Every phase looks at what the job already recorded (``validated``, ``prep_done``, ``sync_count``,
``cutover_stage``) and skips what is done, so one function serves a fresh start, a resume after a
pause, a retry after a failure and a restart after a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from datetime import datetime

from ..domain.errors import CancelledError
from ..domain.guest_tasks import GuestPhase
from ..domain.messages import msg
from ..domain.plan import TransferMode
from ..domain.states import JobState
from .context import JobContext
from .creates import remove_our_vms, remove_stray_images
from .cutover import TEST_SUFFIX, cutover, delete_half_created, shutdown_source
from .events import StepState
from .naming import staging_name
from .power import power_source
from .prep import check_readiness, guest_prep, run_phase
from .replicate import SyncResult, remove_stray_snapshots, replicate, summarize
from .whitelist import add_whitelist, give_back_whitelist, whitelisted

REQUEST_POLL_SECONDS = 1.0  # how often an idle job looks for a cutover another process asked for


def sync_interval(ctx: JobContext) -> float:
    override = ctx.session.tuning.sync_interval_seconds
    return float(override) if override is not None else ctx.plan.options.sync_interval_minutes * 60.0


def in_window(now: datetime, start: str, end: str) -> bool:
    """``HH:MM`` window in local time; empty ends mean any time; a window may pass midnight."""
    if not start or not end:
        return True
    current = now.strftime("%H:%M")
    return start <= current < end if start <= end else current >= start or current < end


async def _idle(ctx: JobContext, seconds: float) -> None:
    """Wait for the next sync; returns early when a cutover is requested (here, or by another process through the
    store: ``xtract-gui cutover`` in another shell, the wizard next to a CLI run), raises when stopped."""
    deadline = time.monotonic() + seconds
    look = 0.0
    while time.monotonic() < deadline:
        if ctx.cancel.is_set():
            raise CancelledError("The job was stopped.")
        if ctx.cutover_requested.is_set():
            return
        if time.monotonic() >= look:
            look = time.monotonic() + REQUEST_POLL_SECONDS
            who = ctx.store.pending_cutover(ctx.vm_id)
            if who:
                ctx.update(cutover_requested_by=who, cutover_requested_at=time.time())
                ctx.log(f"Cutover requested by {who}")
                ctx.cutover_requested.set()
                return
        await asyncio.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


async def run_job(ctx: JobContext) -> None:
    data = ctx.data
    if data.get("cancelling"):  # a cancel that did not finish (crash, error): finish it, never go on copying
        await cleanup_cancel(ctx, undo_guest=False)
        return
    if not data.get("validated"):
        ctx.set_state(JobState.VALIDATING)
        await check_readiness(ctx)
        ctx.update(validated=True)
    vm = await ctx.call(ctx.session.source().get_vm, ctx.vm_id)
    ctx.emitter.name_vm(ctx.vm_id, vm.name)
    if not ctx.data.get("prep_done"):
        ctx.set_state(JobState.PREPARING)
        await guest_prep(ctx, vm)
    if ctx.plan.transfer_mode is TransferMode.COLD:
        await _cold(ctx)
        return
    if ctx.data.get("sync_count") is None:
        ctx.set_state(JobState.SEEDING)
        await add_whitelist(ctx)
        async with ctx.session.vm_slots:
            result = await ctx.run_step("seed", "Seed", lambda: replicate(ctx, 0, "seed"))
        summarize(ctx, result, sync_interval(ctx))
    if ctx.state() is not JobState.CUTTING_OVER and not ctx.data.get("cutover_stage"):
        ctx.set_state(JobState.SYNCING, msg("state.ready", "ready for cutover"))
        await _sync_loop(ctx)
    await cutover(ctx)


async def _sync_loop(ctx: JobContext) -> None:
    interval = sync_interval(ctx)
    opts = ctx.plan.options
    while not ctx.cutover_requested.is_set():
        await _idle(ctx, interval)
        if ctx.cutover_requested.is_set():
            break
        number = int(ctx.data.get("sync_count", 0)) + 1

        async def sync(n: int = number) -> SyncResult:
            await add_whitelist(ctx)  # a paused job may have lost it to another plan's last writer
            return await replicate(ctx, n, f"sync.{n}")

        async with ctx.sync_lock:
            result = await ctx.run_step(f"sync.{number}", msg("step.sync", "Sync {n}", n=number), sync)
        projected = summarize(ctx, result, interval)
        if opts.auto_cutover and projected <= opts.downtime_budget_seconds \
                and in_window(datetime.now(), opts.cutover_window_start, opts.cutover_window_end):
            ctx.log(f"Automatic cutover: projected downtime {projected:.0f} s is within the "
                    f"{opts.downtime_budget_seconds} s budget")
            ctx.update(cutover_requested_by="automatic cutover")
            ctx.store.record_cutover_request(ctx.vm_id, "automatic cutover")
            ctx.cutover_requested.set()


async def _cold(ctx: JobContext) -> None:
    """Cold mode: the source is shut down first and copied once; then the VM is created from the copies."""
    if ctx.data.get("sync_count") is None:
        ctx.set_state(JobState.SEEDING)
        if not ctx.data.get("cutover_stage"):
            await ctx.run_step("cutover.shutdown", "Shutting down source", lambda: shutdown_source(ctx))
        await add_whitelist(ctx)
        result = await ctx.run_step("seed", "Copying disks", lambda: replicate(ctx, 0, "seed"))
        summarize(ctx, result, 0.0)
    if ctx.data.get("cutover_stage") in (None, "shutdown", "final_sync"):
        ctx.update(cutover_stage="create_vm")  # nothing changed since the copy: the source is off
    await cutover(ctx)


async def recover(ctx: JobContext) -> None:
    """After a restart or before a retry: settle what the journal says may be half done."""
    keep = (ctx.data.get("current_snapshot") or {}).get("id", "")
    await delete_half_created(ctx)
    for entry in ctx.store.open_intents(ctx.vm_id):  # the job's whitelist record, not the journal, drives its cleanup
        ctx.store.outcome(entry.id, "interrupted")
    disks = ctx.store.disks(ctx.vm_id)
    kept = {str(r["target_ref"]) for r in disks.values() if str(r["target_ref"])}
    await remove_stray_images(ctx, keep=kept)
    removed = await remove_stray_snapshots(ctx, keep=keep)
    if removed:
        ctx.log(f"Removed {removed} stray xtract- snapshot(s) left by an interrupted run", "WARNING")
    ctx.update(prep_snapshot=None)


async def cleanup_cancel(ctx: JobContext, *, undo_guest: bool) -> None:
    """Remove everything the job made on either side; optionally undo the guest preparation."""
    ctx.cancel.clear()

    async def run() -> None:
        # From here on the job is being cancelled, even if this process dies half way: run_job finishes the
        # cancel instead of syncing onto staging files that may already be gone.
        ctx.update(cancelling=True)
        target = ctx.session.target()
        writers = ctx.session.writers()
        await delete_half_created(ctx)
        migrated = ctx.state().is_done or ctx.data.get("cutover_stage") in ("after_boot", "post")
        for key in ("test_vm_uuid", "target_vm_uuid"):
            uuid = ctx.data.get(key)
            if uuid and not (key == "target_vm_uuid" and migrated):
                jid = ctx.store.intent(ctx.vm_id, "target", "delete_vm", uuid)
                await ctx.blocking(target.delete_vm, uuid)
                ctx.store.outcome(jid, "ok")
                ctx.update(**{key: None})
        if not migrated:  # creates whose answer was lost: the VMs carry our marker
            await remove_our_vms(ctx, ctx.vm_plan.effective_target_name)
        await remove_our_vms(ctx, ctx.vm_plan.effective_target_name + TEST_SUFFIX)
        await remove_stray_snapshots(ctx)
        if ctx.data.get("source_powered_off_by_us"):
            await power_source(ctx, "on")
            ctx.update(source_powered_off_by_us=None)
        name = staging_name(ctx)
        disks = ctx.store.disks(ctx.vm_id)
        staged = any(not str(r["target_ref"]) or str(r["target_ref"]).startswith("/") for r in disks.values())
        # Staging files are reached over NFS: the job may be paused or failed and no longer hold the entry.
        async with whitelisted(ctx) if staged and disks else contextlib.nullcontext():
            for key, row in disks.items():
                ref = str(row["target_ref"])
                jid = ctx.store.intent(ctx.vm_id, "target", "discard_disk", f"{name}/{key}", ref=ref)
                if ref and not ref.startswith("/"):  # an image uuid (cold mode)
                    await ctx.blocking(target.delete_image, ref)
                else:
                    await ctx.blocking(writers.discard, name, key)
                ctx.store.outcome(jid, "ok")
        ctx.store.clear_cursors(ctx.vm_id)
        await remove_stray_images(ctx)
        ctx.store.drop_cutover_requests(ctx.vm_id, "cancelled")
        await give_back_whitelist(ctx)
        for entry in ctx.store.open_intents(ctx.vm_id):
            ctx.store.outcome(entry.id, "cancelled")

    await ctx.run_step("cancel.cleanup", "Cleaning up", run)
    if undo_guest and ctx.data.get("prep_done"):
        vm = await ctx.call(ctx.session.source().get_vm, ctx.vm_id)
        await run_phase(ctx, vm, GuestPhase.UNDO)
    elif undo_guest:
        ctx.step("undo.guest", "Undoing guest preparation", StepState.SKIPPED,
                 msg("step.undo.not_prepared", "the guest was not prepared"))
    ctx.update(current_snapshot=None, cutover_stage=None, cancelling=None)
    ctx.set_state(JobState.CANCELLED, msg("state.cancelled_by_user", "cancelled by the user"))
