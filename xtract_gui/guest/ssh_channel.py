"""Guest channel over SSH (paramiko) for Linux guests: password or key, host key pinned, sudo, SFTP.

The host key is pinned the way TLS certificates are elsewhere in the app: the plan holds
"<key type> SHA256:<base64>" (what ``ssh-keygen -lf`` prints), the handshake offers only that key type,
and any other key is refused with a message that says so.  There is no trust on first use inside the
channel: ``probe_host_key`` gives the wizard the key to show, and the person pins it.

A script run (issue 21.1: nobody else may touch what runs as root), by the one Linux run-folder rule that
the VMware Tools channel follows too (``guest.scripts``):

1. As the guest account, one shell call checks every folder above the run folder (no symlink; owned by root
   or the account; no write for group/others, except a root-owned sticky parent like /tmp, where nobody may
   rename another's entry), makes ``<run_parent>/xtract.<random>`` exclusively with mode 0700 and checks it.
   Anything else refuses the run, with the reason, before a byte is written.
2. The script and its params file go in over SFTP, created exclusively (an existing name, e.g. a
   planted symlink, fails) with mode 0600.
3. The same rule checks the folder again, then ``bash <script> <params>`` runs as root: directly for root,
   else through ``sudo``; sudo's password travels on stdin (never argv, never a file), and the script itself
   gets no stdin.  Output comes back on the SSH channel; the last stdout line is the JSON result
   (resources/README.md).
4. The folder is removed.  A cancel or a timeout kills the remote process group (its id is the
   first line the wrapper prints) as root.
"""

from __future__ import annotations

import logging
import posixpath
import select
import shlex
import threading
import time
from typing import Any

import paramiko

from ..domain.errors import CancelledError, ConfigurationError, GuestError, UnsupportedError, XtractError
from ..domain.guest_tasks import GuestTask
from ..domain.inventory import OsFamily
from ..domain.redact import scrub
from ..engine.ports import Cancellation, GuestTarget, ScriptResult
from . import ssh_faults as faults
from .scripts import (
    REFUSED,
    finish,
    linux_guard_run,
    linux_make_run_folder,
    linux_run_folder,
    params_bytes,
    refusal,
    script_basename,
    secret_values,
)
from .ssh_connect import connect, key_pin, load_private_key, split_pin

log = logging.getLogger("xtract_gui.guest.ssh")

PID_MARK = "XTRACT-PGID="
RUN_PARENT = "/tmp"  # root-owned and sticky (guest.scripts.LINUX_RUN_PARENT)


class SshChannel:
    """One Linux guest over SSH.  One remote operation at a time (a lock), like the other channels."""

    def __init__(self, target: GuestTarget, *, timeout: float = 20.0, run_parent: str = RUN_PARENT) -> None:
        if str(getattr(target.os_family, "value", target.os_family)) != OsFamily.LINUX.value:
            raise UnsupportedError(f"SSH reaches Linux guests only; {target.vm_id} is {target.os_family}.",
                                   hint="Use WinRM or VMware Tools guest operations for this guest.")
        if not target.host:
            raise ConfigurationError(f"No SSH address for {target.vm_id}: VMware Tools reports no IP.",
                                     hint="Enter the guest's address in the guest options.")
        self.target = target
        self.port = target.port or 22
        self._timeout = timeout
        self._run_parent = run_parent.rstrip("/") or "/"
        self._lock = threading.RLock()
        self._secrets = [s for s in (target.password, target.private_key) if s]
        self._transport = connect(target, timeout)
        try:
            self._check_host_key()
            self._authenticate()
            self._transport.set_keepalive(30)
        except (paramiko.SSHException, EOFError, OSError) as exc:  # the peer went away during the handshake
            self._transport.close()
            raise faults.lost(target.host, "opening the session", exc) from None
        except BaseException:
            self._transport.close()
            raise
        self._sftp: paramiko.SFTPClient | None = None
        self._uid: int | None = None
        self._sudo: str | None = None  # "root", "nopasswd" or "password", found at the first privileged call

    # -- connection ----------------------------------------------------------------------------------

    def _check_host_key(self) -> None:
        offered = key_pin(self._transport.get_remote_server_key())
        if not self.target.host_key:
            raise faults.not_pinned(self.target.host, self.port, offered)
        kind, fingerprint = split_pin(self.target.host_key)
        if split_pin(offered)[1] != fingerprint or (kind and split_pin(offered)[0] != kind):
            raise faults.key_changed(self.target.host, self.port, self.target.host_key, offered)

    def _authenticate(self) -> None:
        t, user = self._transport, self.target.user
        try:
            if self.target.private_key:
                key = load_private_key(self.target.private_key, self.target.password)
                try:
                    t.auth_publickey(user, key)
                except paramiko.AuthenticationException as exc:
                    raise faults.auth_failed(self.target.host, user, "its key", exc) from None
                return
            try:
                t.auth_password(user, self.target.password)
            except paramiko.BadAuthenticationType as exc:
                if "keyboard-interactive" not in exc.allowed_types:
                    raise faults.auth_failed(self.target.host, user, "a password (the guest allows only "
                                             f"{', '.join(exc.allowed_types)})", exc) from None
                # PAM behind keyboard-interactive asks "Password:": answer every prompt with it.
                t.auth_interactive(user, lambda _title, _text, prompts: [self.target.password] * len(prompts))
        except paramiko.AuthenticationException as exc:
            raise faults.auth_failed(self.target.host, user, "a password", exc) from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise faults.lost(self.target.host, "logging in", exc) from None

    def _sftp_client(self) -> paramiko.SFTPClient:
        if self._sftp is None:
            try:
                self._sftp = paramiko.SFTPClient.from_transport(self._transport)
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise GuestError(f"The guest {self.target.host} offers no SFTP ({exc}).",
                                 hint="Enable the sftp subsystem in the guest's sshd_config.") from None
            if self._sftp is None:
                raise GuestError(f"The guest {self.target.host} offers no SFTP.",
                                 hint="Enable the sftp subsystem in the guest's sshd_config.")
        return self._sftp

    # -- commands ------------------------------------------------------------------------------------

    def _exec(self, command: str, *, stdin: bytes = b"", timeout: float, cancel: Cancellation | None = None,
              what: str, on_stop: Any = None) -> tuple[int, bytes, bytes]:
        """Run ``command`` in the account's shell; ``on_stop(stdout so far)`` runs on cancel or timeout."""
        deadline = time.monotonic() + timeout
        try:
            chan = self._transport.open_session(timeout=self._timeout)
            chan.exec_command(command)
            if stdin:
                chan.sendall(stdin)
            chan.shutdown_write()
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise faults.lost(self.target.host, what, exc) from None
        out, err = bytearray(), bytearray()
        try:
            while True:
                busy = False
                if chan.recv_ready():
                    out += chan.recv(65536)
                    busy = True
                if chan.recv_stderr_ready():
                    err += chan.recv_stderr(65536)
                    busy = True
                if busy:
                    continue
                if chan.exit_status_ready() and (chan.eof_received or chan.closed):
                    return chan.recv_exit_status(), bytes(out), bytes(err)
                stop = "cancelled" if cancel is not None and cancel.is_set() else (
                    "timed out" if time.monotonic() > deadline else "")
                if stop:
                    if on_stop is not None:
                        on_stop(bytes(out))
                    if stop == "cancelled":
                        raise CancelledError(f"Cancelled {what} in {self.target.host}; the guest process was "
                                             "stopped.")
                    raise GuestError(f"{what} timed out in {self.target.host}; the guest process was stopped.",
                                     hint="Raise the task timeout if the guest is just slow.")
                if self._transport.is_active():
                    select.select([chan], [], [], 0.2)
                else:
                    raise EOFError("the SSH transport closed")
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise faults.lost(self.target.host, what, exc) from None
        finally:
            chan.close()

    def _uid_of_account(self) -> int:
        if self._uid is None:
            code, out, err = self._exec("id -u", timeout=self._timeout, what="asking the account's uid")
            if code != 0 or not out.strip().isdigit():
                raise GuestError(f"'id -u' failed in {self.target.host}: {err.decode(errors='replace')[-200:]}",
                                 hint="Check that the account has a normal shell.")
            self._uid = int(out.strip())
        return self._uid

    def _sudo_mode(self) -> str:
        """How this account becomes root; checked once, before anything runs as root."""
        if self._sudo is None:
            if self._uid_of_account() == 0:
                self._sudo = "root"
            elif self._exec("sudo -n true", timeout=self._timeout, what="checking sudo")[0] == 0:
                self._sudo = "nopasswd"
            elif not self.target.password:
                raise faults.sudo_refused(self.target.host, self.target.user,
                                          "a password is required and none is stored", self._secrets)
            else:
                code, _, err = self._exec("sudo -S -k -p '' true", stdin=self._sudo_stdin(), timeout=self._timeout,
                                          what="checking sudo")
                if code != 0:
                    raise faults.sudo_refused(self.target.host, self.target.user, err.decode(errors="replace"),
                                              self._secrets)
                self._sudo = "password"
        return self._sudo

    def _sudo_stdin(self) -> bytes:
        return (self.target.password + "\n").encode("utf-8")

    def _as_root(self, argv: list[str]) -> tuple[str, bytes]:
        """(shell command, stdin) that runs ``argv`` as root with no stdin of its own."""
        inner = " ".join(shlex.quote(a) for a in argv)
        mode = self._sudo_mode()
        if mode == "root":
            return f"{inner} </dev/null", b""
        wrapped = shlex.quote(f"exec {inner} </dev/null")
        if mode == "nopasswd":
            return f"sudo -n -- bash -c {wrapped}", b""
        return f"sudo -S -k -p '' -- bash -c {wrapped}", self._sudo_stdin()

    def _kill_group(self, stdout: bytes) -> None:
        first = stdout.split(b"\n", 1)[0].decode(errors="replace")
        if not first.startswith(PID_MARK) or not first[len(PID_MARK):].isdigit():
            return
        command, stdin = self._as_root(["kill", "-TERM", "--", f"-{first[len(PID_MARK):]}"])
        try:
            self._exec(command, stdin=stdin, timeout=self._timeout, what="stopping the guest process")
        except XtractError as exc:
            log.warning("ssh %s: could not stop the guest process: %s", self.target.host, exc)

    def _run_folder(self) -> str:
        """A fresh 0700 folder that cannot have existed before, every folder above it checked (the one rule)."""
        folder = linux_run_folder(self._run_parent)
        code, _, err = self._exec(f"bash -c {shlex.quote(linux_make_run_folder(folder))}", timeout=self._timeout,
                                  what="creating the run folder")
        why = refusal(code, err.decode(errors="replace"))
        if why or code == REFUSED:
            raise faults.unsafe_run_folder(self.target.host, folder, why or "refused by the run-folder rule")
        if code != 0:
            raise GuestError(f"Could not create a run folder under {self._run_parent} in {self.target.host}: "
                             f"{err.decode(errors='replace').strip()[-300:]}",
                             hint="Check free space and that the folder exists and is writable by the account.")
        return folder

    def _guarded(self, folder: str, command: str) -> str:
        """``command`` in the run folder, after the rule checked the folder again (as the account, not root)."""
        q = shlex.quote(folder)
        return f"bash -c {shlex.quote(linux_guard_run(folder, f'cd {q} && {command}'))}"

    def _upload(self, data: bytes, path: str) -> None:
        sftp = self._sftp_client()
        try:
            with sftp.open(path, "wbx") as fh:  # O_EXCL: never through a name someone put there first
                fh.chmod(0o600)
                fh.write(data)
        except OSError as exc:
            raise GuestError(f"Could not write {path} in {self.target.host} ({exc}).",
                             hint="Check free space in the guest.") from None

    def _remove_folder(self, folder: str) -> None:
        try:
            code, _, err = self._exec(f"rm -rf -- {shlex.quote(folder)}", timeout=self._timeout,
                                      what="removing the run folder")
            if code != 0:
                log.warning("ssh %s: could not remove %s: %s", self.target.host, folder, err[-200:])
        except XtractError as exc:
            log.warning("ssh %s: could not remove %s: %s", self.target.host, folder, exc)

    # -- GuestChannel --------------------------------------------------------------------------------

    def run_task(self, task: GuestTask, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Cancellation | None = None) -> ScriptResult:
        secrets = secret_values(task, params, self._secrets)
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Cancelled before {task.id} started in {self.target.host}.")
            self._sudo_mode()  # a refusal stops here, before a file is written
            folder = self._run_folder()
            removed = False
            try:
                script_path = posixpath.join(folder, script_basename(task))
                params_path = posixpath.join(folder, "params.json")
                self._upload(script.encode("utf-8"), script_path)
                self._upload(params_bytes(task, params), params_path)
                command, stdin = self._as_root(["bash", script_path, params_path])
                log.info("ssh %s: task %s (%s) starting", self.target.host, task.id, task.title)
                log.debug("ssh %s: %s", self.target.host, scrub(command, secrets))
                # The account's shell leads the process group (its pid is the group id a cancel kills), runs
                # the script as root, then removes the folder: one round trip, which counts on a slow guest.
                q = shlex.quote(folder)
                code, out, err = self._exec(f"echo {PID_MARK}$$ && {self._guarded(folder, command)}; rc=$?; "
                                            f"cd / && rm -rf -- {q}; exit $rc", stdin=stdin, timeout=timeout,
                                            cancel=cancel, what=task.id, on_stop=self._kill_group)
                removed = True
            finally:
                if not removed:
                    self._remove_folder(folder)
        if out.startswith(PID_MARK.encode()):
            out = out.split(b"\n", 1)[1] if b"\n" in out else b""
        why = refusal(code, err.decode(errors="replace"))
        if why:  # the folder changed between its making and the run: nothing ran as root
            raise faults.unsafe_run_folder(self.target.host, folder, why)
        if code != 0 and self._sudo != "root" and not out.strip() and (b"sudo:" in err or b"Sorry, try" in err):
            raise faults.sudo_refused(self.target.host, self.target.user, err.decode(errors="replace"), secrets)
        stdout, stderr, result = finish(code, out, err, secrets)
        log.info("ssh %s: task %s exit %d ok=%s changed=%s", self.target.host, task.id, code, result.get("ok"),
                 result.get("changed"))
        return ScriptResult(exit_code=code, stdout=stdout, stderr=stderr, result=result)

    def put_file(self, data: bytes, remote_path: str, *, cancel: Cancellation | None = None) -> None:
        """Over SFTP into a fresh run folder, then put in place as root (mode 0600, parents made)."""
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Cancelled before uploading {remote_path}.")
            self._sudo_mode()
            folder = self._run_folder()
            try:
                staged = posixpath.join(folder, "upload")
                self._upload(data, staged)
                command, stdin = self._as_root(["install", "-D", "-m", "0600", "--", staged, remote_path])
                code, _, err = self._exec(self._guarded(folder, command), stdin=stdin,
                                          timeout=max(60.0, self._timeout), cancel=cancel,
                                          what=f"placing {remote_path}")
            finally:
                self._remove_folder(folder)
        why = refusal(code, err.decode(errors="replace"))
        if why:
            raise faults.unsafe_run_folder(self.target.host, folder, why)
        if code != 0:
            raise GuestError(f"Could not write {remote_path} in {self.target.host}: "
                             f"{scrub(err.decode(errors='replace').strip(), self._secrets)[-300:]}",
                             hint="Check free space and the path in the guest.")

    def get_file(self, remote_path: str) -> bytes:
        with self._lock:
            command, stdin = self._as_root(["cat", "--", remote_path])
            code, out, err = self._exec(command, stdin=stdin, timeout=max(60.0, self._timeout),
                                        what=f"reading {remote_path}")
        if code != 0:
            raise GuestError(f"Could not read {remote_path} in {self.target.host}: "
                             f"{scrub(err.decode(errors='replace').strip(), self._secrets)[-300:]}",
                             hint="Check that the file exists in the guest.")
        return out

    def __enter__(self) -> SshChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._sftp is not None:
                self._sftp.close()
                self._sftp = None
            self._transport.close()


class SshChannelFactory:
    """Opens SSH channels; ``run_parent`` is where run folders are made (/tmp: root-owned and sticky)."""

    def __init__(self, *, timeout: float = 20.0, run_parent: str = RUN_PARENT) -> None:
        self.timeout = timeout
        self.run_parent = run_parent

    def open(self, target: GuestTarget) -> SshChannel:
        return SshChannel(target, timeout=self.timeout, run_parent=self.run_parent)
