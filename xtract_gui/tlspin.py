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

from .domain.errors import ConnectionFailedError
from .domain.messages import msg

# What OpenSSL says when the other end does not speak TLS at all (an HTTP server answers a ClientHello with
# "HTTP/1.1 400", which OpenSSL reads as a record of a wrong version or length).
_NOT_TLS = frozenset({"WRONG_VERSION_NUMBER", "HTTP_REQUEST", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
                      "UNKNOWN_PROTOCOL"})


def unreachable(host: str, port: int, exc: BaseException, *, product: str) -> ConnectionFailedError:
    """Why ``host:port`` could not be reached over TLS, naming the port really used and what to check.
    ``product`` is what should answer there ("vCenter", "Prism")."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, socket.gaierror):
        return ConnectionFailedError(msg("net.no_name", "The name {host} cannot be resolved.", host=host),
                                     hint=msg("net.no_name.hint", "Check the {product} address and this computer's "
                                              "DNS settings.", product=product), detail=detail)
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionFailedError(msg("net.refused", "{host}:{port} refused the connection.", host=host,
                                         port=port),
                                     hint=msg("net.refused.hint", "Check the address and port, and that {product} "
                                              "is running there.", product=product), detail=detail)
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectionFailedError(msg("net.timeout", "{host}:{port} did not answer in time.", host=host,
                                         port=port),
                                     hint=msg("net.timeout.hint", "Check the network path (VPN, firewall rules for "
                                              "TCP {port}) to {product}.", port=port, product=product),
                                     detail=detail)
    if isinstance(exc, ssl.SSLError) and (getattr(exc, "reason", None) in _NOT_TLS or "wrong version" in str(exc)):
        return ConnectionFailedError(msg("net.not_tls", "{host}:{port} does not answer in HTTPS (plain HTTP or "
                                         "another protocol is listening there).", host=host, port=port),
                                     hint=msg("net.not_tls.hint", "Check the port: {product} serves HTTPS on {usual}.",
                                              product=product, usual=443 if product == "vCenter" else 9440),
                                     detail=detail)
    if isinstance(exc, ssl.SSLError):
        return ConnectionFailedError(msg("net.tls_failed", "The TLS handshake with {host}:{port} failed.",
                                         host=host, port=port),
                                     hint=msg("net.tls_failed.hint", "Check that the port is {product}'s HTTPS port.",
                                              product=product), detail=detail)
    return ConnectionFailedError(msg("net.unreachable", "Cannot reach {host}:{port}.", host=host, port=port),
                                 hint=msg("net.unreachable.hint", "Check the address, port and network path to "
                                          "{product}.", product=product), detail=detail)


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
