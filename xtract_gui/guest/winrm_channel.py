"""Guest channel over WinRM (WS-Management) with pywinrm.

HTTPS (5986) is the default; the server certificate is checked against ``GuestTarget.fingerprint``
when one is given (a pin: chain and name are not checked, the exact certificate is), else against
this computer's trusted CAs.  HTTP (5985) is used only when the user allowed it, and then only with
NTLM message encryption so that nothing crosses the network in clear.

A script run: make a fresh protected per-run folder under ``C:\\Windows\\Temp\\xtract\\`` (refused when
it or a folder above it is not safe: see winrm_commands), upload the script into it (base64 pieces
on stdin, appended by short PowerShell commands), run it with its parameters on stdin (never in a
file: they can hold a secret), collect stdout/stderr, parse the last JSON line, remove the folder.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import threading
import time
from typing import Any, Literal

import requests
import winrm
from winrm.exceptions import WinRMOperationTimeoutError
from winrm.transport import Transport

from ..domain.errors import (
    CancelledError,
    ConfigurationError,
    ConnectionFailedError,
    GuestError,
    PermissionDeniedError,
    TransientError,
    UnsupportedError,
    XtractError,
)
from ..domain.guest_tasks import GuestTask
from ..domain.inventory import OsFamily
from ..domain.redact import scrub
from ..engine.ports import Cancellation, GuestTarget, ScriptResult
from ..tlspin import PinnedAdapter, normalize_fingerprint
from . import winrm_commands as cmds
from .scripts import (
    check_cancel,
    clean_clixml,
    decode_output,
    finish,
    params_bytes,
    run_id,
    script_basename,
    secret_values,
)
from .winrm_faults import translate

log = logging.getLogger("xtract_gui.guest.winrm")

HttpsAuth = Literal["ntlm", "basic"]


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host.lower() == "localhost"
UTF8_BOM = b"\xef\xbb\xbf"
CLEAR_REPLY_HINT = (
    "Something between this computer and the guest answered in its place. Use HTTPS (port 5986) with the "
    "guest's certificate pinned; plain HTTP, even with NTLM message encryption, stays open to NTLM relay "
    "and to tampering on the path, so allow it only on a network you trust.")


NO_PROXY = ""  # see EnvFreeTransport: pywinrm's None would make requests rewrite os.environ per request


class EnvFreeTransport(Transport):
    """pywinrm's transport with a session that never writes this process's environment, nor reads it per request.

    For "no proxy" (``proxy=None``) pywinrm 0.5.0 ``Transport.build_session`` puts ``no_proxy: "*"`` in the
    session's proxies, and requests 2.32 ``utils.should_bypass_proxies`` then sets and deletes
    ``os.environ["no_proxy"]`` around every request that names it: another thread iterating the environment
    meanwhile fails (seen: ``KeyError: 'no_proxy'`` in urllib's ``getproxies_environment`` stopped a demo VM's
    guest preparation), and two such threads can leave the variable set for good (psf/requests issue #4997,
    open).  So the channel asks pywinrm for the proxy "" instead (an empty proxy is no proxy to requests'
    adapter, and no ``no_proxy`` entry is passed down), and the built session trusts nothing from the
    environment afterwards.
    """

    def build_session(self) -> requests.Session:
        if self.session is not None:
            return self.session
        session = super().build_session()
        session.trust_env = False
        return session


class SealedTransport(EnvFreeTransport):
    """pywinrm's transport that refuses a reply in clear on a session it encrypts.

    pywinrm 0.5.0 ``Encryption.parse_encrypted_response`` returns a body that is not
    ``multipart/encrypted`` unchanged, so on HTTP anyone on the path could answer for the guest
    (script results, first-boot reports, file contents). Once the session is encrypted, every reply
    must be sealed too, faults included (MS-WSMV 2.2.9.1).
    """

    def _get_message_response_text(self, response: requests.Response) -> bytes:
        if self.encryption is not None:
            protocol = f'protocol="{self.encryption.protocol_string.decode()}"'
            if protocol not in response.headers.get("Content-Type", ""):
                host = self.endpoint.split("/")[2]
                raise ConnectionFailedError(
                    f"WinRM on {host} answered in clear on an encrypted session; the answer was refused.",
                    hint=CLEAR_REPLY_HINT,
                    detail=f"HTTP {response.status_code}, Content-Type {response.headers.get('Content-Type')!r}")
        return super()._get_message_response_text(response)


class WinRmChannel:
    """One guest over WinRM.  Thread-safe: one remote command at a time (a WinRM shell is sequential)."""

    def __init__(self, target: GuestTarget, *, https_auth: HttpsAuth | None = None, operation_timeout: int = 10,
                 chunk_size: int = 48 * 1024, loopback_http_basic: bool = False) -> None:
        if target.os_family not in (OsFamily.WINDOWS.value, OsFamily.WINDOWS):
            raise UnsupportedError(f"WinRM reaches Windows guests only; {target.vm_id} is {target.os_family}.",
                                   hint="Use VMware Tools guest operations for this guest.")
        if not target.https and not target.allow_http_ntlm:
            raise ConfigurationError(
                f"WinRM over HTTP to {target.host} is not allowed by the plan.",
                hint="Use HTTPS (port 5986), or allow HTTP with NTLM message encryption in the guest options.")
        self.target = target
        self.port = target.port or (5986 if target.https else 5985)
        try:
            self._pin = normalize_fingerprint(target.fingerprint) if target.fingerprint else ""
        except ValueError:
            raise ConfigurationError(
                f"The certificate pin for {target.host} is not a SHA-256 fingerprint.",
                hint="Enter the 64 hex digits of the guest's WinRM certificate SHA-256 fingerprint "
                     "(pairs may be separated by colons).") from None
        self._chunk = max(1024, chunk_size)
        self._op_timeout = max(1, int(operation_timeout))
        self._read_timeout = self._op_timeout + 10  # pywinrm wants the HTTP read to outlive the server's long poll
        self._lock = threading.RLock()
        self._shell_id: str | None = None
        scheme = "https" if target.https else "http"
        # The plan decides per guest (``GuestTarget.auth``); ``https_auth`` overrides it (tests).  Basic only
        # ever travels inside TLS: over HTTP it is NTLM with message encryption.
        auth = https_auth or target.auth or "ntlm"
        if auth not in ("ntlm", "basic"):
            raise ConfigurationError(f"Unknown WinRM authentication {auth!r} for {target.host}.",
                                     hint="Use \"ntlm\" or \"basic\" in the guest options.")
        transport = ("ssl" if auth == "basic" else "ntlm") if target.https else "ntlm"
        encryption = "auto" if target.https else "always"
        if not target.https and loopback_http_basic and is_loopback(target.host):
            # The lab's guests on this computer: the password never leaves it, so Basic without
            # encryption is acceptable there and nowhere else.
            transport, encryption = "basic", "never"
        self._protocol = winrm.Protocol(
            f"{scheme}://{target.host}:{self.port}/wsman", transport=transport,  # type: ignore[arg-type]
            username=target.user, password=target.password, server_cert_validation="validate",
            ca_trust_path=None,  # type: ignore[arg-type]  # never from environment variables
            proxy=NO_PROXY, read_timeout_sec=self._read_timeout, operation_timeout_sec=self._op_timeout,
            message_encryption=encryption,  # type: ignore[arg-type]
        )
        # Same object, one or two methods changed (see the classes); pywinrm builds its transport itself.
        self._protocol.transport.__class__ = SealedTransport if encryption == "always" else EnvFreeTransport
        self._where = f"{target.host}:{self.port}"

    # -- plumbing ------------------------------------------------------------------------------------

    def _secrets(self, extra: list[str] | None = None) -> list[str]:
        return [self.target.password, *(extra or [])]

    def _translate(self, exc: BaseException, secrets: list[str]) -> XtractError:
        return translate(exc, host=self.target.host, port=self.port, https=self.target.https,
                         expected_fingerprint=self._pin, secrets=secrets, timeout=self._read_timeout)

    def _session_ready(self) -> None:
        transport = self._protocol.transport
        if transport.session is not None or not self.target.https:
            return
        session = transport.build_session()
        if self._pin:
            session.verify = False  # the pinned adapter checks the certificate itself
            session.mount("https://", PinnedAdapter(self._pin))

    def _shell(self) -> str:
        if self._shell_id is None:
            self._session_ready()
            self._shell_id = self._protocol.open_shell(codepage=65001, noprofile=True)
        return self._shell_id

    def connect(self) -> None:
        """Open the remote shell now, so that a wrong address, password or right shows at once."""
        with self._lock:
            try:
                self._shell()
            except Exception as exc:
                raise self._translate(exc, self._secrets()) from None

    def _abort(self, shell: str, command_id: str) -> None:
        """Stop a running command and drop its shell (which ends every process it started)."""
        try:
            self._protocol.cleanup_command(shell, command_id)
        except Exception as exc:  # the shell is deleted next, which ends the process anyway
            log.debug("winrm %s: terminate signal failed: %s", self._where, type(exc).__name__)
        try:
            self._protocol.close_shell(shell, close_session=False)
        except Exception as exc:
            log.debug("winrm %s: deleting the shell failed: %s", self._where, type(exc).__name__)
        self._shell_id = None

    def _execute(self, command: str, *, stdin: bytes | None, deadline: float, cancel: Cancellation | None,
                 secrets: list[str], what: str) -> tuple[int, bytes, bytes]:
        """Run one command line to its end; raises on timeout/cancel after stopping it in the guest."""
        log.debug("winrm %s: %s", self._where, scrub(cmds.decode_encoded(command), secrets))
        try:
            shell = self._shell()
            # With a console stdin (the default) powershell.exe would not see our piped data in $input.
            command_id = self._protocol.run_command(shell, command, console_mode_stdin=stdin is None)
            if stdin is not None:
                self._protocol.send_command_input(shell, command_id, stdin, end=True)
            out: list[bytes] = []
            err: list[bytes] = []
            while True:
                if cancel is not None and cancel.is_set():
                    self._abort(shell, command_id)
                    raise CancelledError(f"Cancelled while {what} on {self._where}; the remote command was stopped.")
                if time.monotonic() > deadline:
                    self._abort(shell, command_id)
                    raise GuestError(f"Timed out while {what} on {self._where}; the remote command was stopped.",
                                     hint="Raise the task timeout if the guest is just slow, or look at the "
                                          "guest for a stuck installer.")
                try:
                    o, e, code, done = self._protocol.get_command_output_raw(shell, command_id)
                except WinRMOperationTimeoutError:
                    continue  # the server's long poll ended without output: ask again
                out.append(o)
                err.append(e)
                if done:
                    break
            try:
                self._protocol.cleanup_command(shell, command_id)
            except Exception as exc:
                log.debug("winrm %s: cleanup of a finished command failed: %s", self._where, type(exc).__name__)
            return code, b"".join(out), b"".join(err)
        except XtractError:
            raise
        except Exception as exc:
            self._shell_id = None
            error = self._translate(exc, secrets)
            if isinstance(error, TransientError):
                # pywinrm's NTLM context (message encryption) belongs to the connection that broke: the next
                # request authenticates afresh on a new one, as a server answers 400 to the old context.
                self._protocol.transport.close_session()
            raise error from None

    def _upload(self, data: bytes, path: str, *, deadline: float, cancel: Cancellation | None,
                secrets: list[str], fresh: bool = False) -> None:
        pieces = [data[i:i + self._chunk] for i in range(0, len(data), self._chunk)] or [b""]
        for index, piece in enumerate(pieces):
            check_cancel(cancel, f"uploading {path}")
            code, _out, err = self._execute(
                cmds.write_chunk(path, append=index > 0, fresh=fresh), stdin=base64.b64encode(piece) + b"\r\n",
                deadline=deadline, cancel=cancel, secrets=secrets, what=f"uploading {path}")
            if code != 0:  # its folder was made by the folder rules first (make_folder)
                raise GuestError(f"Could not write {path} on {self._where} (exit code {code}).",
                                 hint="Check free space on C: and that the account may write C:\\Windows\\Temp.",
                                 detail=scrub(decode_output(err), secrets))

    def _refused(self, path: str, err: bytes, secrets: list[str]) -> PermissionDeniedError:
        reason = scrub(clean_clixml(decode_output(err)).strip(), secrets) or "a folder on its path is not safe"
        return PermissionDeniedError(
            f"{self._where}: {path} was not used: {reason} Nothing was written or run there.",
            hint="Another account made or may change a folder the tool runs from as an administrator. Check what "
                 "it holds (someone may have planted files), delete it, then run the task again.")

    def _make_folder(self, folder: str, *, fresh: bool, deadline: float, cancel: Cancellation | None,
                     secrets: list[str]) -> None:
        code, _out, err = self._execute(cmds.make_folder(folder, fresh=fresh), stdin=cmds.folder_rules(),
                                        deadline=deadline, cancel=cancel, secrets=secrets, what=f"making {folder}")
        if code == cmds.REFUSED:
            raise self._refused(folder, err, secrets)
        if code != 0:
            raise GuestError(f"Could not make {folder} on {self._where} (exit code {code}).",
                             hint="Check that the account is an administrator and that C: has free space.",
                             detail=scrub(decode_output(err), secrets))

    def _remove_tree(self, folder: str, secrets: list[str]) -> None:
        try:
            self._execute(cmds.remove_tree(folder), stdin=None, deadline=time.monotonic() + 60, cancel=None,
                          secrets=secrets, what=f"removing {folder}")
        except XtractError as exc:
            log.warning("winrm %s: could not remove %s: %s", self._where, folder, exc)

    # -- GuestChannel --------------------------------------------------------------------------------

    def run_task(self, task: GuestTask, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Cancellation | None = None) -> ScriptResult:
        secrets = secret_values(task, params, [self.target.password])
        folder = f"{cmds.WORK_ROOT}\\{run_id()}"
        script_path = f"{folder}\\{script_basename(task)}"
        body = script.encode("utf-8")
        if not body.startswith(UTF8_BOM):
            body = UTF8_BOM + body  # Windows PowerShell 5.1 reads a BOM-less .ps1 as ANSI
        deadline = time.monotonic() + timeout
        log.info("winrm %s: task %s (%s) starting", self._where, task.id, task.title)
        with self._lock:
            check_cancel(cancel, f"starting {task.id}")
            self._make_folder(folder, fresh=True, deadline=deadline, cancel=cancel, secrets=secrets)
            try:
                self._upload(body, script_path, deadline=deadline, cancel=cancel, secrets=secrets, fresh=True)
                # The parameters go on stdin: they may hold a secret (the user-profile password).
                code, out, err = self._execute(cmds.run_script(script_path),
                                               stdin=base64.b64encode(params_bytes(task, params)) + b"\r\n",
                                               deadline=deadline, cancel=cancel, secrets=secrets,
                                               what=f"running {task.id}")
            finally:
                self._remove_tree(folder, secrets)
        stdout, stderr, result = finish(code, out, err, secrets)
        log.info("winrm %s: task %s exit %d ok=%s changed=%s", self._where, task.id, code,
                 result.get("ok"), result.get("changed"))
        return ScriptResult(exit_code=code, stdout=stdout, stderr=stderr, result=result)

    def put_file(self, data: bytes, remote_path: str, *, cancel: Cancellation | None = None) -> None:
        """Writes ``remote_path`` in a folder made or checked by the folder rules (the tool's uploads go to
        C:\\ProgramData\\xtract, whose files run elevated: nobody else may have made or may change it)."""
        deadline = time.monotonic() + 600 + len(data) / 100_000
        with self._lock:
            self._make_folder(remote_path.rsplit("\\", 1)[0], fresh=False, deadline=deadline, cancel=cancel,
                              secrets=self._secrets())
            self._upload(data, remote_path, deadline=deadline, cancel=cancel, secrets=self._secrets())

    def get_file(self, remote_path: str) -> bytes:
        with self._lock:
            code, out, err = self._execute(cmds.read_file(remote_path), stdin=None,
                                           deadline=time.monotonic() + 600, cancel=None,
                                           secrets=self._secrets(), what=f"reading {remote_path}")
        if code != 0:
            raise GuestError(f"Could not read {remote_path} on {self._where} (exit code {code}).",
                             hint="Check that the file exists and the account may read it.",
                             detail=scrub(decode_output(err), self._secrets()))
        try:
            return base64.b64decode(b"".join(out.split()), validate=True)
        except ValueError as exc:
            raise GuestError(f"Reading {remote_path} on {self._where} returned garbled data.",
                             hint="Try again; if it persists, check the guest's PowerShell profile scripts.",
                             detail=repr(exc)) from None

    def close(self) -> None:
        with self._lock:
            shell, self._shell_id = self._shell_id, None
            try:
                if shell is not None:
                    self._protocol.close_shell(shell, close_session=True)
            except Exception as exc:  # the guest drops idle shells by itself
                log.debug("winrm %s: closing the shell failed: %s", self._where, type(exc).__name__)
            finally:
                self._protocol.transport.close_session()


class WinRmChannelFactory:
    """Opens WinRM channels; each guest's ``GuestTarget.auth`` picks NTLM or Basic (``https_auth``, if given,
    overrides it for every guest).

    ``loopback_http_basic`` (lab/demo mode): plain HTTP with Basic auth, for guests on 127.0.0.1 only.
    """

    def __init__(self, *, https_auth: HttpsAuth | None = None, operation_timeout: int = 10,
                 chunk_size: int = 48 * 1024, loopback_http_basic: bool = False) -> None:
        self.https_auth = https_auth
        self.operation_timeout = operation_timeout
        self.chunk_size = chunk_size
        self.loopback_http_basic = loopback_http_basic  # lab/demo mode only

    def open(self, target: GuestTarget) -> WinRmChannel:
        channel = WinRmChannel(target, https_auth=self.https_auth, operation_timeout=self.operation_timeout,
                               chunk_size=self.chunk_size, loopback_http_basic=self.loopback_http_basic)
        channel.connect()
        return channel
