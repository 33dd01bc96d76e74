"""A WS-Management endpoint speaking the WinRM shell protocol (MS-WSMV) for simulated Windows guests.

One loopback HTTP(S) listener per guest at ``/wsman``: Create shell, Command, Send (stdin), Receive
(stdout/stderr streams, CommandState Done + ExitCode), Signal (terminate/ctrl_c) and Delete, with Basic
authentication.  Faults are SOAP faults with the WSManFault codes real WinRM uses (5 access denied,
2150858793 operation timeout on Receive).
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from spnego.exceptions import SpnegoError

from .commands import Command, execute
from .ntlm import NtlmSession
from .state import Account, WindowsGuest

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
ACTION_CREATE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
ACTION_DELETE = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"
TIMEOUT_FAULT = 2150858793
ACCESS_DENIED = 5


@dataclass
class Shell:
    user: str
    commands: dict[str, Command] = field(default_factory=dict)


@dataclass
class Endpoint:
    """One guest's listener: ``url`` is what pywinrm connects to; ``fingerprint`` the pin for HTTPS."""

    guest: WindowsGuest
    server: ThreadingHTTPServer
    thread: threading.Thread
    https: bool
    fingerprint: str = ""
    cert_hash: bytes | None = None  # tls-server-end-point channel binding NTLM clients send over HTTPS
    shells: dict[str, Shell] = field(default_factory=dict)
    command_lines: list[str] = field(default_factory=list)  # every line received, for "no secret" tests
    auth_schemes: list[str] = field(default_factory=list)  # per SOAP request: "basic", "ntlm", "ntlm+encrypted"
    signals: list[tuple[str, str]] = field(default_factory=list)  # (command line, signal code) received
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.https else 'http'}://127.0.0.1:{self.port}/wsman"


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    return (
        f'<s:Envelope xmlns:s="{NS["s"]}" xmlns:a="{NS["a"]}" xmlns:w="{NS["w"]}" xmlns:rsp="{NS["rsp"]}" '
        f'xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">'
        f"<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>"
        f"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def _fault(relates_to: str, code: int, reason: str, subcode: str = "w:InternalError") -> bytes:
    return _envelope(
        "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to,
        f"<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode>"
        f'</s:Code><s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason><s:Detail>'
        f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" '
        f'Machine="lab"><f:Message>{escape(reason)}</f:Message></f:WSManFault></s:Detail></s:Fault>')


def _forge(body: bytes, line: str) -> bytes:
    """A Receive reply whose stdout is ``line`` instead: what a man in the middle would answer."""
    if b"ReceiveResponse" not in body or b'Name="stdout"' not in body:
        return body
    forged = base64.b64encode(line.encode("utf-8") + b"\r\n")
    return re.sub(rb'(<rsp:Stream Name="stdout" CommandId="[^"]*">)[^<]+(</rsp:Stream>)',
                  lambda m: m.group(1) + forged + m.group(2), body, count=1)


def _duration(text: str | None, default: float) -> float:
    match = re.fullmatch(r"PT(\d+(?:\.\d+)?)S", (text or "").strip())
    return float(match.group(1)) if match else default


class _Handler(BaseHTTPRequestHandler):
    server_version = "Microsoft-HTTPAPI/2.0"
    endpoint: Endpoint  # set on the per-endpoint subclass
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid the delayed-ACK stall

    def log_message(self, format: str, *args: object) -> None:
        pass  # the lab is quiet; tests read the guest's log instead

    _ntlm: NtlmSession | None = None  # per connection: one handler instance serves one connection
    timeout = 120  # a client that stops talking does not hold a thread forever

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(self.timeout)
            self.request.do_handshake()
        super().setup()

    def _send(self, status: int, body: bytes, extra: list[tuple[str, str]] | None = None,
              content_type: str = "application/soap+xml;charset=UTF-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra or []:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _deny(self) -> None:
        self._ntlm = None
        self._send(401, b"", [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", 'Basic realm="WSMAN"')])

    def _authenticate(self) -> Account | None:
        """The account of this request; sends the 401 itself (and returns None) while authenticating."""
        scheme, _, token = self.headers.get("Authorization", "").partition(" ")
        if scheme.lower() in ("negotiate", "ntlm") and token.strip():
            if self._ntlm is None or self._ntlm.complete:
                self._ntlm = NtlmSession(self.endpoint.cert_hash)
            try:
                challenge = self._ntlm.step(token.strip())
            except (SpnegoError, ValueError):
                self._deny()
                return None
            if challenge is not None:
                self._send(401, b"", [("WWW-Authenticate", f"{scheme} {challenge}")])
                return None
            return self._account(self._ntlm.user or "")
        if self._ntlm is not None and self._ntlm.complete:
            return self._account(self._ntlm.user or "")
        acc = self._basic(scheme, token)
        if acc is None:
            self._deny()
        return acc

    def _account(self, user: str) -> Account | None:
        acc = self.endpoint.guest.account(user)
        if acc is None:
            self._deny()
        return acc

    def _basic(self, scheme: str, token: str) -> Account | None:
        if scheme.lower() != "basic":
            return None
        try:
            user, _, password = base64.b64decode(token.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        acc = self.endpoint.guest.account(user)
        return acc if acc is not None and acc.password == password else None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        acc = self._authenticate()
        if acc is None:
            return
        encrypted = "multipart/encrypted" in self.headers.get("Content-Type", "")
        if encrypted:
            if self._ntlm is None:
                self._send(400, b"")
                return
            try:
                raw = self._ntlm.decrypt(raw)
            except (SpnegoError, ValueError, IndexError):
                self._send(400, b"")
                return
        if not raw:  # pywinrm's empty POST that sets up the encryption context
            self._send(200, b"")
            return
        try:
            root = ET.fromstring(raw)
        except ET.ParseError:
            self._send(400, b"")
            return
        scheme = "basic" if self._ntlm is None else ("ntlm+encrypted" if encrypted else "ntlm")
        with self.endpoint.lock:
            self.endpoint.auth_schemes.append(scheme)
        status, body = self.endpoint_dispatch(root, acc)
        faults = self.endpoint.guest.faults
        if faults.forged_result:
            body = _forge(body, faults.forged_result)
        if encrypted and self._ntlm is not None and not faults.clear_replies:
            sealed, content_type = self._ntlm.encrypt(body)
            self._send(status, sealed, content_type=content_type)
        else:
            self._send(status, body)

    def endpoint_dispatch(self, root: ET.Element, acc: Account) -> tuple[int, bytes]:
        ep = self.endpoint
        header = root.find("s:Header", NS)
        action = (header.findtext("a:Action", "", NS) if header is not None else "").strip()
        message_id = (header.findtext("a:MessageID", "", NS) if header is not None else "").strip()
        op_timeout = _duration(header.findtext("w:OperationTimeout", None, NS) if header is not None else None, 60)
        selector = root.find(".//w:SelectorSet/w:Selector[@Name='ShellId']", NS)
        shell_id = (selector.text or "").strip() if selector is not None else ""
        body = root.find("s:Body", NS)
        if action == ACTION_CREATE:
            if not ep.guest.may_open_shell(acc):
                return 500, _fault(message_id, ACCESS_DENIED, "Access is denied.", "w:AccessDenied")
            new_id = str(uuid.uuid4()).upper()
            with ep.lock:
                ep.shells[new_id] = Shell(acc.name)
            return 200, _envelope(
                "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", message_id,
                f"<x:ResourceCreated><a:Address>{ep.url}</a:Address><a:ReferenceParameters>"
                f"<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd</w:ResourceURI>"
                f'<w:SelectorSet><w:Selector Name="ShellId">{new_id}</w:Selector></w:SelectorSet>'
                f"</a:ReferenceParameters></x:ResourceCreated><rsp:Shell><rsp:ShellId>{new_id}</rsp:ShellId>"
                f"</rsp:Shell>")
        with ep.lock:
            shell = ep.shells.get(shell_id)
        if shell is None:
            return 500, _fault(message_id, 2150858843, "The request for the Windows Remote Shell with ShellId "
                               f"{shell_id} failed because the shell was not found on the server.")
        if action == ACTION_DELETE:
            with ep.lock:
                gone = ep.shells.pop(shell_id, None)
            for cmd in (gone.commands.values() if gone else ()):
                cmd.terminated.set()
            return 200, _envelope(ACTION_DELETE + "Response", message_id, "")
        verb = action.rsplit("/", 1)[-1]
        if verb == "Command":
            line = (body.findtext(".//rsp:Command", "", NS) if body is not None else "").strip()
            args = (body.findtext(".//rsp:Arguments", "", NS) if body is not None else "").strip()
            full = f"{line} {args}".strip()
            command_id = str(uuid.uuid4()).upper()
            console = root.findtext(".//w:OptionSet/w:Option[@Name='WINRS_CONSOLEMODE_STDIN']", "TRUE", NS)
            with ep.lock:
                ep.command_lines.append(full)
                shell.commands[command_id] = Command(full, console_stdin=console.strip().upper() != "FALSE")
            return 200, _envelope(f"{SHELL_URI}/CommandResponse", message_id,
                                  f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId>"
                                  f"</rsp:CommandResponse>")
        if verb == "Send":
            stream = body.find(".//rsp:Stream", NS) if body is not None else None
            cmd = shell.commands.get(stream.get("CommandId", "") if stream is not None else "")
            if cmd is None or stream is None:
                return 500, _fault(message_id, 2150858843, "The command was not found.")
            cmd.stdin += base64.b64decode((stream.text or "").strip())
            cmd.stdin_closed = stream.get("End", "false").lower() == "true"
            return 200, _envelope(f"{SHELL_URI}/SendResponse", message_id, "<rsp:SendResponse/>")
        if verb == "Signal":
            signal = body.find(".//rsp:Signal", NS) if body is not None else None
            cmd = shell.commands.pop(signal.get("CommandId", "") if signal is not None else "", None)
            code = (body.findtext(".//rsp:Code", "", NS) if body is not None else "").rsplit("/", 1)[-1]
            if cmd is not None:
                with ep.lock:
                    ep.signals.append((cmd.line, code))
                if cmd.outcome is None or code in ("terminate", "ctrl_c"):
                    cmd.terminated.set()
            return 200, _envelope(f"{SHELL_URI}/SignalResponse", message_id, "<rsp:SignalResponse/>")
        if verb == "Receive":
            stream = body.find(".//rsp:DesiredStream", NS) if body is not None else None
            command_id = stream.get("CommandId", "") if stream is not None else ""
            cmd = shell.commands.get(command_id)
            if cmd is None:
                return 500, _fault(message_id, 2150858843, "The command was not found.")
            return self._receive(shell, cmd, command_id, message_id, op_timeout)
        return 500, _fault(message_id, 2150858817, f"The WS-Management service does not support {verb}.",
                           "w:ActionNotSupported")

    def _receive(self, shell: Shell, cmd: Command, command_id: str, message_id: str,
                 op_timeout: float) -> tuple[int, bytes]:
        outcome = execute(self.endpoint.guest, shell.user, cmd)
        if outcome is None:  # a hung task: the long poll ends without output, as WinRM's does
            deadline = time.monotonic() + op_timeout
            while time.monotonic() < deadline and not cmd.terminated.is_set():
                cmd.terminated.wait(min(0.2, max(0.0, deadline - time.monotonic())))
            return 500, _fault(message_id, TIMEOUT_FAULT, "The WS-Management service cannot complete the operation "
                               "within the time specified in OperationTimeout.", "w:TimedOut")
        code, out, err = outcome
        streams = "".join(
            f'<rsp:Stream Name="{name}" CommandId="{command_id}">{base64.b64encode(data.encode("utf-8")).decode()}'
            f"</rsp:Stream>" for name, data in (("stdout", out), ("stderr", err)) if data)
        ends = "".join(f'<rsp:Stream Name="{n}" CommandId="{command_id}" End="true"></rsp:Stream>'
                       for n in ("stdout", "stderr"))
        state = (f'<rsp:CommandState CommandId="{command_id}" State="{SHELL_URI}/CommandState/Done">'
                 f"<rsp:ExitCode>{code}</rsp:ExitCode></rsp:CommandState>")
        return 200, _envelope(f"{SHELL_URI}/ReceiveResponse", message_id,
                              f"<rsp:ReceiveResponse>{streams}{ends}{state}</rsp:ReceiveResponse>")
