"""Certificate fingerprints and pinning: Prism serves a self-signed certificate on 9440 almost always,
so trust is "this exact certificate" (shown to the user once), never a silent ``verify=False``."""

from __future__ import annotations

import hashlib
import socket
import ssl
from typing import Any

from requests.adapters import HTTPAdapter

from ..domain.errors import ConnectionFailedError


def format_fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalize_fingerprint(value: str) -> str:
    """Accept "aa:bb…", "AABB…" or with spaces; return "AA:BB:…" (empty stays empty)."""
    hexdigits = "".join(c for c in value if c not in ": \t").upper()
    if not hexdigits:
        return ""
    if len(hexdigits) != 64 or any(c not in "0123456789ABCDEF" for c in hexdigits):
        raise ValueError("a SHA-256 fingerprint has 32 hexadecimal byte pairs")
    return ":".join(hexdigits[i:i + 2] for i in range(0, 64, 2))


def probe_certificate(host: str, port: int = 9440, timeout: float = 10) -> str:
    """SHA-256 fingerprint ("AA:BB:…") of the certificate the server presents; no trust decision."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # We only read the certificate here, to show it to the user; nothing is sent over this connection.
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailedError(
            f"Could not read the TLS certificate of {host}:{port} ({exc.__class__.__name__}: {exc}).",
            hint="Check the address and port (Prism listens on 9440) and that this computer can reach it.",
        ) from None
    if not der:
        raise ConnectionFailedError(f"{host}:{port} presented no TLS certificate.",
                                    hint="Check that this is a Prism address.")
    return format_fingerprint(der)


class PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate with the pinned SHA-256 (urllib3 ``assert_fingerprint``)."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = fingerprint.replace(":", "").lower()
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
