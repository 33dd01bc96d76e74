"""Removing a migrated VM's staging copies once its cutover is verified.

Warm mode writes every disk into a raw file in the storage container (``/<container>/xtract/<vm>/``);
cold mode streams every disk into an image of the Prism image service.  At cutover AHV clones the
VM's disks from those files or images into vmdisks of its own, so once the VM has booted on AHV the
staging copies only take space (as much as the VM's disks) and are removed.  Before that point they
stay: a rollback or a later cutover needs them.

Prism Central's own ``nfs://`` staging images (warm mode through PC) are not touched here: the PC
adapter deletes them itself as soon as the VM exists.
"""

from __future__ import annotations

from ..domain.errors import CancelledError, XtractError
from .context import JobContext
from .events import StepState
from .naming import staging_name
from .ports import StagingCleanup
from .whitelist import whitelisted

STEP_ID = "cutover.staging"


def staged_files(ctx: JobContext) -> dict[int, str]:
    """Disk key → ndfs path of every disk this VM staged as a file (image uuids are left out)."""
    rows = ctx.store.disks(ctx.vm_id)
    return {int(key): str(row["target_ref"]) for key, row in rows.items() if str(row["target_ref"]).startswith("/")}


def staged_images(ctx: JobContext) -> dict[int, str]:
    """Disk key → image uuid of every disk this VM streamed into the image service (cold mode)."""
    rows = ctx.store.disks(ctx.vm_id)
    return {int(key): str(row["target_ref"]) for key, row in rows.items()
            if row["target_ref"] and not str(row["target_ref"]).startswith("/")}


async def remove_staging(ctx: JobContext) -> None:
    """Remove the VM's staging files and images (journaled), once; a failure is a warning naming what to
    remove by hand, since the VM already runs on AHV.  A crash in between leaves ``staging_removed``
    unset, so the resumed cutover after a restart runs this again: removing absent files is not an
    error, and an image already deleted (``images_removed``) is not asked for again."""
    if ctx.data.get("staging_removed"):
        return
    files = staged_files(ctx)
    images = staged_images(ctx)
    name = staging_name(ctx)
    if images and ctx.data.get("first_boot") is None:
        # No guest reported its first boot (VMware Tools or no guest channel, or it timed out): nobody has
        # seen the VM come up, and its images are the quickest way to build it again (another disk bus,
        # say).  They stay until a person has checked the VM; the task list and the report say so.
        kept = (f"Kept {len(images)} disk image(s) in the Prism image service ({_named(ctx, name, images)}): once "
                "the VM is checked on AHV, delete them in Prism (Images)")
        ctx.log(kept, "WARNING")
        ctx.step(STEP_ID, "Keeping staging images", StepState.WARNING, kept)
        images = {}
    if not files and not images:
        ctx.update(staging_removed=True)
        return

    async def run() -> None:
        if files:
            reached = False
            try:
                async with whitelisted(ctx):  # a retried cutover's job may no longer hold the entry
                    reached = True
                    await _remove_files(ctx, name, files)
            except XtractError as exc:
                if not reached and not isinstance(exc, CancelledError):
                    ctx.log(_left_message(files), "WARNING")  # the whitelist could not be taken: nothing removed
                raise
        if images:
            await _remove_images(ctx, images)
        ctx.update(staging_removed=True)

    if files:
        await ctx.run_step(STEP_ID, "Removing staging files", run, warn_only=True)
    else:
        await ctx.run_step(STEP_ID, "Removing staging images", run, warn_only=True)


def _named(ctx: JobContext, vm_name: str, images: dict[int, str]) -> str:
    """How a person finds them in Prism's image list: the name the writer gave each image, and its uuid."""
    namer = getattr(ctx.session.writers(), "image_name", None)
    return ", ".join(f"{namer(vm_name, key)} ({uuid})" if callable(namer) else uuid
                     for key, uuid in sorted(images.items()))


async def _remove_files(ctx: JobContext, name: str, files: dict[int, str]) -> None:
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
        ctx.log(_left_message(files), "WARNING")
        raise
    ctx.store.outcome(jid, "ok")
    ctx.log(f"Removed {len(files)} staging file(s): the AHV VM has its own copies of the disks")


async def _remove_images(ctx: JobContext, images: dict[int, str]) -> None:
    """One journaled delete per image; the ones deleted are remembered as they go, so a resume after a
    crash asks only for the rest (deleting an image already gone is not an error either)."""
    target = ctx.session.target()
    removed = set(ctx.data.get("images_removed") or ())
    left: list[tuple[str, str]] = []
    for key, image_uuid in sorted(images.items()):
        if image_uuid in removed:
            continue
        jid = ctx.store.intent(ctx.vm_id, "target", "delete_image", image_uuid, disk=key)
        try:
            await ctx.call(target.delete_image, image_uuid)
        except CancelledError:
            raise  # the app is stopping: the intent stays open and the resumed cutover deletes the rest
        except Exception as exc:
            ctx.store.outcome(jid, "failed", str(exc))
            left.append((image_uuid, str(exc)))
            continue
        ctx.store.outcome(jid, "ok")
        removed.add(image_uuid)
        ctx.update(images_removed=sorted(removed))
    if left:
        failed = dict(left)
        kept = _named(ctx, staging_name(ctx), {k: u for k, u in images.items() if u in failed})
        ctx.log(f"Disk images left in the Prism image service: {kept}; the AHV VM does not use them: delete "
                "them in Prism (Images) by hand", "WARNING")
        raise XtractError(f"{len(left)} staging image(s) could not be deleted: {left[0][1]}",
                          hint="Delete them in Prism (Images); the migrated VM does not need them.")
    ctx.log(f"Deleted {len(images)} staging image(s): the AHV VM has its own copies of the disks")


def _left_message(files: dict[int, str]) -> str:
    return (f"Staging files left on the container: {', '.join(sorted(files.values()))}; the AHV VM does not use "
            "them: remove them by hand (Prism: Storage > the container, or over NFS)")
