"""Creates that survive a lost answer: an AHV VM, a source snapshot, a disk image.

A create whose answer never arrived (a reset after the request, a broken-off body, a crash) may or may not have
happened, and it must not be sent again blindly (a second VM with the same name and MACs) nor forgotten (an
orphan that rollback does not see).  Everything we create carries a marker we chose before asking:

- an AHV VM: its description holds the job's marker ``[xtract-job <id>]`` (the id is made once per job and kept
  in the job), and its name is the plan's target name;
- a source snapshot: its name (``xtract-<purpose>-<job>-<time>``), unique to the attempt;
- a disk image: its name (``xtract-<staging name>-disk-<key>``), unique per source VM (naming.py).

After a fault that leaves the outcome open (``resilient.unknown_outcome``) the caller looks for the marker, for a
while, since the remote task may still be running: found, the object is adopted; not found, the error stands.
Before a create, and in rollback, cancel and recovery, whatever carries our marker and is not the one recorded
is removed, so there is exactly one of each whatever failed when.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid as uuidlib
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..domain.inventory import SnapshotRef, TargetVM, TargetVMSpec
from .context import JobContext
from .resilient import unknown_outcome

T = TypeVar("T")
SNAPSHOT_PREFIX = "xtract-"


def job_id(ctx: JobContext) -> str:
    """The job's own id, made the first time it is needed and kept in the job."""
    value = ctx.data.get("job_id")
    if not value:
        value = uuidlib.uuid4().hex[:12]
        ctx.update(job_id=value)
    return str(value)


def vm_marker(ctx: JobContext) -> str:
    return f"[xtract-job {job_id(ctx)}]"


def is_ours(ctx: JobContext, vm: TargetVM) -> bool:
    """A VM this job made: its marker in the description, or (made before markers) the description of then."""
    if vm_marker(ctx) in vm.description:
        return True
    return vm.description.endswith(f"by xtract-gui from {ctx.vm_plan.name} ({ctx.vm_id})")


async def _look(ctx: JobContext, find: Callable[[], Awaitable[list[T]]], *, wait: bool) -> list[T]:
    """``find()`` now, and when ``wait`` again for ``orphan_wait_seconds`` until it finds something."""
    deadline = time.monotonic() + (ctx.session.tuning.orphan_wait_seconds if wait else 0.0)
    while True:
        found = await find()
        if found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(min(1.0, max(0.05, deadline - time.monotonic())))


async def our_vms(ctx: JobContext, name: str) -> list[TargetVM]:
    target = ctx.session.target()
    return [v for v in await asyncio.to_thread(target.find_vms, name) if is_ours(ctx, v)]


async def remove_our_vms(ctx: JobContext, name: str, *, keep: str = "", wait: bool = False) -> int:
    """Delete every VM named ``name`` that carries our marker, but ``keep``; ``wait``: look for a while first (a
    create whose answer was lost may still be running).  Returns how many went."""
    target = ctx.session.target()

    async def extra() -> list[TargetVM]:
        return [v for v in await our_vms(ctx, name) if v.uuid != keep]

    removed = 0
    for vm in await _look(ctx, extra, wait=wait):
        jid = ctx.store.intent(ctx.vm_id, "target", "delete_vm", vm.uuid, reason="not the job's VM")
        await ctx.blocking(target.delete_vm, vm.uuid)
        ctx.store.outcome(jid, "ok")
        ctx.log(f"Deleted the AHV VM {vm.name} ({vm.uuid}) left by an attempt whose answer was lost", "WARNING")
        removed += 1
    return removed


async def create_vm(ctx: JobContext, spec: TargetVMSpec, **params: object) -> str:
    """The job's VM named ``spec.name``: one made before (answer lost, crash) is adopted, else it is created;
    after a fault that leaves it open whether Prism made it, it is looked for before the error counts."""
    target = ctx.session.target()
    marker = vm_marker(ctx)
    if marker not in spec.description:
        spec = _with_description(spec, f"{spec.description} {marker}".strip())
    earlier = await our_vms(ctx, spec.name)
    if earlier:
        keep = earlier[0].uuid
        jid = ctx.store.intent(ctx.vm_id, "target", "create_vm", spec.name, **params)
        ctx.store.outcome(jid, "adopted", uuid=keep)
        ctx.log(f"Adopting the AHV VM {spec.name} ({keep}) an earlier attempt created")
        await remove_our_vms(ctx, spec.name, keep=keep)
        return keep
    jid = ctx.store.intent(ctx.vm_id, "target", "create_vm", spec.name, **params)
    try:
        made = await ctx.call(target.create_vm, spec, cancel=ctx.cancel)
    except asyncio.CancelledError:
        raise  # the process is stopping: the intent stays open for the next start to settle
    except Exception as exc:
        if unknown_outcome(exc):
            found = await _look(ctx, lambda: our_vms(ctx, spec.name), wait=True)
            if found:
                ctx.store.outcome(jid, "ok", str(exc), uuid=found[0].uuid, adopted=True)
                ctx.log(f"Prism created {spec.name} ({found[0].uuid}) although its answer was lost ({exc})",
                        "WARNING")
                await remove_our_vms(ctx, spec.name, keep=found[0].uuid)
                return found[0].uuid
        ctx.store.outcome(jid, "failed", str(exc))
        raise
    ctx.store.outcome(jid, "ok", uuid=made)
    return made


def _with_description(spec: TargetVMSpec, description: str) -> TargetVMSpec:
    return dataclasses.replace(spec, description=description)


async def take_snapshot(ctx: JobContext, purpose: str) -> SnapshotRef:
    """A migration snapshot named for this attempt; one whose answer was lost is found by that name."""
    src = ctx.session.source()
    name = f"{SNAPSHOT_PREFIX}{purpose}-{job_id(ctx)[:8]}-{int(time.time() * 1000)}"
    jid = ctx.store.intent(ctx.vm_id, "source", "create_snapshot", name)
    try:
        snap = await ctx.call(src.create_snapshot, ctx.vm_id, name,
                              description="Taken by xtract-gui; removed by it.", cancel=ctx.cancel)
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        if not unknown_outcome(exc):
            ctx.store.outcome(jid, "failed", str(exc))
            raise

        async def named() -> list[SnapshotRef]:
            return [s for s in await ctx.call(src.list_snapshots, ctx.vm_id) if s.name == name]

        found = await _look(ctx, named, wait=True)
        if not found:
            ctx.store.outcome(jid, "failed", str(exc))
            raise
        snap = found[0]
        ctx.log(f"vCenter took snapshot {name} although its answer was lost ({exc})", "WARNING")
    ctx.store.outcome(jid, "ok", snapshot_id=snap.snapshot_id)
    ctx.log(f"Snapshot {snap.name} ({snap.snapshot_id}) taken")
    return snap


def image_names(ctx: JobContext, keys: list[int]) -> dict[int, str]:
    """Disk key → the name its image has (writers that stream into the image service only)."""
    namer = getattr(ctx.session.writers(), "image_name", None)
    if not callable(namer):
        return {}
    from .naming import staging_name

    staging = staging_name(ctx)
    return {key: str(namer(staging, key)) for key in keys}


async def remove_stray_images(ctx: JobContext, keys: list[int] | None = None, *,
                              keep: set[str] | frozenset[str] = frozenset()) -> int:
    """Delete the images named for these disks (None: every disk of the VM) that are not ``keep`` (an upload whose
    answer was lost, a partial image the adapter could not remove); returns how many went."""
    if not callable(getattr(ctx.session.writers(), "image_name", None)):
        return 0  # the disks are not staged as images
    if keys is None:
        keys = [d.key for d in (await ctx.call(ctx.session.source().get_vm, ctx.vm_id)).disks]
    target = ctx.session.target()
    removed = 0
    for key, name in image_names(ctx, keys).items():
        for image_uuid in await ctx.call(target.find_images, name):
            if image_uuid in keep:
                continue
            jid = ctx.store.intent(ctx.vm_id, "target", "delete_image", image_uuid, disk=key, reason="stray")
            await ctx.call(target.delete_image, image_uuid)
            ctx.store.outcome(jid, "ok")
            ctx.log(f"Deleted the image {name} ({image_uuid}) left by an upload that did not finish", "WARNING")
            removed += 1
    return removed
