"""Certificate fingerprints and pinning: Prism serves a self-signed certificate on 9440 almost always,
so trust is "this exact certificate" (shown to the user once), never a silent ``verify=False``."""

from __future__ import annotations

import ssl

from ..domain.errors import ConnectionFailedError
from ..tlspin import PinnedAdapter, format_fingerprint, normalize_fingerprint, read_peer_fingerprint, unreachable

__all__ = ["PinnedAdapter", "format_fingerprint", "normalize_fingerprint", "probe_certificate"]


def probe_certificate(host: str, port: int = 9440, timeout: float = 10) -> str:
    """SHA-256 fingerprint ("AA:BB:…") of the certificate the server presents; no trust decision."""
    try:
        fingerprint = read_peer_fingerprint(host, port, timeout)
    except (OSError, ssl.SSLError) as exc:
        raise unreachable(host, port, exc, product="Prism") from None  # one wording for every adapter (tlspin)
    if not fingerprint:
        raise ConnectionFailedError(f"{host}:{port} presented no TLS certificate.",
                                    hint="Check that this is a Prism address.")
    return fingerprint
