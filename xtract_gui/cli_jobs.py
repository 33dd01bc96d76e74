"""The CLI commands that drive migration jobs: ``run`` (start or continue a plan, then keep syncing until the VMs
are cut over), ``cutover``, ``test``, ``pause``, ``resume``, ``cancel``.

A job is driven by one process at a time (engine/locks.py).  ``cutover`` of a job another process drives (a
``run`` in another shell, the wizard) is written to the database; that process carries it out, and this one
watches the job to its end and says how it ended, on stderr when it did not end well.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import sys
from collections.abc import Sequence
from typing import Any

from .cli import CliError, _fail_line, _refs, _secrets_for, load_plan
from .domain.errors import XtractError
from .domain.plan import Plan
from .domain.states import JobState
from .engine.console import Printer
from .engine.context import Tuning
from .engine.manager import JobManager, JobSnapshot

BAD = (JobState.FAILED, JobState.ROLLED_BACK, JobState.CANCELLED)


def manager_for(args: argparse.Namespace, plans: Sequence[Plan] = (), *, owner: str) -> JobManager:
    from .engine.store import Store
    from .wiring import build_manager

    if not plans:  # commands on existing jobs: the plans they belong to decide the secret store
        store = Store.open_default()
        plans = [store.plan(j.plan_id) for j in store.jobs()]
        store.close()
    knobs = {"sync_interval_seconds": args.sync_seconds, "orphan_wait_seconds": args.orphan_wait}
    given = {k: v for k, v in knobs.items() if v is not None}
    tuning = Tuning(**given) if given else None
    return build_manager(secrets=_secrets_for(plans), tuning=tuning, owner=owner)


def preflight(plan: Plan, secrets: Any) -> dict[str, list[Any]]:
    """Resolve every secret, connect both sides, run readiness: nothing is changed anywhere, so the whole of it is
    tried again after a transient fault, like any idempotent call."""
    from .engine.resilient import call_retrying

    for ref in _refs(plan):
        if not secrets.get(ref.service, ref.username):
            raise CliError(f"No secret stored for {ref}: run 'xtract-gui secret set {ref.service} {ref.username}'.")
    return call_retrying(_readiness, plan, secrets, what="check readiness")


def _readiness(plan: Plan, secrets: Any) -> dict[str, list[Any]]:
    from .engine.prep import readiness_findings
    from .wiring import connect_source, connect_target_endpoint

    source = connect_source(plan.source, secrets.get(plan.source.password.service, plan.source.password.username))
    try:
        t = plan.target
        target = connect_target_endpoint(t, secrets.get(t.password.service, t.password.username))
        try:
            return readiness_findings(plan, source, target)
        finally:
            target.close()
    finally:
        source.close()


def _vm_ids(manager: JobManager, names: Sequence[str]) -> list[str]:
    jobs = {j.vm_id: j for j in manager.jobs()}
    by_name = {j.name: j.vm_id for j in jobs.values()}
    out = []
    for n in names:
        if n in jobs:
            out.append(n)
        elif n in by_name:
            out.append(by_name[n])
        else:
            raise CliError(f"Unknown VM {n!r}: 'xtract-gui status' lists the VMs with a migration job.")
    return out


def _done(s: JobSnapshot) -> bool:
    return s.state.terminal or s.state in (JobState.FAILED, JobState.ROLLED_BACK, JobState.PAUSED)


def _ready(s: JobSnapshot) -> bool:
    return s.ready_for_cutover or _done(s)


def _tell_failures(snaps: Sequence[JobSnapshot]) -> int:
    """Each VM that did not end well, with its cause, on stderr; the exit code."""
    bad = [s for s in snaps if s.state in BAD]
    for s in snaps:  # on AHV, but nobody saw the guest boot: not a failure, yet a person has to look
        if s.state is JobState.DONE_UNVERIFIED:
            print(f"xtract-gui: {s.name}: cut over, not verified: {s.check}", file=sys.stderr)
    for s in bad:
        print(f"xtract-gui: {s.name}: {s.state.value}: {_fail_line(Exception(s.error)) or 'no reason recorded'}",
              file=sys.stderr)
    return 1 if bad else 0


async def _watch(manager: JobManager, ids: Sequence[str], printer: Printer, stop: asyncio.Event) -> None:
    """Lines for the jobs another process drives (their events stay in that process): state and step changes."""
    seen: dict[str, tuple[str, str]] = {}
    while not stop.is_set():
        for s in manager.jobs():
            if s.vm_id not in ids or (s.vm_id not in seen and not manager.locks.elsewhere(s.vm_id)):
                continue
            now = (s.state.value, s.step_title)
            if seen.get(s.vm_id) != now:
                seen[s.vm_id] = now
                printer.line(s.vm_id, f"{s.state.value}" + (f" ({s.step_title})" if s.step_title else ""))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def _wait_watching(manager: JobManager, ids: Sequence[str], until: Any, printer: Printer) -> list[JobSnapshot]:
    stop = asyncio.Event()
    watcher = asyncio.get_running_loop().create_task(_watch(manager, ids, printer, stop))
    try:
        return await manager.wait(ids, until)
    finally:
        stop.set()
        await watcher


def _take_over_plan_edits(manager: JobManager, plan: Plan, existing: dict[str, JobSnapshot],
                          unfinished: list[str]) -> None:
    """An edited plan file for jobs under way: the safe changes are taken over, the others refused by name."""
    for plan_id in sorted({existing[v].plan_id for v in unfinished}):
        try:
            changed = manager.update_plan(plan_id, plan)
        except XtractError as exc:
            raise CliError(_fail_line(exc), 2) from None
        if changed:
            print(f"xtract-gui: taken over from the plan file: {', '.join(changed)}", file=sys.stderr)


async def _run(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    manager = manager_for(args, [plan], owner=f"xtract-gui run {args.plan}")
    names = {v.vm_id: v.name for v in plan.vms}
    printer = Printer(args.json, names)
    manager.subscribe(printer)
    try:
        existing = {j.vm_id: j for j in manager.jobs()}
        unfinished = [v.vm_id for v in plan.vms if v.vm_id in existing and not existing[v.vm_id].state.terminal]
        if unfinished:
            elsewhere = [v for v in unfinished if manager.locks.elsewhere(v)]
            if elsewhere:
                raise CliError(f"{names[elsewhere[0]]} is being migrated by another xtract-gui process: "
                               f"{manager.locks.holder(elsewhere[0])}. Use that one, or stop it and run this again.")
            _take_over_plan_edits(manager, plan, existing, unfinished)
            await manager.resume_all()
            await manager.retry(unfinished)
            await manager.resume(unfinished)
        else:
            found = await asyncio.to_thread(preflight, plan, manager.adapters.secrets)
            blockers = [f for fs in found.values() for f in fs if f.severity.value == "blocker"]
            if blockers:
                raise CliError(f"{len(blockers)} blocker(s), first: {blockers[0].message} "
                               f"Run 'xtract-gui plan validate {args.plan}' for all.")
            await manager.start(plan)
        ids = [v.vm_id for v in plan.vms]
        snaps = await manager.wait(ids, _ready)
        if args.until == "done":
            ready = [s.vm_id for s in snaps if s.ready_for_cutover]
            if ready:
                await manager.cutover(ready, requested_by=f"{getpass.getuser()} (xtract-gui run --until done)")
            snaps = await manager.wait(ids, _done)
        elif args.until == "cutover":
            if any(s.ready_for_cutover for s in snaps):
                interval = plan.options.sync_interval_minutes
                print(f"xtract-gui: ready for cutover; syncing every {args.sync_seconds or interval} "
                      f"{'s' if args.sync_seconds else 'min'} until each VM is cut over: run 'xtract-gui cutover "
                      f"VM…' in another shell (Ctrl+C stops here; 'run' again continues).", file=sys.stderr,
                      flush=True)
            snaps = await manager.wait(ids, _done)
        return _tell_failures(snaps)
    finally:
        await manager.close()


async def _jobs(args: argparse.Namespace) -> int:
    owner = f"xtract-gui {args.command} {' '.join(args.vms)}"
    manager = manager_for(args, owner=owner)
    names = {j.vm_id: j.name for j in manager.jobs()}  # progress lines name VMs as people do, not by moref
    printer = Printer(getattr(args, "json", False), names)
    manager.subscribe(printer)
    try:
        ids = _vm_ids(manager, args.vms)
        if args.command == "cutover":
            await manager.resume_all()
            await manager.cutover(ids, requested_by=getpass.getuser())
            for vm_id in ids:
                if manager.locks.elsewhere(vm_id):
                    printer.line(vm_id, f"cutover requested; {manager.locks.holder(vm_id)} carries it out")
            snaps = await _wait_watching(manager, ids, _done, printer)
            code = _tell_failures(snaps)
            for s in snaps:
                if not s.state.is_done and s.state not in BAD:
                    print(f"xtract-gui: {s.name}: stopped while {s.state.value}; run the same command again to "
                          "continue.", file=sys.stderr)
                    code = 1
            return code
        if args.command == "test":
            await manager.test_migration(ids, undo=args.undo)
        elif args.command == "pause":
            await manager.pause(ids)
        elif args.command == "resume":
            await manager.resume(ids)
            return _tell_failures(await manager.wait(ids, _ready))
        elif args.command == "cancel":
            await manager.cancel(ids, undo_guest=args.undo_guest)
        return 0
    finally:
        await manager.close()


def run_command(args: argparse.Namespace) -> int:
    return asyncio.run(_run(args))


def jobs_command(args: argparse.Namespace) -> int:
    return asyncio.run(_jobs(args))
