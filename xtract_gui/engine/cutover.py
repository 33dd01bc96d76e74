"""Cutover, rollback, test migration and the NFS whitelist.

Cutover stages are recorded in the job (``cutover_stage``) as they finish, so a restart continues
where it stopped; every failure before the target has booted rolls back: the AHV VM is deleted and
the source powered on again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time

from ..domain.errors import (
    CancelledError,
    ConfigurationError,
    NotFoundError,
    UnsupportedError,
    XtractError,
    described,
)
from ..domain.guest_tasks import GuestPhase, tasks_for
from ..domain.inventory import BootType, Firmware, PowerState, SourceVM, TargetDiskSpec, TargetNicSpec, TargetVMSpec
from ..domain.messages import Message, encode, msg, raw, seconds
from ..domain.plan import GuestChannelKind, ShutdownPolicy
from ..domain.states import JobState
from .context import JobContext
from .creates import create_vm, our_vms, remove_our_vms
from .events import StepState
from .power import power_source, power_target_on, shutdown_source_guest
from .prep import guest_target, open_channel, run_phase, script_for
from .replicate import remove_stray_snapshots, replicate, summarize
from .staging import remove_staging
from .whitelist import add_whitelist, give_back_whitelist

FIRSTBOOT_READ = ".read_firstboot_result"


class _FirstBootFailed(XtractError):
    """The guest answered: its first-boot task failed (not worth asking again)."""

TEST_SUFFIX = "-xtract-test"  # a test migration's VM is the target name with this
_STAGES = ("shutdown", "final_sync", "create_vm", "power_on", "after_boot", "post")


def vm_spec(ctx: JobContext, vm: SourceVM, *, test: bool = False) -> TargetVMSpec:
    plan = ctx.plan
    rows = ctx.store.disks(ctx.vm_id)
    disks = []
    for i, d in enumerate(vm.disks):
        ref = rows[d.key]["target_ref"] if d.key in rows else ""
        if not ref:
            raise XtractError(msg("cutover.disk_not_copied", "Disk {disk} of {vm} has not been copied yet.",
                                  disk=d.label, vm=vm.name), hint=msg("cutover.wait_for_seed", "Wait for the seed."))
        disks.append(TargetDiskSpec(size_bytes=d.capacity_bytes, bus="SCSI", index=i,
                                    ndfs_path=ref if ref.startswith("/") else "",
                                    image_uuid="" if ref.startswith("/") else ref,
                                    container_uuid=plan.target.container_uuid))
    nics = []
    for n in vm.nics:
        subnet = plan.test_subnet_uuid if test else plan.network_map.get(n.network, "")
        nics.append(TargetNicSpec(subnet_uuid=subnet, mac=n.mac if plan.options.retain_mac and not test else ""))
    boot = BootType.LEGACY
    if vm.firmware is Firmware.EFI:
        boot = BootType.SECURE_BOOT if vm.secure_boot else BootType.UEFI
    name = ctx.vm_plan.effective_target_name + (TEST_SUFFIX if test else "")
    return TargetVMSpec(name=name, cluster_uuid=plan.target.cluster_uuid, num_sockets=vm.sockets,
                        cores_per_socket=vm.cores_per_socket, memory_mib=vm.memory_mib, boot_type=boot,
                        disks=tuple(disks), nics=tuple(nics),
                        description=f"{'Test copy' if test else 'Migrated'} by xtract-gui from {vm.name} ({vm.vm_id})")


def _stage_done(ctx: JobContext, stage: str) -> bool:
    current = ctx.data.get("cutover_stage") or _STAGES[0]
    return _STAGES.index(current) > _STAGES.index(stage)


async def shutdown_source(ctx: JobContext) -> None:
    src = ctx.session.source()
    vm = await ctx.call(src.get_vm, ctx.vm_id)
    ctx.update(guest_ips=list(vm.guest_ips) or ctx.data.get("guest_ips") or [])
    if vm.power_state is PowerState.ON:
        opts = ctx.plan.options
        jid = ctx.store.intent(ctx.vm_id, "source", "shutdown_guest")
        ctx.update(source_powered_off_by_us=True, downtime_started=time.time())
        try:
            await shutdown_source_guest(ctx)
            tools = True
        except UnsupportedError as exc:
            # vSphere refuses a guest shutdown without VMware Tools running (ToolsUnavailable): only a
            # power-off stops the VM, and only if the plan allows it (readiness warned or blocked already).
            if opts.shutdown_policy is not ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT:
                ctx.store.outcome(jid, "failed", str(exc))
                raise XtractError(msg("cutover.cannot_shut_down", "{vm} cannot be shut down: {why}", vm=vm.name,
                                      why=raw(exc.message)),
                                  hint=msg("cutover.cannot_shut_down.hint", "Start VMware Tools in the guest, or "
                                           "allow power-off after the shutdown timeout in the plan, then cut over "
                                           "again.")) from None
            ctx.log(f"{exc.message} Powering {vm.name} off instead, as the plan allows", "WARNING")
            ctx.store.outcome(jid, "refused", str(exc))
            tools = False
        off = tools and await ctx.call(src.wait_for_power_state, ctx.vm_id, "off",
                                       timeout=opts.shutdown_timeout_seconds, cancel=ctx.cancel)
        if not off and opts.shutdown_policy is ShutdownPolicy.POWER_OFF_AFTER_TIMEOUT:
            if tools:
                ctx.log("The guest did not shut down in time; powering it off as the plan allows", "WARNING")
            off_jid = ctx.store.intent(ctx.vm_id, "source", "power_off")
            await power_source(ctx, "off")
            ctx.store.outcome(off_jid, "ok")
        elif not off:
            ctx.store.outcome(jid, "timeout")
            raise XtractError(msg("cutover.shutdown_timeout", "{vm} did not shut down within {s} s.", vm=vm.name,
                                  s=opts.shutdown_timeout_seconds),
                              hint=msg("cutover.shutdown_timeout.hint", "Shut the guest down by hand, or allow "
                                       "power-off after the timeout in the plan."))
        if tools:
            ctx.store.outcome(jid, "ok")
    elif not ctx.data.get("downtime_started"):
        ctx.update(downtime_started=time.time())
    ctx.update(cutover_stage="final_sync")


async def _final_sync(ctx: JobContext) -> None:
    await add_whitelist(ctx)
    number = int(ctx.data.get("sync_count", 0)) + 1
    result = await replicate(ctx, number, "cutover.final_sync")
    summarize(ctx, result, 0.0)
    ctx.update(cutover_stage="create_vm")


async def _create(ctx: JobContext) -> None:
    target = ctx.session.target()
    known = ctx.data.get("target_vm_uuid")
    if known:
        try:
            await ctx.call(target.get_vm, known)
            ctx.log(f"Adopting the AHV VM {known} created before the interruption")
            ctx.update(cutover_stage="power_on")
            return
        except NotFoundError:
            ctx.update(target_vm_uuid=None)
    vm = await ctx.call(ctx.session.source().get_vm, ctx.vm_id)
    spec = vm_spec(ctx, vm)
    # A VM an earlier attempt made (its answer lost, or made while this process died) is adopted, never doubled.
    uuid = await create_vm(ctx, spec)
    ctx.update(target_vm_uuid=uuid, cutover_stage="power_on", sweep_orphans=None)
    ctx.log(f"AHV VM {spec.name} created ({uuid})")


async def _power_on(ctx: JobContext) -> None:
    uuid = ctx.data["target_vm_uuid"]
    jid = ctx.store.intent(ctx.vm_id, "target", "power_on", uuid)
    await power_target_on(ctx, uuid)
    ctx.store.outcome(jid, "ok")
    ctx.update(cutover_stage="after_boot", powered_on_at=time.time())


async def _wait_for_guest(ctx: JobContext, vm: SourceVM) -> None:
    tasks = [t for t in tasks_for(ctx.session.adapters.manifest(), vm.guest_family, GuestPhase.POST)
             if t.id.endswith(FIRSTBOOT_READ)]
    target = guest_target(ctx, vm)
    # Only network channels reach the guest on AHV (VMware Tools guest operations stay with vCenter).
    if not tasks or target is None or ctx.vm_plan.guest.channel not in (GuestChannelKind.WINRM,
                                                                        GuestChannelKind.SSH):
        ctx.step("cutover.wait_guest", "Waiting for guest", StepState.SKIPPED,
                 msg("cutover.wait_guest.no_channel", "no guest channel reaches the guest on AHV; check the console"))
        return
    task = tasks[0]

    async def run() -> None:
        deadline = time.monotonic() + ctx.session.tuning.guest_wait_seconds
        last = "no answer yet"
        script: str | None = None  # read once (on the loop thread), not at every poll
        while time.monotonic() < deadline:
            try:
                channel = await open_channel(ctx, target)
                try:
                    if script is None:
                        script = script_for(ctx, task)
                    res = await ctx.call(channel.run_task, task, script, {}, timeout=task.timeout_seconds,
                                         cancel=ctx.cancel)
                finally:
                    await ctx.call(channel.close)
                data = res.result.get("data", {}) if isinstance(res.result.get("data"), dict) else {}
                if res.ok:
                    ctx.update(first_boot=res.result)
                    ctx.log(f"First-boot result: {res.result.get('message', 'ok')}")
                    return
                last = str(res.result.get("message") or res.stderr[-200:])
                if not data.get("pending"):
                    raise _FirstBootFailed(msg("cutover.first_boot_failed", "The first-boot task reported a failure: "
                                               "{why}", why=raw(last)),
                                           hint=msg("cutover.first_boot_failed.hint", "Open the VM console on AHV and "
                                                    "check the network settings."))
            except XtractError as exc:
                if isinstance(exc, CancelledError | _FirstBootFailed):
                    raise
                last = str(exc)
            await asyncio.sleep(1.0)
        raise XtractError(msg("cutover.first_boot_late", "The guest did not report its first boot in time ({why}).",
                              why=raw(last)),
                          hint=msg("cutover.first_boot_late.hint", "Open the VM console on AHV; the VM is running."))

    await ctx.run_step("cutover.wait_guest", "Waiting for guest", run, warn_only=True)


def _answers(ip: str) -> bool:
    for port in (5985, 3389, 22):
        try:
            with socket.create_connection((ip, port), timeout=0.5):
                return True
        except ConnectionRefusedError:
            return True  # the host is there; that port is just closed
        except OSError:
            continue
    return False


async def _check_ips(ctx: JobContext) -> None:
    ips = [ip for ip in ctx.data.get("guest_ips", []) if ":" not in ip]
    if not ctx.plan.options.retain_ip or not ips:
        return

    async def run() -> None:
        silent = [ip for ip in ips if not await ctx.call(_answers, ip)]
        if silent:
            raise XtractError(msg("cutover.no_answer", "No answer from {addresses} (from this laptop).",
                                  addresses=", ".join(silent)),
                              hint=msg("cutover.no_answer.hint", "The address may not be routed to the laptop; check "
                                       "from inside the network."))

    await ctx.run_step("cutover.check_ip", "Checking retained IP addresses", run, warn_only=True)


async def _finish_source(ctx: JobContext) -> None:
    src = ctx.session.source()
    uuid = ctx.data.get("target_vm_uuid", "")
    jid = ctx.store.intent(ctx.vm_id, "source", "disconnect_nics")
    await ctx.call(src.set_nics_connected, ctx.vm_id, False)
    ctx.store.outcome(jid, "ok")
    note = (f"Migrated to Nutanix AHV by xtract-gui on {time.strftime('%Y-%m-%d %H:%M')} as "
            f"{ctx.vm_plan.effective_target_name} ({uuid}). Do not power on: its NICs are disconnected.")
    jid = ctx.store.intent(ctx.vm_id, "source", "set_annotation")
    await ctx.call(src.set_annotation, ctx.vm_id, note)
    ctx.store.outcome(jid, "ok")
    ctx.update(cutover_stage="post")


async def cutover(ctx: JobContext) -> bool:
    """Run (or continue) the cutover; True when the VM is done, False when it was rolled back."""
    ctx.set_state(JobState.CUTTING_OVER)
    if ctx.data.get("test_vm_uuid") and not _stage_done(ctx, "after_boot"):
        # A test VM is a copy of this VM on the test subnet: it must not outlive the real one's cutover.
        await ctx.run_step("cutover.remove_test", "Removing the test VM", lambda: remove_test_vm(ctx, "cutover"))
    try:
        if not _stage_done(ctx, "shutdown"):
            await ctx.run_step("cutover.shutdown", "Shutting down source", lambda: shutdown_source(ctx))
        if not _stage_done(ctx, "final_sync"):
            async with ctx.sync_lock:
                await ctx.run_step("cutover.final_sync", "Final sync", lambda: _final_sync(ctx))
        if not _stage_done(ctx, "create_vm"):
            await ctx.run_step("cutover.create_vm", "Creating VM on AHV", lambda: _create(ctx))
        if not _stage_done(ctx, "power_on"):
            await ctx.run_step("cutover.power_on", "Powering on", lambda: _power_on(ctx))
    except asyncio.CancelledError:
        raise  # the app is closing: the stage is recorded and a restart continues from it
    except Exception as exc:
        await rollback(ctx, described(exc))
        return False
    vm = await ctx.call(ctx.session.source().get_vm, ctx.vm_id)
    if not _stage_done(ctx, "after_boot"):
        await _wait_for_guest(ctx, vm)
        started = float(ctx.data.get("downtime_started") or time.time())
        ctx.update(downtime_seconds=time.time() - started)
        await _check_ips(ctx)
        await ctx.run_step("cutover.source", "Disconnecting the source NICs", lambda: _finish_source(ctx))
    # The VM runs on its own cloned vmdisks now; remove the staging files (warm) or images (cold) while
    # the NFS whitelist still lets us reach the container (it goes at the end).
    await remove_staging(ctx)
    if ctx.plan.options.post_cleanup:
        ctx.set_state(JobState.POST)
        uuid = ctx.data["target_vm_uuid"]
        snap_name = f"xtract-before-cleanup-{int(time.time())}"
        async def target_snapshot() -> None:
            jid = ctx.store.intent(ctx.vm_id, "target", "snapshot_vm", uuid, name=snap_name)
            snap_id = await ctx.call(ctx.session.target().snapshot_vm, uuid, snap_name)
            ctx.store.outcome(jid, "ok", snapshot=snap_id)

        await ctx.run_step("post.snapshot", "Taking an AHV snapshot", target_snapshot)
        # The VM runs on AHV: a guest that cannot be reached for the clean-up is a warning, never a failure.
        await ctx.run_step("post.guest", "Cleaning up in the guest",
                           lambda: run_phase(ctx, vm, GuestPhase.POST, skip=(FIRSTBOOT_READ,)), warn_only=True)
    await give_back_whitelist(ctx)
    downtime = float(ctx.data.get("downtime_seconds", 0))
    ctx.store.finish_cutover_request(ctx.vm_id, "done", downtime)
    if ctx.data.get("first_boot"):
        ctx.set_state(JobState.DONE, msg("cutover.done", "cut over in {downtime} of downtime",
                                         downtime=seconds(downtime)))
    else:
        # Nobody saw the guest come up on AHV: "done" would be a claim; say what a person has to look at.
        check = what_to_check(ctx, vm)
        ctx.update(check=encode(check))
        ctx.log(f"Cut over, not verified: {check}", "WARNING")
        ctx.set_state(JobState.DONE_UNVERIFIED, check)
    return True


def what_to_check(ctx: JobContext, vm: SourceVM) -> Message:
    """What a person checks on the console of a VM whose first boot on AHV nobody saw."""
    ips = [ip for ip in ctx.data.get("guest_ips", []) if ":" not in ip]
    if ips and ctx.plan.options.retain_ip:
        return msg("cutover.check_console.ip", "Nobody saw {vm} boot on AHV. Open its console in Prism: check that "
                   "Windows or Linux started, its disks are online and it answers at {ips}.", vm=vm.name,
                   ips=", ".join(ips))
    return msg("cutover.check_console", "Nobody saw {vm} boot on AHV. Open its console in Prism: check that Windows "
               "or Linux started, its disks are online and its network is configured.", vm=vm.name)


async def rollback(ctx: JobContext, reason: str) -> None:
    ctx.log(f"Cutover failed before the target booted: {reason}. Rolling back.", "ERROR")
    reason = raw(reason)

    async def run() -> None:
        target = ctx.session.target()
        uuid = ctx.data.get("target_vm_uuid")
        if uuid:
            jid = ctx.store.intent(ctx.vm_id, "target", "delete_vm", uuid)
            await ctx.blocking(target.delete_vm, uuid)
            ctx.store.outcome(jid, "ok")
        await delete_half_created(ctx)
        # A create whose answer was lost is journaled as failed, yet Prism may have made the VM: it carries our
        # marker.
        await remove_our_vms(ctx, ctx.vm_plan.effective_target_name)
        # The source as before the cutover: no migration snapshot (the final sync's, if it stopped half way;
        # its sync starts afresh next time) and powered on again.
        await remove_stray_snapshots(ctx)
        ctx.store.clear_cursors(ctx.vm_id)
        ctx.update(current_snapshot=None)
        if ctx.data.get("source_powered_off_by_us"):
            src = ctx.session.source()
            vm = await asyncio.to_thread(src.get_vm, ctx.vm_id)
            if vm.power_state is not PowerState.ON:  # a guest that never stopped needs no power-on
                jid = ctx.store.intent(ctx.vm_id, "source", "power_on")
                await power_source(ctx, "on")
                ctx.store.outcome(jid, "ok")

    ctx.cancel.clear()  # a user cancel must not stop the clean-up itself
    await ctx.run_step("cutover.rollback", "Rolling back", run)
    ctx.update(cutover_stage=None, target_vm_uuid=None, source_powered_off_by_us=None, downtime_started=None)
    ctx.store.finish_cutover_request(ctx.vm_id, f"rolled back: {reason}", None)
    ctx.set_state(JobState.ROLLED_BACK, reason, error=msg("cutover.rolled_back", "Rolled back: {reason}",
                                                          reason=reason))


async def delete_half_created(ctx: JobContext) -> int:
    """A create_vm intent without an outcome (the process died during the call): find the VM by name and
    delete it, never leaving half a VM.  Prism may still be running the create task, so look again for a
    while (until ``orphan_wait_seconds`` after the intent); a later create sweeps what appears even later."""
    target = ctx.session.target()
    removed = 0
    for entry in ctx.store.open_intents(ctx.vm_id):
        if entry.side != "target" or entry.action != "create_vm":
            continue
        deadline = entry.intent_at + ctx.session.tuning.orphan_wait_seconds
        while True:
            found = await our_vms(ctx, entry.object)  # only ours: a VM of that name may be someone else's
            for vm in found:
                await ctx.blocking(target.delete_vm, vm.uuid)
                ctx.log(f"Deleted the half-created AHV VM {vm.name} ({vm.uuid})", "WARNING")
                removed += 1
            if found or time.time() >= deadline:
                break
            await asyncio.sleep(0.5)
        ctx.store.outcome(entry.id, "cleaned")
    return removed


async def remove_test_vm(ctx: JobContext, why: str) -> None:
    """Delete the job's test VM (journaled), and note in its history when and why it went."""
    uuid = ctx.data.get("test_vm_uuid")
    if uuid:
        jid = ctx.store.intent(ctx.vm_id, "target", "delete_vm", uuid, test=True)
        with contextlib.suppress(NotFoundError):  # removed in Prism by a person: gone either way
            await ctx.call(ctx.session.target().delete_vm, uuid)
        ctx.store.outcome(jid, "ok")
        history = [dict(h, removed_at=h.get("removed_at") or time.time(), removed_by=h.get("removed_by") or why)
                   if h.get("uuid") == uuid else h for h in ctx.data.get("test_vms", [])]
        ctx.update(test_vms=history)
    ctx.update(test_vm_uuid=None, test_vm_name=None)


async def test_migration(ctx: JobContext, *, undo: bool) -> None:
    if undo:
        if ctx.data.get("test_vm_uuid"):
            await ctx.run_step("test.undo", "Removing the test VM", lambda: remove_test_vm(ctx, "the user"))
        ctx.update(test_vm_uuid=None, test_vm_name=None)
        return
    if not ctx.plan.test_subnet_uuid:
        raise ConfigurationError(msg("test.no_subnet", "The plan has no test subnet."),
                                 hint=msg("test.no_subnet.hint", "Choose an isolated subnet for test VMs on the "
                                          "Network page."))
    if int(ctx.data.get("sync_count", -1)) < 0:
        raise XtractError(msg("test.not_seeded", "The VM has not been seeded yet."),
                          hint=msg("test.not_seeded.hint", "Wait until it is ready for cutover."))

    async def create() -> None:
        async with ctx.sync_lock:  # the test VM clones the target files: no sync may write meanwhile
            vm = await ctx.call(ctx.session.source().get_vm, ctx.vm_id)
            spec = vm_spec(ctx, vm, test=True)
            uuid = await create_vm(ctx, spec, test=True)
            history = [*ctx.data.get("test_vms", []), {"name": spec.name, "uuid": uuid, "created_at": time.time()}]
            ctx.update(test_vm_uuid=uuid, test_vm_name=spec.name, test_vms=history)
        await power_target_on(ctx, uuid)

    await ctx.run_step("test.create", "Creating the test VM", create)
