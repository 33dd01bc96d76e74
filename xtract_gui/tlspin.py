"""Certificate fingerprints for trust on first use, shared by every adapter that speaks TLS.

vCenter (VMCA), Prism (self-signed on 9440) and WinRM listeners (self-signed on 5986) rarely
present a certificate the laptop trusts. Rather than disabling verification, the app reads the
certificate's SHA-256 once, shows it to the person, and from then on accepts exactly that
certificate. This module only reads and formats; each adapter decides what a failure means.
"""

from __future__ import annotations

import hashlib
import socket
import ssl
from typing import Any

from requests.adapters import HTTPAdapter


def format_fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as "AA:BB:…"."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalize_fingerprint(value: str) -> str:
    """Accept "aa:bb…", "AABB…", or with spaces/dashes; return "AA:BB:…" (empty stays empty).

    Only SHA-256 pins are accepted: a SHA-1 pin is too weak to mean "exactly this certificate".
    """
    hexdigits = "".join(c for c in value if c not in ": \t-").upper()
    if not hexdigits:
        return ""
    if len(hexdigits) != 64 or any(c not in "0123456789ABCDEF" for c in hexdigits):
        raise ValueError("a certificate pin must be a SHA-256 fingerprint (32 hexadecimal byte pairs)")
    return ":".join(hexdigits[i:i + 2] for i in range(0, 64, 2))


def read_peer_fingerprint(host: str, port: int, timeout: float = 10) -> str:
    """Fingerprint of the certificate the server presents; "" if it presents none.

    Raises ``OSError``/``ssl.SSLError`` for the caller to translate. Verification is off on purpose:
    nothing is sent over this connection, it only reads the certificate so a person can decide.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((host, port), timeout=timeout) as raw, \
            context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
    return format_fingerprint(der) if der else ""


class PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate with the pinned SHA-256 (urllib3 ``assert_fingerprint``).

    Mount it on a session whose ``verify`` is False: the fingerprint replaces CA and host-name checks,
    which self-signed vCenter/ESXi/Prism/WinRM certificates would fail.
    """

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = fingerprint.replace(":", "").lower()
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
