"""The laptop's entry in a cluster's NFS whitelist (warm mode): taken before NFS access, given back by the last
job that needs it.

One entry per (cluster, laptop address), shared by every job of every plan that writes to that cluster.  A job
records the entry it holds (``whitelist`` in its data) and takes it again before each NFS access (seed, every
sync, the final sync, and the staging removal of a cancel or a retried cutover), because a paused or failed
job does not keep it: the last job that writes gives it back.  An entry that was on the cluster before any job
of ours is never removed (an administrator's); a record from before entries named their cluster (a plain
string) cannot tell, so it counts as such.  One asyncio lock per cluster, the manager's, serializes every add
and remove across plans; ``whitelisted`` holds it around NFS work done outside the writing states so that no
release happens in between.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from ..domain.errors import CancelledError, XtractError
from ..domain.states import JobState
from .context import JobContext
from .events import StepState

_WRITING = (JobState.SEEDING, JobState.SYNCING, JobState.CUTTING_OVER)


def _record(ctx: JobContext, data: dict[str, Any], plan_id: str | None = None) -> dict[str, Any] | None:
    held = data.get("whitelist")
    if isinstance(held, str):
        plan = ctx.plan if plan_id is None else ctx.store.plan(plan_id)
        return {"entry": held, "cluster": plan.target.cluster_uuid, "preexisting": True}
    return held if isinstance(held, dict) else None


def _same(a: dict[str, Any] | None, b: dict[str, Any]) -> bool:
    return a is not None and a.get("entry") == b["entry"] and a.get("cluster") == b["cluster"]


def _holders(ctx: JobContext, key: dict[str, Any], *, writing: bool) -> list[dict[str, Any]]:
    """Other jobs' records of ``key`` (only those of jobs that write, with ``writing``)."""
    out = []
    for job in ctx.store.jobs():
        if job.vm_id == ctx.vm_id or (writing and job.state not in _WRITING):
            continue
        held = _record(ctx, job.data, job.plan_id)
        if _same(held, key):
            out.append(held)  # type: ignore[arg-type]
    return out


async def _take(ctx: JobContext) -> None:
    """Make sure the laptop's entry is on the plan's cluster and recorded as held (caller holds the lock)."""
    entry = ctx.session.writers().whitelist_entry
    if not entry:
        return
    target = ctx.session.target()
    # Through Prism Central this reaches the cluster's Prism Element (PC's v3 has no whitelist).
    key: dict[str, Any] = {"entry": entry, "cluster": ctx.plan.target.cluster_uuid}
    old = _record(ctx, ctx.data)
    if old is not None and not _same(old, key):  # the laptop's address changed (VPN, DHCP): give the old one back
        await _give_back(ctx, old)
    if entry in await ctx.call(target.nfs_whitelist, key["cluster"]):
        # Ours (held by another job, or by this one before a restart) or an administrator's.
        known = _holders(ctx, key, writing=False) + ([old] if _same(old, key) else [])
        ctx.update(whitelist={**key, "preexisting": all(h.get("preexisting") for h in known) if known else True})
        return
    ctx.update(whitelist={**key, "preexisting": False})  # before the call: a crash right after still cleans up
    jid = ctx.store.intent(ctx.vm_id, "target", "add_nfs_whitelist", entry, cluster=key["cluster"])
    try:
        await ctx.call(target.add_nfs_whitelist, entry, key["cluster"])
    except Exception as exc:  # a task cancelled meanwhile leaves the intent open: the call may still land
        ctx.store.outcome(jid, "failed", str(exc))
        raise
    ctx.store.outcome(jid, "ok")


async def _give_back(ctx: JobContext, held: dict[str, Any]) -> None:
    """Remove ``held`` from its cluster unless it is not ours or another job still writes (caller holds the lock)."""
    if held.get("preexisting"):
        ctx.log(f"Left {held['entry']} in the NFS whitelist of cluster {held['cluster']}: it was there before this "
                "migration (or cannot be told apart from one that was); remove it in Prism (Settings > Filesystem "
                "Whitelists) if it is no longer needed", "WARNING")
        return
    if _holders(ctx, held, writing=True):
        return
    target = ctx.session.target()
    jid = ctx.store.intent(ctx.vm_id, "target", "remove_nfs_whitelist", held["entry"], cluster=held["cluster"])
    try:
        if held["entry"] in await ctx.call(target.nfs_whitelist, held["cluster"]):
            await ctx.call(target.remove_nfs_whitelist, held["entry"], held["cluster"])
    except Exception as exc:
        ctx.store.outcome(jid, "failed", str(exc))
        raise
    ctx.store.outcome(jid, "ok")


async def add_whitelist(ctx: JobContext) -> None:
    """Before NFS writes.  A job that already held the entry goes on when Prism cannot be asked right now (the
    NFS mount reports a real refusal itself); a first take must succeed."""
    entry = ctx.session.writers().whitelist_entry
    held_before = _same(_record(ctx, ctx.data), {"entry": entry, "cluster": ctx.plan.target.cluster_uuid})
    try:
        async with ctx.session.whitelist_lock:
            await _take(ctx)
    except XtractError as exc:
        if isinstance(exc, CancelledError) or not held_before:
            raise
        ctx.log(f"Could not check the NFS whitelist ({exc}); going on with the entry taken before", "WARNING")


async def remove_whitelist(ctx: JobContext) -> None:
    held = _record(ctx, ctx.data)
    if not held:
        return
    async with ctx.session.whitelist_lock:
        await _give_back(ctx, held)
        ctx.update(whitelist=None)


async def give_back_whitelist(ctx: JobContext) -> None:
    """``remove_whitelist`` at the end of a cutover or a cancel: the VM's work is done either way, so a failure
    is a warning step saying what to remove by hand; the record stays (it names the entry and the cluster)."""
    try:
        await remove_whitelist(ctx)
    except XtractError as exc:
        if isinstance(exc, CancelledError):
            raise
        held = _record(ctx, ctx.data) or {}
        ctx.step("whitelist.remove", "Removing the NFS whitelist entry", StepState.WARNING,
                 f"Could not remove {held.get('entry', 'this computer')} from the NFS whitelist of cluster "
                 f"{held.get('cluster', '')} ({exc}). Remove it in Prism (Settings > Filesystem Whitelists).")


@contextlib.asynccontextmanager
async def whitelisted(ctx: JobContext) -> AsyncIterator[None]:
    """NFS work outside the writing states (removing staging files after a cancel or a retried cutover): the
    entry is taken and the cluster's lock kept, so no other job gives it back meanwhile."""
    async with ctx.session.whitelist_lock:
        await _take(ctx)
        yield
