"""Guest channel over VMware Tools guest operations (pyVmomi): no network path to the guest needed.

Upload with ``InitiateFileTransferToGuest`` + HTTP PUT, run with ``StartProgramInGuest`` (output
redirected to files: guest operations capture no stdout), poll ``ListProcessesInGuest`` until
``endTime``, fetch the output with ``InitiateFileTransferFromGuest`` + GET, remove the per-run
folder.  vSphere allows one guest operation at a time per VM, so every call holds a per-VM lock.

The transfer URLs point at the ESXi host running the VM, which usually presents a self-signed
certificate.  By default each transfer accepts exactly the certificate vCenter lists for that host
(``HostSystem.config.certificate``, pinned by SHA-256): the same trust as the rest of the app, with
nothing to click.  ``transfer_verify`` True or a CA bundle path switches to CA checks instead.
"""

from __future__ import annotations

import base64
import logging
import shlex
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from pyVmomi import vim, vmodl

from ..domain.errors import CancelledError, ConnectionFailedError, GuestError, PermissionDeniedError, XtractError
from ..domain.guest_tasks import GuestTask
from ..domain.redact import scrub
from ..engine.ports import Cancellation, GuestTarget, ScriptResult
from ..esxi_address import NET_CONFIG, host_address
from ..resources import prelude_section
from ..tlspin import PinnedAdapter, format_fingerprint, read_peer_fingerprint
from .scripts import (
    LINUX_RUN_PARENT,
    REFUSED,
    finish,
    linux_guard_run,
    linux_make_run_folder,
    linux_run_folder,
    params_bytes,
    run_id,
    script_basename,
    secret_values,
)
from .vmtools_faults import TOOLS_HINT, host_certificate_mismatch, no_host_certificate, translate

log = logging.getLogger("xtract_gui.guest.vmtools")

_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
UTF8_BOM = b"\xef\xbb\xbf"
PIN_HOST = None  # transfer_verify default: pin the ESXi host's certificate as vCenter lists it
WINDOWS_WORK_ROOT = "C:\\Windows\\Temp\\xtract"
POWERSHELL_EXE = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe"
REFUSED_HINT = ("Another account made or may change a folder the tool runs from as an administrator or root. "
                "Check what it holds (someone may have planted files), delete it, then run the task again.")


def pem_fingerprint(pem: bytes) -> str:
    """SHA-256 "AA:BB:…" of the first certificate of a PEM blob; "" when there is none."""
    try:
        der = ssl.PEM_cert_to_DER_cert(pem.decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        return ""
    return format_fingerprint(der)


def vm_lock(server: str, vm_id: str) -> threading.Lock:
    """The one lock per (vCenter, VM) shared by every channel of this process."""
    with _LOCKS_GUARD:
        return _LOCKS.setdefault((server, vm_id), threading.Lock())


class VmToolsChannel:
    def __init__(self, si: Any, target: GuestTarget, *, poll_interval: float = 1.0,
                 transfer_verify: bool | str | None = PIN_HOST, run_parent: str = LINUX_RUN_PARENT) -> None:
        if transfer_verify is False:
            raise ValueError("guest file transfers are never made unverified: pin (None), True or a CA bundle")
        self.target = target
        self._run_parent = run_parent  # Linux: where run folders are made (guest.scripts: the one rule)
        self._vm_id = target.host or target.vm_id
        self._vm = vim.VirtualMachine(self._vm_id, si._stub)
        manager = si.content.guestOperationsManager
        self._files = manager.fileManager
        self._procs = manager.processManager
        self._auth = vim.vm.guest.NamePasswordAuthentication(username=target.user, password=target.password,
                                                            interactiveSession=False)
        self._windows = str(getattr(target.os_family, "value", target.os_family)) == "windows"
        self._server = str(si._stub.host)  # "host:port" the vCenter connection uses
        self._lock = vm_lock(self._server, self._vm_id)
        self._poll = poll_interval
        self._http = requests.Session()
        self._http.verify = True if transfer_verify is None else transfer_verify
        self._http.trust_env = False  # no proxy or CA bundle from the environment
        self._pin_host = transfer_verify is None
        self._si = si
        self._host_pins: dict[str, tuple[str, str]] = {}  # host moId -> (name, fingerprint)
        self._pinned: dict[str, requests.Session] = {}  # fingerprint -> session that accepts only it

    # -- plumbing ------------------------------------------------------------------------------------

    def _secrets(self, extra: list[str] | None = None) -> list[str]:
        return [self.target.password, *(extra or [])]

    @contextmanager
    def _exclusive(self, cancel: Cancellation | None, what: str) -> Iterator[None]:
        while not self._lock.acquire(timeout=0.2):
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Cancelled while waiting to start {what} in {self._vm_id}.")
        try:
            yield
        finally:
            self._lock.release()

    def _call(self, secrets: list[str], fn: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return fn(vm=self._vm, auth=self._auth, **kwargs)
        except XtractError:
            raise
        except Exception as exc:
            raise translate(exc, vm=self._vm_id, secrets=secrets) from None

    def _join(self, folder: str, name: str) -> str:
        return f"{folder}\\{name}" if self._windows else f"{folder}/{name}"

    def _transfer_url(self, url: str, address: str = "") -> str:
        """vCenter answers with host "*" when the client should use the host it connected to, and otherwise
        names the ESXi host by its inventory name, which this computer may not resolve: ``address`` (the
        host's one management IP, esxi_address.py) replaces that name, keeping the port."""
        parts = urlsplit(url)
        if parts.netloc == "*":
            netloc = self._server
        elif parts.netloc.startswith("*:"):
            netloc = self._server.rsplit(":", 1)[0] + parts.netloc[1:]
        elif address and parts.hostname and address != parts.hostname:
            host = f"[{address}]" if ":" in address else address
            netloc = f"{host}:{parts.port}" if parts.port else host
        else:
            return url
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))

    def _host_pin(self, secrets: list[str]) -> tuple[str, str, str]:
        """(name, SHA-256 of the certificate vCenter lists, address) of the host running the VM now.

        Read at each transfer (the VM may have moved by vMotion); the certificate once per host.
        """
        try:
            host = self._vm.runtime.host
            if host is None:
                raise GuestError(f"vCenter does not say which ESXi host runs {self._vm_id}.", hint=TOOLS_HINT)
            if host._moId not in self._host_pins:
                spec = vmodl.query.PropertyCollector.FilterSpec(
                    objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=host)],
                    propSet=[vmodl.query.PropertyCollector.PropertySpec(
                        type=vim.HostSystem, pathSet=["name", "config.certificate", NET_CONFIG])])
                props: dict[str, Any] = {}
                for content in self._si.content.propertyCollector.RetrieveContents([spec]) or []:
                    props.update({p.name: p.val for p in content.propSet or []})
                    for missing in content.missingSet or []:
                        if isinstance(missing.fault, vim.fault.NoPermission | vmodl.fault.SecurityError):
                            raise PermissionDeniedError(
                                f"The vCenter account may not read the certificate of the ESXi host running "
                                f"{self._vm_id}, so guest file transfers cannot be verified.",
                                hint="Grant the account the Read-only role on the hosts (or the cluster).")
                # pyVmomi gives xsd:byte[] as signed ints; a certificate is PEM text.
                pem = bytes(b & 0xFF for b in props.get("config.certificate") or [])
                name = str(props.get("name") or host._moId)
                self._host_pins[host._moId] = (name, pem_fingerprint(pem),
                                               host_address(name, props.get(NET_CONFIG) or []))
        except XtractError:
            raise
        except Exception as exc:
            raise translate(exc, vm=self._vm_id, secrets=secrets) from None
        name, fingerprint, address = self._host_pins[host._moId]
        if not fingerprint:
            raise no_host_certificate(self._vm_id, name)
        return name, fingerprint, address

    def _transfer(self, method: str, url: str, secrets: list[str], data: bytes | None = None) -> bytes:
        session, pin = self._http, ("", "", "")
        if self._pin_host:
            if urlsplit(url).scheme != "https":
                raise ConnectionFailedError(f"vCenter offered an unencrypted file transfer for {self._vm_id}.",
                                            hint="Use the WinRM channel, or check the vCenter/ESXi HTTPS settings.")
            pin = self._host_pin(secrets)
            session = self._pinned.get(pin[1]) or self._pinned_session(pin[1])
        url = self._transfer_url(url, pin[2])
        try:
            resp = session.request(method, url, data=data, timeout=(30, 300))
            resp.raise_for_status()
        except requests.exceptions.SSLError as exc:
            if not self._pin_host:
                raise translate(exc, vm=self._vm_id, secrets=secrets) from None
            parts = urlsplit(url)
            try:
                actual = read_peer_fingerprint(parts.hostname or "", parts.port or 443)
            except OSError:
                actual = ""
            if actual == pin[1]:  # the right certificate: the handshake failed for another reason
                raise translate(exc, vm=self._vm_id, secrets=secrets) from None
            self._host_pins.clear()  # a retry after the certificate was refreshed in vCenter reads it anew
            raise host_certificate_mismatch(self._vm_id, pin[0], pin[1], actual,
                                            scrub(f"SSLError: {exc}", secrets)) from None
        except requests.RequestException as exc:
            raise translate(exc, vm=self._vm_id, secrets=secrets) from None
        return resp.content

    def _pinned_session(self, fingerprint: str) -> requests.Session:
        session = requests.Session()
        session.trust_env = False
        session.verify = False  # PinnedAdapter checks the exact certificate instead of CAs and names
        session.mount("https://", PinnedAdapter(fingerprint))
        self._pinned[fingerprint] = session
        return session

    def check_ready(self) -> None:
        try:
            ready = self._vm.guest.guestOperationsReady
        except Exception as exc:
            raise translate(exc, vm=self._vm_id, secrets=self._secrets()) from None
        if not ready:
            raise GuestError(f"VMware Tools guest operations are not ready in {self._vm_id}.", hint=TOOLS_HINT)

    def _mkdir(self, path: str, secrets: list[str]) -> None:
        try:
            self._call(secrets, self._files.MakeDirectoryInGuest, directoryPath=path, createParentDirectories=True)
        except XtractError as exc:
            if "FileAlreadyExists" not in exc.detail:
                raise

    def _put(self, data: bytes, path: str, secrets: list[str]) -> None:
        # 0600 on Linux: the params file may hold a secret until the script deletes it.
        attrs = (vim.vm.guest.FileManager.WindowsFileAttributes() if self._windows
                 else vim.vm.guest.FileManager.PosixFileAttributes(permissions=0o600))
        url = self._call(secrets, self._files.InitiateFileTransferToGuest, guestFilePath=path, fileAttributes=attrs,
                         fileSize=len(data), overwrite=True)
        self._transfer("PUT", url, secrets, data)

    def _get(self, path: str, secrets: list[str]) -> bytes:
        info = self._call(secrets, self._files.InitiateFileTransferFromGuest, guestFilePath=path)
        return self._transfer("GET", info.url, secrets)

    def _get_optional(self, path: str, secrets: list[str]) -> bytes:
        try:
            return self._get(path, secrets)
        except XtractError as exc:
            if "FileNotFound" in exc.detail:
                return b""
            raise

    def _command(self, folder: str, script_path: str, params_path: str, out: str, err: str) -> tuple[str, str]:
        if self._windows:
            return ("C:\\Windows\\System32\\cmd.exe",
                    f'/c powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{script_path}" '
                    f'-ParamsFile "{params_path}" > "{out}" 2> "{err}"')
        runner = "bash" if self.target.user == "root" else "sudo -n bash"  # sudo must not prompt: no tty here
        inner = f"{runner} {shlex.quote(script_path)} {shlex.quote(params_path)} > {shlex.quote(out)} " \
                f"2> {shlex.quote(err)}"
        return "/bin/bash", f"-c {shlex.quote(linux_guard_run(folder, inner))}"

    def _make_run_folder(self, folder: str, *, deadline: float, cancel: Cancellation | None,
                         secrets: list[str]) -> None:
        """A new run folder by the same rules as the WinRM channel's (Windows: the prelude's folder rules,
        inline as there is no stdin here; Linux: guest.scripts), before anything is uploaded."""
        if self._windows:
            rules = prelude_section("windows", "folder rules")
            script = (rules + "\n$ErrorActionPreference='Stop'\n"
                      f"try {{ Initialize-XtractFolder '{folder}' -Fresh; exit 0 }} catch {{ exit {REFUSED} }}\n")
            program = POWERSHELL_EXE  # not through cmd.exe: the command line passes its 8191 characters
            arguments = "-NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand " + \
                base64.b64encode(script.encode("utf-16-le")).decode("ascii")
        else:
            program, arguments = "/bin/bash", f"-c {shlex.quote(linux_make_run_folder(folder))}"
        spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath=program, arguments=arguments)
        pid = int(self._call(secrets, self._procs.StartProgramInGuest, spec=spec))
        code = self._wait(pid, deadline=deadline, cancel=cancel, secrets=secrets, what=f"making {folder}")
        if code == REFUSED:
            raise PermissionDeniedError(
                f"{self._vm_id}: the run folder {folder} was not used: it exists already, or a folder above it "
                "belongs to another account or may be written by others. Nothing was uploaded or run.",
                hint=REFUSED_HINT)
        if code != 0:
            raise GuestError(f"Could not make the run folder {folder} in {self._vm_id} (exit code {code}).",
                             hint="Check that the guest account is an administrator (Windows) or may use sudo "
                                  "(Linux), and that the guest has free space.")

    def _wait(self, pid: int, *, deadline: float, cancel: Cancellation | None, secrets: list[str], what: str) -> int:
        while True:
            infos = self._call(secrets, self._procs.ListProcessesInGuest, pids=[pid]) or []
            info = next((i for i in infos if i.pid == pid), None)
            if info is None:
                raise GuestError(f"The guest process of {what} vanished in {self._vm_id} (its exit code is kept "
                                 "only a few minutes).", hint="Run the task again.")
            if info.endTime is not None:
                return int(info.exitCode or 0)
            stop = "cancelled" if cancel is not None and cancel.is_set() else (
                "timed out" if time.monotonic() > deadline else "")
            if stop:
                try:
                    self._call(secrets, self._procs.TerminateProcessInGuest, pid=pid)
                except XtractError as exc:
                    log.warning("vmtools %s: could not stop pid %d: %s", self._vm_id, pid, exc)
                if stop == "cancelled":
                    raise CancelledError(f"Cancelled {what} in {self._vm_id}; the guest process was stopped.")
                raise GuestError(f"{what} timed out in {self._vm_id}; the guest process was stopped.",
                                 hint="Raise the task timeout if the guest is just slow.")
            time.sleep(self._poll)

    # -- GuestChannel --------------------------------------------------------------------------------

    def run_task(self, task: GuestTask, script: str, params: dict[str, Any], *, timeout: float,
                 cancel: Cancellation | None = None) -> ScriptResult:
        secrets = secret_values(task, params, [self.target.password])
        folder = f"{WINDOWS_WORK_ROOT}\\{run_id()}" if self._windows else linux_run_folder(self._run_parent)
        script_path = self._join(folder, script_basename(task))
        params_path = self._join(folder, "params.json")
        out_path, err_path = self._join(folder, "stdout.txt"), self._join(folder, "stderr.txt")
        body = script.encode("utf-8")
        if self._windows and not body.startswith(UTF8_BOM):
            body = UTF8_BOM + body  # Windows PowerShell 5.1 reads a BOM-less .ps1 as ANSI
        deadline = time.monotonic() + timeout
        with self._exclusive(cancel, task.id):
            log.info("vmtools %s: task %s (%s) starting", self._vm_id, task.id, task.title)
            self._make_run_folder(folder, deadline=deadline, cancel=cancel, secrets=secrets)
            try:
                self._put(body, script_path, secrets)
                # Guest operations have no stdin, so the parameters go in a file. It lives only in the run
                # folder just made (Windows: SYSTEM, Administrators and this account; Linux: this account,
                # 0700, under checked parents), the prelude deletes it as its first action, and the folder
                # goes right after the run. On Windows the one secret (the user-profile password) is the
                # guest password these guest operations already authenticate with.
                self._put(params_bytes(task, params), params_path, secrets)
                program, arguments = self._command(folder, script_path, params_path, out_path, err_path)
                log.debug("vmtools %s: %s %s", self._vm_id, program, scrub(arguments, secrets))
                spec = vim.vm.guest.ProcessManager.ProgramSpec(programPath=program, arguments=arguments,
                                                               workingDirectory=folder)
                pid = int(self._call(secrets, self._procs.StartProgramInGuest, spec=spec))
                code = self._wait(pid, deadline=deadline, cancel=cancel, secrets=secrets, what=task.id)
                out = self._get_optional(out_path, secrets)
                if code == REFUSED and not self._windows and not out:  # the guard stopped before the redirect
                    raise PermissionDeniedError(f"{self._vm_id}: {folder} changed before the run; nothing was run.",
                                                hint=REFUSED_HINT)
                err = self._get_optional(err_path, secrets)
            finally:
                try:
                    self._call(secrets, self._files.DeleteDirectoryInGuest, directoryPath=folder, recursive=True)
                except XtractError as exc:
                    log.warning("vmtools %s: could not remove %s: %s", self._vm_id, folder, exc)
        stdout, stderr, result = finish(code, out, err, secrets)
        log.info("vmtools %s: task %s exit %d ok=%s changed=%s", self._vm_id, task.id, code, result.get("ok"),
                 result.get("changed"))
        return ScriptResult(exit_code=code, stdout=stdout, stderr=stderr, result=result)

    def put_file(self, data: bytes, remote_path: str, *, cancel: Cancellation | None = None) -> None:
        sep = "\\" if self._windows else "/"
        with self._exclusive(cancel, f"uploading {remote_path}"):
            parent = remote_path.rsplit(sep, 1)[0]
            if parent and parent != remote_path:
                self._mkdir(parent, self._secrets())
            self._put(data, remote_path, self._secrets())

    def get_file(self, remote_path: str) -> bytes:
        with self._exclusive(None, f"reading {remote_path}"):
            return self._get(remote_path, self._secrets())

    def close(self) -> None:
        self._http.close()
        for session in self._pinned.values():
            session.close()


class VmToolsChannelFactory:
    """Opens VMware Tools channels over the source's vCenter session.

    ``si_provider`` returns the connected ``vim.ServiceInstance``, read at each ``open`` since a
    reconnect replaces it (the composition root passes ``xtract_gui.wiring.service_instance_provider(
    source)``, which reads ``source.session.si``).  ``transfer_verify`` is how the HTTPS file transfers
    to the ESXi hosts are checked: None (default) pins each host's certificate as vCenter lists it;
    True checks against trusted CAs; a path, against that CA bundle.  Never unverified.
    """

    def __init__(self, si_provider: Callable[[], Any], *, transfer_verify: bool | str | None = PIN_HOST,
                 poll_interval: float = 1.0, run_parent: str = LINUX_RUN_PARENT) -> None:
        if transfer_verify is False:
            raise ValueError("guest file transfers are never made unverified: pin (None), True or a CA bundle")
        self._si_provider = si_provider
        self.transfer_verify = transfer_verify
        self.poll_interval = poll_interval
        self.run_parent = run_parent

    def open(self, target: GuestTarget) -> VmToolsChannel:
        try:
            channel = VmToolsChannel(self._si_provider(), target, poll_interval=self.poll_interval,
                                     transfer_verify=self.transfer_verify, run_parent=self.run_parent)
        except XtractError:
            raise
        except Exception as exc:  # the vCenter session behind si_provider is gone or broken
            raise translate(exc, vm=target.host or target.vm_id, secrets=[target.password]) from None
        channel.check_ready()
        return channel
