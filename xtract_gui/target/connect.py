"""One entry point for both Prism products: probe the address and hand back the right adapter."""

from __future__ import annotations

from collections.abc import Mapping

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    UnsupportedError,
    XtractError,
)
from ..domain.inventory import TargetCluster
from .prism_central import PrismCentral
from .prism_element import V2, PrismElement
from .tls import probe_certificate
from .transport import PrismTransport

V3_VERSIONS = "/api/nutanix/v3/versions"


def connect_prism(host: str, user: str, password: str, *, port: int = 9440, protocol: str = "https",
                  expected_fingerprint: str = "", timeout: float = 30,
                  element_fingerprints: Mapping[str, str] | None = None,
                  element_port: int | None = None) -> PrismElement | PrismCentral:
    """Connect, authenticate and tell Prism Element (v2.0) from Prism Central (v3).

    Over HTTPS, ``expected_fingerprint`` pins the server's certificate (SHA-256 "AA:BB:…", as
    ``probe_certificate`` shows it); without a pin the certificate must be trusted by this computer,
    otherwise ``CertificateMismatchError`` carries the fingerprint to show the user.

    With Prism Central, storage containers and the NFS whitelist come from the cluster's Prism Element
    at its external IP, with the same account and protocol, on ``element_port`` (default: ``port``),
    pinned with ``element_fingerprints[ip]`` if given.
    """
    transport = PrismTransport(host, user, password, port=port, protocol=protocol,
                               expected_fingerprint=expected_fingerprint, timeout=timeout)
    try:
        fingerprint = transport.expected_fingerprint
        if protocol == "https" and not fingerprint:
            fingerprint = probe_certificate(host, port, timeout=min(10.0, timeout))
        # A refused or unanswered first call means a wrong address: say so now instead of retrying (an answer
        # that broke off is still tried again: Prism is there).
        transport.retry_unreached = False
        product = _probe(transport)
        transport.retry_unreached = True
        if product is None:
            cluster_json = transport.json("GET", f"{V2}/cluster", action="read the cluster")
            return PrismElement(transport, cluster_json=cluster_json, fingerprint=fingerprint)

        def element_factory(cluster: TargetCluster) -> PrismElement:
            address = cluster.external_ip
            if not address:
                raise UnsupportedError(f"Prism Central does not show the address of cluster '{cluster.name}'.",
                                       hint="Connect to that cluster's Prism Element directly.")
            pin = (element_fingerprints or {}).get(address, "")
            where = f"{address}:{element_port or port}"
            try:
                element = connect_prism(address, user, password, port=element_port or port, protocol=protocol,
                                        expected_fingerprint=pin, timeout=timeout)
            except CertificateMismatchError:
                raise  # the user can accept the element's fingerprint and try again
            except (AuthenticationError, PermissionDeniedError, ConnectionFailedError) as exc:
                raise UnsupportedError(
                    f"Prism Central has no API for the storage containers and NFS whitelist of "
                    f"'{cluster.name}', and its Prism Element at {where} did not let us in: {exc.message}",
                    hint=f"Make {where} reachable from this computer for the same account, or connect to that "
                         "Prism Element directly.", detail=exc.detail) from None
            if not isinstance(element, PrismElement):
                raise UnsupportedError(f"{address} answers as Prism Central, not as the Prism Element of "
                                       f"'{cluster.name}'.", hint="Check the cluster's external IP in Prism.")
            return element

        return PrismCentral(transport, version=product, fingerprint=fingerprint, element_factory=element_factory)
    except BaseException:
        transport.close()
        raise


def _probe(transport: PrismTransport) -> str | None:
    """Prism Central's product version ("pc.2024.1.0.1"), or None for a Prism Element."""
    try:
        resp = transport.request("GET", V3_VERSIONS, action="read the API versions")
    except NotFoundError:
        return None  # an old AOS without v3: a Prism Element
    env = resp.headers.get("X-Ntnx-Env", "").lower()
    if env == "pc":
        return resp.headers.get("X-Ntnx-Product", "") or "pc"
    try:
        transport.request("GET", f"{V2}/cluster", action="read the cluster")
        return None
    except NotFoundError:
        pass
    except XtractError:
        raise
    # No PE gateway and no header (an older Prism Central): ask it what it is.
    body = transport.json("GET", "/api/nutanix/v3/prism_central", action="read Prism Central")
    return str((body.get("resources") or {}).get("version") or "pc")
