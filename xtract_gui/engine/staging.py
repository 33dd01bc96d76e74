"""Removing a migrated VM's staging files once its cutover is verified.

Warm mode writes every disk into a raw file in the storage container (``/<container>/xtract/<vm>/``).
At cutover AHV clones the VM's disks from those files into vmdisks of its own, so once the VM has
booted on AHV the files only take space (as much as the VM's disks) and are removed.  Before that
point they stay: a rollback or a later cutover needs them.

Images (cold mode, or Prism Central's staging images) are not touched here: the PC adapter deletes
its ``nfs://`` staging images itself as soon as the VM exists.
"""

from __future__ import annotations

from ..domain.errors import CancelledError
from .context import JobContext
from .ports import StagingCleanup

STEP_ID = "cutover.staging"


def staged_files(ctx: JobContext) -> dict[int, str]:
    """Disk key → ndfs path of every disk this VM staged as a file (image uuids are left out)."""
    rows = ctx.store.disks(ctx.vm_id)
    return {int(key): str(row["target_ref"]) for key, row in rows.items() if str(row["target_ref"]).startswith("/")}


async def remove_staging(ctx: JobContext) -> None:
    """Remove the VM's staging files (journaled), once; a failure is a warning with the files to remove
    by hand, since the VM already runs on AHV.  A crash in between leaves ``staging_removed`` unset, so
    the resumed cutover after a restart runs this again (removing absent files is not an error)."""
    if ctx.data.get("staging_removed"):
        return
    files = staged_files(ctx)
    if not files:
        ctx.update(staging_removed=True)
        return
    name = ctx.vm_plan.effective_target_name

    async def run() -> None:
        writers = ctx.session.writers()
        jid = ctx.store.intent(ctx.vm_id, "target", "remove_staging", name, files=sorted(files.values()))
        try:
            for key in sorted(files):
                await ctx.call(writers.discard, name, key)
            if isinstance(writers, StagingCleanup):
                await ctx.call(writers.discard_vm, name)
        except CancelledError:
            raise  # the app is stopping: the intent stays open and the resumed cutover finishes the removal
        except Exception as exc:
            ctx.store.outcome(jid, "failed", str(exc))
            ctx.log(f"Staging files left on the container: {', '.join(sorted(files.values()))}; the AHV VM "
                    "does not use them: remove them by hand", "WARNING")
            raise
        ctx.store.outcome(jid, "ok")
        ctx.update(staging_removed=True)
        ctx.log(f"Removed {len(files)} staging file(s): the AHV VM has its own copies of the disks")

    await ctx.run_step(STEP_ID, "Removing staging files", run, warn_only=True)
