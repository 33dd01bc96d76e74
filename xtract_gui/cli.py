"""``xtract-gui``: the wizard, the headless demo, the lab servers and a scriptable migration CLI.

Every failure the user can fix ends in one line on stderr and a non-zero exit: 2 for a bad plan or
usage, 1 for blockers, unreachable endpoints, missing secrets and failed migrations.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__, paths
from .domain.errors import ConfigurationError, XtractError
from .domain.plan import Plan, SecretRef, TransferMode
from .domain.redact import scrub
from .engine.console import Printer, status_table
from .engine.manager import JobManager


class CliError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def _fail_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# -- plans, secrets, managers ---------------------------------------------------------------------

def load_plan(path: str) -> Plan:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"Cannot read the plan {path}: {exc.strerror}.", 2) from None
    try:
        return Plan.from_json(text)
    except ConfigurationError as exc:
        raise CliError(f"Bad plan {path}: {_fail_line(exc)}", 2) from None


class _LabOrKeyring:
    """The lab's fixed passwords for the lab's own references; the OS keyring for every other one."""

    def __init__(self) -> None:
        from .lab.runner import SERVICE, lab_secrets
        from .wiring import keyring_secrets

        self.lab_service, self.lab, self.keyring = SERVICE, lab_secrets(), keyring_secrets()

    def get(self, service: str, username: str) -> str | None:
        return (self.lab if service == self.lab_service else self.keyring).get(service, username)

    def set(self, service: str, username: str, secret: str) -> None:
        self.keyring.set(service, username, secret)

    def delete(self, service: str, username: str) -> None:
        self.keyring.delete(service, username)


def _secrets_for(plans: Sequence[Plan]) -> Any:
    from .lab.runner import is_lab_plan

    if any(is_lab_plan(p) for p in plans):
        return _LabOrKeyring()
    from .wiring import keyring_secrets

    return keyring_secrets()


def _refs(plan: Plan) -> list[SecretRef]:
    refs = [plan.source.password, plan.target.password]
    refs += [v.guest.password for v in plan.vms if v.guest.password is not None]
    return refs


def _validate(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    from .cli_jobs import preflight

    found = preflight(plan, _secrets_for([plan]))
    names = {v.vm_id: v.name for v in plan.vms}
    blockers = 0
    for vm_id, findings in found.items():
        for f in findings:
            blockers += f.severity.value == "blocker"
            print(f"{names.get(vm_id, '(plan)'):<16} {f.severity.value:<8} {f.message}  Fix: {f.fix}")
    print(f"{blockers} blocker(s).")
    return 1 if blockers else 0


def _status(args: argparse.Namespace) -> int:
    from .engine.store import Store

    store = Store.open_default()
    try:
        manager = JobManager(store=store, adapters=_no_adapters())
        jobs = manager.jobs()
    finally:
        store.close()
    if args.json:
        print(json.dumps([{**dataclasses.asdict(j), "state": j.state.value} for j in jobs], indent=2))
    else:
        print(status_table(jobs))
    return 0


def _no_adapters() -> Any:
    from .engine.context import Adapters

    def unavailable(*_: Any) -> Any:
        raise XtractError("This command does not connect anywhere.")

    return Adapters(secrets=_secrets_for([]), source=unavailable, target=unavailable, writers=unavailable)


def _report(args: argparse.Namespace) -> int:
    from .engine.report import render_report
    from .engine.store import Store

    store = Store.open_default()
    try:
        html = render_report(store)
    finally:
        store.close()
    if args.html:
        Path(args.html).write_text(html, encoding="utf-8")
        print(f"Report written to {args.html}")
    else:
        print(html)
    return 0


def _secret_set(args: argparse.Namespace) -> int:
    from .wiring import keyring_secrets

    value = getpass.getpass(f"Secret for {args.user} ({args.service}): ") if sys.stdin.isatty() \
        else sys.stdin.readline().rstrip("\n")
    if not value:
        raise CliError("No secret given; nothing stored.", 2)
    keyring_secrets().set(args.service, args.user, value)
    print(f"Stored; the plan refers to it as \"keyring:{args.service}/{args.user}\".")
    return 0


def _check_folder(args: argparse.Namespace) -> int:
    from .source.folder_check import run

    return run(args)


def has_screen(environ: Mapping[str, str] | None = None, platform: str | None = None) -> bool:
    """False on Linux/BSD without a display server to talk to and no Qt platform chosen (ssh, CI, a container);
    macOS and Windows always have one."""
    env = os.environ if environ is None else environ
    platform = platform or sys.platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def _desktop_problem() -> str:
    """Why the wizard cannot open on this desktop (Qt's platform plugin lacks system libraries), or ""."""
    try:
        from .gui.qpa_check import platform_problem
    except ImportError:
        return ""  # no Qt at all: _gui says so
    problem = platform_problem()
    return problem.message() if problem else ""


def _gui(demo: bool, sync_seconds: float | None = None) -> int:
    try:
        from .gui.app import run_gui
    except ImportError as exc:
        raise CliError(f"The desktop wizard is not available in this installation ({exc}).") from None
    return int(run_gui(demo=demo, sync_seconds=sync_seconds))


def _lab_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from .lab.runner import Lab

    state_dir = Path(args.state_dir or tempfile.mkdtemp(prefix="xtract-lab-"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    boot = {"boot": "qemu", "families": tuple(args.families.split(","))} if args.boot == "qemu" else {}
    with Lab(state_dir, vms=args.vms, source=args.source, **boot) as lab:
        assert lab.endpoints is not None and lab.prism is not None
        if args.task_delay:
            lab.prism.task_delay(args.task_delay)
        (state_dir / "plan.json").write_text(lab.endpoints.plan.to_json(), encoding="utf-8")
        _write_private(state_dir / "endpoints.json", lab.endpoints.to_json())  # it holds the lab's passwords
        print(lab.endpoints.to_json(), flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by this user only (0600 from the first byte), whole or not at all."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, 0o600)  # an older file of that name kept its mode through O_CREAT
    os.replace(tmp, path)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="xtract-gui", description="Migrate running vSphere VMs to Nutanix AHV.")
    p.add_argument("--version", action="version", version=f"xtract-gui {__version__}")
    p.add_argument("--demo", action="store_true", help="open the wizard on the embedded lab")
    p.add_argument("--sync-seconds", type=float, default=None, help=argparse.SUPPRESS)  # tests: fast syncs
    # tests: how long to look for what a create whose answer was lost made (a lab Prism answers in a second)
    p.add_argument("--orphan-wait", type=float, default=None, help=argparse.SUPPRESS)
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="run a whole migration headless on the embedded lab")
    d.add_argument("--vms", type=int, default=2)
    d.add_argument("--state-dir")
    d.add_argument("--json", action="store_true")
    d.add_argument("--mode", choices=["warm", "cold"], default="warm")
    lab = sub.add_parser("lab", help="the lab servers").add_subparsers(dest="lab_command", required=True)
    serve = lab.add_parser("serve", help="run the lab servers until interrupted")
    serve.add_argument("--state-dir")
    serve.add_argument("--source", choices=["python", "vcsim"], default="python")
    serve.add_argument("--vms", type=int, default=4)
    serve.add_argument("--boot", choices=["none", "qemu"], default="none",
                       help="qemu: real Linux guests in QEMU (source checkout, root; images built once)")
    serve.add_argument("--families", default="debian", help="with --boot qemu: debian,rhel,ubuntu")
    serve.add_argument("--task-delay", type=float, default=0.0, help=argparse.SUPPRESS)  # tests: slow Prism tasks
    plan = sub.add_parser("plan", help="plan files").add_subparsers(dest="plan_command", required=True)
    plan.add_parser("validate", help="readiness table").add_argument("plan")
    r = sub.add_parser("run", help="start (or continue) the migration of a plan")
    r.add_argument("plan")
    r.add_argument("--until", choices=["ready", "cutover", "done"], default="cutover",
                   help="cutover (default): keep syncing at the plan's interval until every VM is cut over (by "
                        "'xtract-gui cutover' from another shell, or automatically); ready: stop once every VM is "
                        "ready for cutover; done: cut over as soon as each VM is ready")
    r.add_argument("--json", action="store_true")
    sub.add_parser("status", help="the jobs").add_argument("--json", action="store_true")
    for name in ("cutover", "pause", "resume"):
        sub.add_parser(name, help=f"{name} VMs").add_argument("vms", nargs="+")
    t = sub.add_parser("test", help="test migration (a throw-away VM on the test subnet)")
    t.add_argument("vms", nargs="+")
    t.add_argument("--undo", action="store_true")
    c = sub.add_parser("cancel", help="cancel and clean up")
    c.add_argument("vms", nargs="+")
    c.add_argument("--undo-guest", action="store_true")
    sub.add_parser("report", help="the migration report").add_argument("--html")
    sec = sub.add_parser("secret", help="keyring secrets").add_subparsers(dest="secret_command", required=True)
    ss = sec.add_parser("set", help="store a secret read from stdin")
    ss.add_argument("service")
    ss.add_argument("user")
    # The first thing to run at a new customer (README; xtract_gui/source/folder_check.py).
    f = sub.add_parser("check-folder", help="does /folder serve a running VM's base disk while our snapshot holds it?")
    f.add_argument("--vcenter", required=True, help="vCenter address")
    f.add_argument("--port", type=int, default=443)
    f.add_argument("--user", required=True, help="vCenter user (the password is asked for, or read from stdin)")
    f.add_argument("--fingerprint", default="", help="vCenter's SHA-256 certificate fingerprint to pin")
    f.add_argument("--vm", required=True, help="name of a running VM to read (its first disk)")
    f.add_argument("--offset", type=int, default=0)
    f.add_argument("--length", type=int, default=1024 * 1024)
    f.add_argument("--esxi", default=None, help="base URL of the VM's ESXi host (default https://<management IP>)")
    f.add_argument("--json", action="store_true")
    f.add_argument("--protocol", choices=["https", "http"], default="https", help=argparse.SUPPRESS)  # the lab
    return p


def _demo(args: argparse.Namespace) -> int:
    from .lab.runner import clear_previous_demo, run_demo
    from .wiring import build_manager

    state_dir = Path(args.state_dir or tempfile.mkdtemp(prefix="xtract-demo-"))
    if clear_previous_demo(state_dir):
        # A used lab holds VMs that are already cut over (names taken on the target): start afresh.
        print(f"xtract-gui: {state_dir} holds an earlier demo; starting a fresh lab in it.", file=sys.stderr)
    return asyncio.run(run_demo(state_dir, vms=args.vms, mode=TransferMode(args.mode), sink=Printer(args.json),
                                build_manager=build_manager, sync_seconds=args.sync_seconds or 1.0,
                                as_json=args.json))


def main(argv: Sequence[str] | None = None) -> int:
    paths.keep_files_private()
    from .cli_jobs import jobs_command, run_command

    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            why_not = "" if has_screen() else "no screen (no DISPLAY or WAYLAND_DISPLAY)"
            problem = "" if why_not else _desktop_problem()  # before Qt is imported: QtGui itself may not load
            if problem:
                print(f"xtract-gui: {problem}", file=sys.stderr, flush=True)
                if not args.demo:
                    return 1
                why_not = "the wizard cannot open on this desktop"  # the demo can still run headless
            if not why_not:
                return _gui(args.demo, args.sync_seconds)
            if not args.demo:
                raise CliError("No screen to show the wizard on (no DISPLAY or WAYLAND_DISPLAY): run it on a "
                               "desktop, or try 'xtract-gui demo' for the headless demo.", 2)
            print(f"xtract-gui: {why_not}; running the headless demo instead.", file=sys.stderr, flush=True)
            args = build_parser().parse_args([*(["--sync-seconds", str(args.sync_seconds)] if args.sync_seconds
                                                else []), "demo"])
        commands: dict[str, Callable[[argparse.Namespace], int]] = {
            "demo": _demo, "lab": _lab_serve, "plan": _validate, "status": _status, "report": _report,
            "secret": _secret_set, "run": run_command, "check-folder": _check_folder}
        if args.command in commands:
            return commands[args.command](args)
        return jobs_command(args)
    except CliError as exc:
        print(f"xtract-gui: {exc}", file=sys.stderr)
        return exc.code
    except XtractError as exc:
        print(f"xtract-gui: {_fail_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("xtract-gui: interrupted; run the same command again to continue.", file=sys.stderr)
        return 130
    except Exception as exc:  # a defect, or a fault no adapter translated: one line here, the details in the log
        print(f"xtract-gui: unexpected error ({_fail_line(scrub(f'{type(exc).__name__}: {exc}'))[:300]}); the "
              f"details are in {_crash_log(exc)}. Run the same command again to continue.", file=sys.stderr)
        return 1


def _crash_log(exc: BaseException) -> str:
    """Append the traceback to the CLI's log (scrubbed); returns where it went."""
    import time
    import traceback

    from .paths import log_dir

    text = scrub("".join(traceback.format_exception(exc)))
    try:
        path = log_dir() / "xtract-cli.log"
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} xtract-gui {__version__}: {text}\n")
        return str(path)
    except OSError:  # no log folder either: the person still gets the one line
        return "no log (the log folder cannot be written)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
