"""Seed and delta syncs: snapshot, ask CBT, copy the extents, remember the changeIds, drop the snapshot.

Crash safety: the snapshot in use is recorded in the job (``current_snapshot``) before the copy
starts, so a restart reuses it and resumes every disk at its cursor; the changeIds move forward
only after every disk of the sync is on the target, then the snapshot is removed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from ..domain.cbt import full_copy_reason
from ..domain.errors import NotFoundError, UnsupportedError
from ..domain.extents import Extent, normalize, total_bytes
from ..domain.inventory import SnapshotRef, SourceVM
from ..transfer.copy import copy_disk
from ..transfer.progress import CopyProgress
from ..transfer.result import CopyResult
from .context import JobContext
from .creates import SNAPSHOT_PREFIX, remove_stray_images, take_snapshot
from .events import Progress, SyncSummary
from .naming import staging_name
from .resilient import retryable

__all__ = ["SNAPSHOT_PREFIX", "SyncResult", "remove_snapshot", "remove_stray_snapshots", "replicate", "summarize",
           "take_snapshot"]

# Time a cutover spends outside the final copy: guest shutdown, VM create, power on (seconds).
CUTOVER_OVERHEAD = 90.0


@dataclass(frozen=True)
class SyncResult:
    number: int
    bytes_copied: int
    bytes_planned: int
    seconds: float


async def remove_snapshot(ctx: JobContext, snapshot_id: str) -> None:
    src = ctx.session.source()
    jid = ctx.store.intent(ctx.vm_id, "source", "remove_snapshot", snapshot_id)
    await ctx.call(src.remove_snapshot, ctx.vm_id, snapshot_id)
    ctx.store.outcome(jid, "ok")
    ctx.log(f"Snapshot {snapshot_id} removed")


async def ensure_cbt(ctx: JobContext, vm: SourceVM) -> None:
    if vm.cbt_enabled:
        return
    jid = ctx.store.intent(ctx.vm_id, "source", "enable_cbt")
    await ctx.call(ctx.session.source().enable_cbt, ctx.vm_id)
    ctx.store.outcome(jid, "ok")
    ctx.log("Changed Block Tracking enabled")


async def _snapshot_for(ctx: JobContext, number: int) -> SnapshotRef:
    """The snapshot of sync ``number``: the recorded one if it still exists (a resume), else a new one."""
    src = ctx.session.source()
    current = ctx.data.get("current_snapshot")
    if current and current.get("number") == number:
        for snap in await ctx.call(src.list_snapshots, ctx.vm_id):
            if snap.snapshot_id == current["id"]:
                ctx.log(f"Resuming with snapshot {snap.snapshot_id}")
                return snap
        ctx.log("The snapshot of the interrupted sync is gone; taking a new one", "WARNING")
        ctx.store.clear_cursors(ctx.vm_id)
    snap = await take_snapshot(ctx, "seed" if number == 0 else f"sync{number}")
    ctx.update(current_snapshot={"id": snap.snapshot_id, "number": number,
                                 "change_ids": {str(k): v for k, v in snap.disk_change_ids.items()}})
    return snap


async def replicate(ctx: JobContext, number: int, step_id: str) -> SyncResult:
    """Sync ``number`` (0 is the seed) of every disk; returns what it copied."""
    src = ctx.session.source()
    # Connect the target side before taking a snapshot that would then wait; on the executor, since a
    # first connect is a login (``JobContext.connect`` usually did it already, then this returns at once).
    await ctx.call(ctx.session.writers)
    started = time.monotonic()
    vm = await ctx.call(src.get_vm, ctx.vm_id)
    await ensure_cbt(ctx, vm)
    snap = await _snapshot_for(ctx, number)
    known = ctx.store.disks(ctx.vm_id)
    plan: list[tuple[Any, list[Extent], bool]] = []
    for disk in vm.disks:
        base = known[disk.key]["change_id"] if disk.key in known else ""
        since = base if number > 0 and base else "*"
        # A CBT reset or a resize that vSphere does not fault on: the delta since ``base`` cannot be trusted.
        reason = "" if since == "*" else full_copy_reason(
            base, int(known[disk.key]["capacity"]), snap.disk_change_ids.get(disk.key, ""), disk.capacity_bytes)
        try:
            if reason:
                raise UnsupportedError(f"{reason[0].upper()}{reason[1:]}.")
            areas = await ctx.call(src.query_changed_areas, ctx.vm_id, snap.snapshot_id, disk.key, since)
        except UnsupportedError as exc:
            # CBT was reset: the whole disk is the only safe delta.
            ctx.log(f"Disk {disk.key}: {exc} Copying the whole disk.", "WARNING")
            ctx.update(full_copies=[*ctx.data.get("full_copies", []),
                                    {"sync": number, "disk": disk.key, "reason": exc.message, "at": time.time()}])
            areas = [Extent(0, disk.capacity_bytes)]
        areas = normalize(areas, capacity=disk.capacity_bytes)
        cursor = ctx.store.cursor(ctx.vm_id, disk.key, f"sync{number}")
        fresh = number == 0 and not cursor.load() and not (disk.key in known and known[disk.key]["target_ref"])
        plan.append((disk, areas, fresh))
    staging_name(ctx, vm)  # chosen (and kept in the job) before anything is written under it
    planned = sum(total_bytes(a) for _, a, _ in plan)
    ctx.report_progress(step_id, 0, planned, 0.0, None)
    copied = 0
    done_before = 0
    for disk, areas, fresh in plan:
        copied += await _copy_one(ctx, snap, disk.key, disk.capacity_bytes, areas, fresh, number, step_id,
                                  done_before, planned, vm.host)
        done_before += total_bytes(areas)
    for disk, _, _ in plan:
        ctx.store.set_disk(ctx.vm_id, disk.key, change_id=snap.disk_change_ids.get(disk.key, ""))
    ctx.store.clear_cursors(ctx.vm_id)
    ctx.update(sync_count=number, current_snapshot=None)
    await remove_snapshot(ctx, snap.snapshot_id)
    return SyncResult(number, copied, planned, time.monotonic() - started)


async def _copy_one(ctx: JobContext, snap: SnapshotRef, key: int, capacity: int, areas: list[Extent],
                    fresh: bool, number: int, step_id: str, done_before: int, planned: int, host: str) -> int:
    src = ctx.session.source()
    writers = ctx.session.writers()
    name = staging_name(ctx)
    cursor = ctx.store.cursor(ctx.vm_id, key, f"sync{number}")
    loop_emit = ctx.emitter.emit

    share = total_bytes(areas)

    def on_progress(p: CopyProgress) -> None:
        # The copy counts what it reads: small gaps it merges into one read and whole clusters of an image
        # format, so its total exceeds the CBT areas this sync planned.  Report its fraction of this
        # disk's planned share so the VM's bar ends at exactly 100 %.
        done = done_before + (min(share, share * p.done_bytes // p.total_bytes) if p.total_bytes else share)
        ctx.report_progress(step_id, done, planned, p.rate_bytes_per_s, p.eta_seconds)
        loop_emit(Progress(ctx.vm_id, step_id, done, planned, p.rate_bytes_per_s, p.eta_seconds))

    def run() -> CopyResult:
        # Fresh only while nothing of this copy is on the target: an attempt after a failure (a worker that died,
        # a stream that broke) resumes at the cursor, and a fresh open would empty what the cursor counts as done.
        attempt_fresh = fresh and not cursor.load()
        options: dict[str, Any] = {
            "chunk_size": ctx.session.tuning.chunk_size, "streams": ctx.plan.options.streams_per_disk,
            "max_in_flight": ctx.plan.options.streams_per_disk * 2,
            "checkpoint_seconds": ctx.session.tuning.checkpoint_seconds, "retry": ctx.session.tuning.copy_retry}
        disk_name = f"{ctx.vm_plan.name} disk {key}"
        reader = src.open_disk_reader(ctx.vm_id, snap.snapshot_id, key)
        try:
            pool = ctx.session.workers
            described = getattr(reader, "worker_spec", None)
            describe_writer = getattr(writers, "worker_writer", None)
            if pool is not None and callable(described) and callable(describe_writer):
                reader_disk = described()
                writer_disk = describe_writer(name, key, capacity, fresh=attempt_fresh) if reader_disk else None
                if reader_disk is not None and writer_disk is not None:
                    return pool.copy(reader_disk, writer_disk, areas, name=disk_name, cursor=cursor,
                                     progress=on_progress, cancel=ctx.cancel, **options)
            writer = writers.open(name, key, capacity, fresh=attempt_fresh)
            return copy_disk(reader, writer, areas, name=disk_name, scheduler=ctx.session.scheduler, cursor=cursor,
                             progress=on_progress, cancel=ctx.cancel, **options)
        finally:
            reader.close()

    async with ctx.session.host_slot(host or "?"), ctx.session.target_slots:
        jid = ctx.store.intent(ctx.vm_id, "target", "write_disk", f"{name}/{key}", sync=number,
                               bytes=total_bytes(areas))
        failures = 0
        while True:
            try:
                result = await ctx.call(run)
                break
            except Exception as exc:
                # The copy retried each chunk already; what is left is a stream that broke (an image upload
                # starts again whole) or a target that stayed away: the whole disk again, from its cursor.
                failures += 1
                if not retryable(exc) or failures >= ctx.session.tuning.retry.attempts or ctx.cancel.is_set():
                    ctx.store.outcome(jid, "failed", str(exc))
                    raise
                ctx.log(f"Disk {key}: {exc} Copying it again ({failures + 1} of "
                        f"{ctx.session.tuning.retry.attempts}).", "WARNING")
                await remove_stray_images(ctx, [key])
                await asyncio.sleep(ctx.session.tuning.retry.delay(failures))
        ctx.store.outcome(jid, "ok", target=result.target, copied=result.copied_bytes,
                          resumed=result.resumed_bytes)
    ctx.store.set_disk(ctx.vm_id, key, target_ref=result.target, capacity=capacity)
    if result.content_digest:  # a streamed image: its content digest is how it is checked later
        ctx.update(image_digests={**ctx.data.get("image_digests", {}), str(key): result.content_digest})
    where = f" in copy worker {result.worker_pid}" if result.worker_pid else ""
    ctx.log(f"Disk {key}: {result.copied_bytes} bytes copied{where} ({result.resumed_bytes} already there), "
            f"{result.verified_bytes} verified, target {result.target}")
    return int(result.copied_bytes)


def project_downtime(ctx: JobContext, result: SyncResult, interval: float) -> float:
    """Seconds of downtime a cutover would cost now: final delta at the measured rates + fixed steps."""
    data = ctx.data
    copy_rate = result.bytes_copied / result.seconds if result.seconds > 0 and result.bytes_copied > 1 << 20 \
        else float(data.get("copy_rate", 50e6))
    last_at = float(data.get("last_sync_at", 0.0))
    now = time.time()
    change_rate = result.bytes_copied / (now - last_at) if result.number > 0 and now > last_at else 0.0
    ctx.update(copy_rate=copy_rate, change_rate=change_rate, last_sync_at=now, last_delta_bytes=result.bytes_copied)
    final_bytes = change_rate * interval
    return CUTOVER_OVERHEAD + final_bytes / max(copy_rate, 1.0)


def summarize(ctx: JobContext, result: SyncResult, interval: float) -> float:
    projected = project_downtime(ctx, result, interval)
    ctx.update(projected_downtime=projected)
    ctx.store.record_sync(ctx.vm_id, result.number, result.bytes_copied, result.seconds, projected)
    ctx.emitter.emit(SyncSummary(ctx.vm_id, result.number, result.bytes_copied, result.seconds, projected))
    ctx.log(f"{'Seed' if result.number == 0 else f'Sync {result.number}'}: {result.bytes_copied} bytes in "
            f"{result.seconds:.1f} s; projected cutover downtime {projected:.0f} s")
    return projected


async def remove_stray_snapshots(ctx: JobContext, *, keep: str = "") -> int:
    """Remove every ``xtract-`` snapshot of the VM except ``keep``; returns how many went."""
    src = ctx.session.source()
    removed = 0
    try:
        snaps = await ctx.call(src.list_snapshots, ctx.vm_id)
    except NotFoundError:
        return 0
    for snap in snaps:
        if snap.name.startswith(SNAPSHOT_PREFIX) and snap.snapshot_id != keep:
            await remove_snapshot(ctx, snap.snapshot_id)
            removed += 1
    return removed
