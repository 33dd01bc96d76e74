"""``connect_vsphere``: trust on first use, login, and the adapter ready for the engine."""

from __future__ import annotations

import socket
import ssl
import threading
import time

from ..domain.errors import ConfigurationError, ConnectionFailedError
from .platform import HostAccess, VSphereSource
from .session import VSphereSession
from .tls import mismatch_error, normalize_fingerprint, pinned_context, probe_certificate

_REACHABLE_TTL = 300.0
_reachable: dict[str, tuple[float, str | None]] = {}
_reachable_lock = threading.Lock()


def reachable_host(host_name: str, timeout: float = 2.0) -> str | None:
    """Default host access: ``https://<host>`` when its port 443 answers from here, else None.

    The answer is cached for a few minutes, and the probe (name lookup included, which a socket
    timeout does not bound) runs in a helper thread so a dead DNS server cannot stall a reader.
    """
    now = time.monotonic()
    with _reachable_lock:
        hit = _reachable.get(host_name)
    if hit is not None and now - hit[0] < _REACHABLE_TTL:
        return hit[1]
    found: list[str] = []

    def probe() -> None:
        try:
            with socket.create_connection((host_name, 443), timeout=timeout):
                found.append(f"https://{host_name}")
        except OSError:
            pass

    worker = threading.Thread(target=probe, name="esxi-probe", daemon=True)
    worker.start()
    worker.join(2 * timeout)
    result = found[0] if found else None
    with _reachable_lock:
        _reachable[host_name] = (now, result)
    return result


def connect_vsphere(host: str, user: str, password: str, *, port: int = 443, protocol: str = "https",
                    expected_fingerprint: str = "", timeout: float = 30,
                    host_access: HostAccess | None = reachable_host, keepalive: float = 600) -> VSphereSource:
    """Log in to vCenter.

    ``expected_fingerprint`` pins the certificate (from ``probe_certificate`` and the user's OK);
    without it the certificate must chain to a CA this computer trusts.  ``protocol="http"`` is for
    the lab only.  ``host_access`` maps an ESXi host name to the https base URL its datastores can be
    read from directly (None: read through vCenter); the default tries port 443 of the host name.
    """
    if protocol not in ("https", "http"):
        raise ConnectionFailedError(f"Unknown protocol {protocol!r}.", hint='Use "https".')
    context: ssl.SSLContext | None = None
    fingerprint = ""
    if protocol == "https":
        fingerprint = probe_certificate(host, port, timeout)
        if expected_fingerprint:
            try:
                pin = normalize_fingerprint(expected_fingerprint)
            except ValueError:
                raise ConfigurationError(f"'{expected_fingerprint}' is not a SHA-256 certificate fingerprint.",
                                         hint="Copy the fingerprint as shown (32 pairs of hex digits).") from None
            if pin != fingerprint:
                raise mismatch_error(host, pin, fingerprint)
            context = pinned_context(pin)
        else:
            context = ssl.create_default_context()
            try:
                with socket.create_connection((host, port), timeout=timeout) as raw, \
                        context.wrap_socket(raw, server_hostname=host):
                    pass
            except ssl.SSLCertVerificationError:
                raise mismatch_error(host, "", fingerprint) from None
            except (OSError, ssl.SSLError) as exc:
                raise ConnectionFailedError(f"The TLS handshake with {host}:{port} failed.",
                                            hint="Check the address and port.", detail=str(exc)) from None
    if protocol == "http":
        host_access = None  # the lab has no ESXi hosts to read from, and ESXi speaks HTTPS only
    session = VSphereSession(host, port, protocol, user, password, context, timeout=timeout, keepalive=keepalive)
    session.connect()
    return VSphereSource(session, fingerprint, host_access=host_access)
