"""NTLM (HTTP Negotiate) on the lab's WinRM listener, with MS-WSMV message encryption, via pyspnego.

pyspnego's NTLM acceptor looks passwords up in the file named by the NTLM_USER_FILE environment
variable, so the lab keeps one such file per process with every lab account in it (a process-wide
side effect: set NTLM_USER_FILE yourself beforehand and the lab appends to yours).
"""

from __future__ import annotations

import base64
import os
import struct
import tempfile
import threading
from pathlib import Path

import spnego
from spnego.channel_bindings import GssChannelBindings

from .state import Account

PROTOCOL = b"application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
_STORE_LOCK = threading.Lock()
_known: set[str] = set()


def register(accounts: list[Account]) -> None:
    """Make the accounts known to the NTLM acceptor (as user, .\\user and DOMAIN\\user)."""
    with _STORE_LOCK:
        path = os.environ.get("NTLM_USER_FILE")
        if not path:
            fd, path = tempfile.mkstemp(prefix="xtract-lab-ntlm-", suffix=".txt")
            os.close(fd)
            os.environ["NTLM_USER_FILE"] = path
        lines = []
        for acc in accounts:
            domain, _, user = acc.name.rpartition("\\")
            for dom in {"", ".", domain}:
                line = f"{dom}:{user}:{acc.password}"
                if line not in _known:
                    _known.add(line)
                    lines.append(line)
        if lines:
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("".join(f"{line}\n" for line in lines))


class NtlmSession:
    """The NTLM state of one HTTP connection (NTLM authenticates connections, not requests)."""

    def __init__(self, cert_hash: bytes | None) -> None:
        bindings = (GssChannelBindings(application_data=b"tls-server-end-point:" + cert_hash)
                    if cert_hash else None)
        self._ctx = spnego.server(protocol="ntlm", channel_bindings=bindings)
        self.user: str | None = None

    def step(self, token_b64: str) -> str | None:
        """Feed the client's token; returns the challenge to send back, or None once authenticated.
        Raises ``spnego.exceptions.SpnegoError`` on a wrong password."""
        out = self._ctx.step(base64.b64decode(token_b64))
        if self._ctx.complete:
            self.user = self._ctx.client_principal or ""
            return None
        return base64.b64encode(out or b"").decode("ascii")

    @property
    def complete(self) -> bool:
        return self.user is not None

    def decrypt(self, body: bytes) -> bytes:
        """The SOAP text inside a multipart/encrypted body (MS-WSMV 2.2.9.1.1)."""
        parts = [p for p in body.split(BOUNDARY + b"\r\n") if p]
        message = b""
        for i in range(0, len(parts) - 1, 2):
            header, payload = parts[i].strip(), parts[i + 1]
            length = int(header.split(b"Length=")[1])
            if payload.endswith(BOUNDARY + b"--\r\n"):
                payload = payload[: -len(BOUNDARY + b"--\r\n")]
            data = payload.replace(b"\tContent-Type: application/octet-stream\r\n", b"", 1)
            sig_len = struct.unpack("<i", data[:4])[0]
            plain = self._ctx.unwrap_winrm(data[4:4 + sig_len], data[4 + sig_len:])
            if len(plain) != length:
                raise ValueError("encrypted message length mismatch")
            message += plain
        return message

    def encrypt(self, message: bytes) -> tuple[bytes, str]:
        wrapped = self._ctx.wrap_winrm(message)
        body = (BOUNDARY + b"\r\n\tContent-Type: " + PROTOCOL + b"\r\n"
                b"\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=" + str(len(message)).encode()
                + b"\r\n" + BOUNDARY + b"\r\n\tContent-Type: application/octet-stream\r\n"
                + struct.pack("<i", len(wrapped.header)) + wrapped.header + wrapped.data + BOUNDARY + b"--\r\n")
        content_type = f'multipart/encrypted;protocol="{PROTOCOL.decode()}";boundary="Encrypted Boundary"'
        return body, content_type


def cert_hash_of(cert_path: Path | None) -> bytes | None:
    """tls-server-end-point hash of a PEM certificate (SHA-256 for our SHA-256-signed lab certificates)."""
    if cert_path is None:
        return None
    import hashlib
    import ssl

    der = ssl.PEM_cert_to_DER_cert(cert_path.read_text())
    return hashlib.sha256(der).digest()
