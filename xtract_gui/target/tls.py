"""Certificate fingerprints and pinning: Prism serves a self-signed certificate on 9440 almost always,
so trust is "this exact certificate" (shown to the user once), never a silent ``verify=False``."""

from __future__ import annotations

import ssl
from typing import Any

from requests.adapters import HTTPAdapter

from ..domain.errors import ConnectionFailedError
from ..tlspin import format_fingerprint, normalize_fingerprint, read_peer_fingerprint

__all__ = ["PinnedAdapter", "format_fingerprint", "normalize_fingerprint", "probe_certificate"]


def probe_certificate(host: str, port: int = 9440, timeout: float = 10) -> str:
    """SHA-256 fingerprint ("AA:BB:…") of the certificate the server presents; no trust decision."""
    try:
        fingerprint = read_peer_fingerprint(host, port, timeout)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectionFailedError(
            f"Could not read the TLS certificate of {host}:{port} ({exc.__class__.__name__}: {exc}).",
            hint="Check the address and port (Prism listens on 9440) and that this computer can reach it.",
        ) from None
    if not fingerprint:
        raise ConnectionFailedError(f"{host}:{port} presented no TLS certificate.",
                                    hint="Check that this is a Prism address.")
    return fingerprint


class PinnedAdapter(HTTPAdapter):
    """Accepts exactly the certificate with the pinned SHA-256 (urllib3 ``assert_fingerprint``)."""

    def __init__(self, fingerprint: str, **kwargs: Any) -> None:
        self._fingerprint = fingerprint.replace(":", "").lower()
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        pool_kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)
