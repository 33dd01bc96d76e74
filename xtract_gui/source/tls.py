"""Trust on first use for vCenter and ESXi: probe a server's certificate, then pin it.

vCenter certificates are usually signed by the VMCA, which a consultant's laptop does not trust.
Rather than disabling verification, the app shows the SHA-256 fingerprint once
(``probe_certificate``), the user accepts it, and every later connection checks that the peer
presents exactly that certificate (``pinned_context``).
"""

from __future__ import annotations

import ssl

from ..domain.errors import CertificateMismatchError, ConnectionFailedError
from ..tlspin import format_fingerprint, normalize_fingerprint, read_peer_fingerprint, unreachable

__all__ = ["format_fingerprint", "normalize_fingerprint", "pinned_context", "probe_certificate"]


def probe_certificate(host: str, port: int = 443, timeout: float = 10) -> str:
    """SHA-256 fingerprint ("AA:BB:…") of the certificate the server presents, without trusting it."""
    try:
        fingerprint = read_peer_fingerprint(host, port, timeout)
    except (OSError, ssl.SSLError) as exc:
        raise connection_error(host, port, exc) from exc
    if not fingerprint:
        raise ConnectionFailedError(f"{host}:{port} presented no TLS certificate.",
                                    hint="Check that the address and port are those of vCenter (HTTPS).")
    return fingerprint


class PinMismatch(ssl.SSLCertVerificationError):
    """Raised inside the TLS handshake when the peer's certificate is not the pinned one."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"certificate fingerprint {actual} is not the pinned {expected}")
        self.expected = expected
        self.actual = actual


class _PinnedSSLSocket(ssl.SSLSocket):
    pinned = ""

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        actual = format_fingerprint(self.getpeercert(binary_form=True) or b"")
        if actual != self.pinned:
            raise PinMismatch(self.pinned, actual)


def pinned_context(fingerprint: str) -> ssl.SSLContext:
    """An SSL context that accepts exactly the certificate with this SHA-256 fingerprint.

    Chain and host name are not checked (a pinned self-signed VMCA certificate has neither); the
    fingerprint check replaces them and runs in every handshake, so a swapped server fails.
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.sslsocket_class = type("PinnedSSLSocket", (_PinnedSSLSocket,),  # type: ignore[assignment]
                               {"pinned": normalize_fingerprint(fingerprint)})
    return ctx


def mismatch_error(host: str, expected: str, actual: str) -> CertificateMismatchError:
    if not expected:
        return CertificateMismatchError(
            f"{host} presents a certificate this computer does not trust (fingerprint {actual}).",
            expected="", actual=actual,
            hint="Compare the fingerprint with the one vCenter shows (Administration > Certificates) "
                 "and accept it to pin it for this connection.")
    return CertificateMismatchError(
        f"{host} presented a different certificate than the one accepted before: "
        f"expected {expected}, got {actual}.",
        expected=expected, actual=actual,
        hint="If vCenter's certificate was renewed, verify the new fingerprint with its administrator and "
             "accept it again; otherwise do not connect (someone may be intercepting the connection).")


def connection_error(host: str, port: int, exc: BaseException) -> ConnectionFailedError:
    return unreachable(host, port, exc, product="vCenter")  # one wording for every adapter (tlspin.py)
