"""One QEMU process: start, ACPI power button and quit over QMP, wait, and the serial console it writes.

QMP is QEMU's JSON control protocol on a Unix socket (docs/interop/qmp-spec in QEMU's sources): the
server greets with ``{"QMP": …}``, the client sends ``qmp_capabilities``, then commands; events
(``{"event": …}``) may arrive between a command and its ``{"return": …}``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...domain.errors import ConfigurationError, XtractError
from .accel import accelerator
from .hardware import Machine, describe, ovmf_vars_template, qemu_argv

log = logging.getLogger("xtract_gui.lab.qemu")
GUEST_NICENESS = 5  # weight 335 against a normal thread's 1024: below the app, never starved for long

# What a Linux guest prints when a vCPU stopped getting timer interrupts for good (seen under TCG on a loaded host:
# "rcu_preempt kthread timer wakeup didn't happen for 5247 jiffies! ... Possible timer handling issue on cpu=0",
# the vCPU idle in HLT ever after).  Not every RCU stall report: "rcu_preempt kthread starved ... ->state=0x0"
# (runnable, not run) came on a one-vCPU guest the host starved for 20 s during a heavy boot: the host's load, not
# a lost timer, so no reason to power-cycle it (a bounded wait still ends on it).
STALL_SIGNS = ("kthread timer wakeup didn't happen",)
# A stalled guest is reset (QMP system_reset: the power-cycle a person would do) at most this many times per
# QEMU process; only then do waits give up on it.  The stall is an artefact of TCG on a loaded host (it comes at
# a random boot, at the kernel's switch to the TSC clocksource), not something the guest or the product did.
STALL_RESETS = 2
STALL_CHECK_SECONDS = 5.0


class QmpError(XtractError):
    """QEMU's control socket refused or broke."""


def qmp(socket_path: Path, command: str, arguments: dict[str, Any] | None = None, *, timeout: float = 10.0
        ) -> Any:
    """Send one QMP command on a fresh connection and return its ``return`` value."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(str(socket_path))
            reader = s.makefile("r", encoding="utf-8")
            json.loads(reader.readline())  # the greeting
            for cmd, args in (("qmp_capabilities", None), (command, arguments)):
                s.sendall((json.dumps({"execute": cmd, **({"arguments": args} if args else {})}) + "\n").encode())
                while True:
                    answer = json.loads(reader.readline())
                    if "return" in answer:
                        result = answer["return"]
                        break
                    if "error" in answer:
                        raise QmpError(f"QMP {cmd}: {answer['error'].get('desc', answer['error'])}")
            return result
        except (OSError, ValueError) as exc:
            raise QmpError(f"QMP {command} on {socket_path} failed: {exc}") from None


class QemuVm:
    """A running (or stopped) QEMU VM.  ``on_exit`` is called once, from a watcher thread, when it ends."""

    def __init__(self, machine: Machine, *, on_exit: Callable[[QemuVm], None] | None = None) -> None:
        self.machine = machine
        self.on_exit = on_exit
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ended_at = 0.0
        self.resets = 0  # stall resets so far (recover())
        self._console_from = 0  # where the console of the current boot starts (after the last reset)
        self._checked_at = 0.0
        self._watcher: threading.Thread | None = None

    def start(self) -> QemuVm:
        if not shutil.which("qemu-system-x86_64"):
            raise ConfigurationError("QEMU is not installed, so the lab cannot boot real guests.",
                                     hint="Install the Debian package qemu-system-x86 (and ovmf for UEFI guests).")
        m = self.machine
        m.serial_log.parent.mkdir(parents=True, exist_ok=True)
        m.serial_log.write_bytes(b"")
        m.qmp_socket.unlink(missing_ok=True)
        if m.uefi and m.vars_file is not None and not m.vars_file.exists():
            shutil.copyfile(ovmf_vars_template(), m.vars_file)
        argv = qemu_argv(m, accelerator())
        log.info("qemu %s: %s", m.name, describe(argv))
        if shutil.which("nice"):
            # Under TCG every vCPU is a busy host thread: the lab's guests yield to the app (the wizard, the copy)
            # and to whatever else runs, instead of taking their full share of a laptop's cores.  nice(1) execs
            # QEMU, so the pid is QEMU's and every thread it starts inherits the priority.
            argv = ["nice", "-n", str(GUEST_NICENESS), *argv]
        stderr = m.serial_log.with_suffix(".qemu.log")
        with open(stderr, "wb") as err:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        self.started_at = time.monotonic()
        self._watcher = threading.Thread(target=self._watch, name=f"qemu-{m.name}", daemon=True)
        self._watcher.start()
        return self

    def _watch(self) -> None:
        assert self.proc is not None
        self.proc.wait()
        self.ended_at = time.monotonic()
        log.info("qemu %s exited with %s", self.machine.name, self.proc.returncode)
        if self.on_exit is not None:
            try:
                self.on_exit(self)
            except Exception:
                log.exception("qemu %s: exit hook failed", self.machine.name)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def powerdown(self) -> None:
        """The ACPI power button: a guest with acpid/systemd-logind shuts down cleanly and QEMU exits."""
        if self.running:
            qmp(self.machine.qmp_socket, "system_powerdown")

    def stop(self, timeout: float = 20.0) -> None:
        """Pull the plug (QMP ``quit``, then SIGKILL of the process we started)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(QmpError):
            qmp(self.machine.qmp_socket, "quit", timeout=5)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=timeout)

    def wait(self, timeout: float) -> bool:
        """True when the process ended within ``timeout`` seconds."""
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        if self._watcher is not None:
            self._watcher.join(timeout=10)
        return True

    def console(self) -> str:
        """What the guest wrote on its serial console so far."""
        try:
            return self.machine.serial_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def stall_line(self) -> str:
        """The console line of this boot that says the guest's kernel stalled ("" when it did not)."""
        text = self.console()[self._console_from:]
        for sign in STALL_SIGNS:
            at = text.find(sign)
            if at >= 0:
                start = text.rfind("\n", 0, at) + 1
                end = text.find("\n", at)
                return text[start:end if end >= 0 else len(text)].strip()
        return ""

    def stalled(self) -> str:
        """The stall line when the guest stalled again after its last reset: a wait on it is over."""
        return self.stall_line() if self.resets >= STALL_RESETS else ""

    def recover(self) -> bool:
        """Reset a guest that stalled (at most STALL_RESETS times, at most every STALL_CHECK_SECONDS a look)."""
        now = time.monotonic()
        if not self.running or self.resets >= STALL_RESETS or now - self._checked_at < STALL_CHECK_SECONDS:
            return False
        self._checked_at = now
        why = self.stall_line()
        if not why:
            return False
        self.resets += 1
        log.warning("qemu %s stalled (%s): reset %d of %d", self.machine.name, why, self.resets, STALL_RESETS)
        self._console_from = len(self.console())
        try:
            qmp(self.machine.qmp_socket, "system_reset")
        except QmpError as exc:
            log.warning("qemu %s: reset failed: %s", self.machine.name, exc)
        return True

    def tail(self, chars: int = 3000) -> str:
        """The end of the console, for an error message."""
        return f"console of {self.machine.name} ({self.machine.serial_log}):\n{self.console()[-chars:]}"

    def wait_for_console(self, needles: tuple[str, ...], timeout: float) -> str:
        """The first of ``needles`` the console shows within ``timeout`` s ("" on timeout, exit or a stall)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.console()
            for needle in needles:
                if needle in text:
                    return needle
            self.recover()
            if not self.running or self.stalled():
                return ""
            time.sleep(0.5)
        return ""
