"""The portmapper's GETPORT (RFC 1833, version 2): where a cluster serves MOUNT and NFS."""

from __future__ import annotations

from .errors import NfsProtocolError, NfsUnreachableError
from .rpc import RpcClient
from .xdr import Packer

PORTMAP_PROGRAM, PORTMAP_VERSION, PMAPPROC_GETPORT = 100000, 2, 3
IPPROTO_TCP = 6


def portmap_getport(host: str, program: int, version: int, *, port: int = 111, timeout: float = 10.0,
                    service: str = "NFS") -> int:
    """The TCP port the portmapper at ``host:port`` knows for ``program``/``version``."""
    client = RpcClient(host, port, PORTMAP_PROGRAM, PORTMAP_VERSION, service="portmapper", timeout=timeout,
                       connect_timeout=timeout, retry_window=0, reserved_port=False)
    try:
        try:
            client.connect()
        except NfsUnreachableError as exc:
            raise NfsUnreachableError(
                f"The portmapper at {host}:{port} cannot be reached, so the {service} port is unknown.",
                hint="Check that this laptop reaches the cluster on TCP 111 (firewall, VPN), or give the NFS and "
                     "MOUNT ports explicitly.", detail=str(exc)) from exc
        reply = client.call(PMAPPROC_GETPORT, Packer().uint(program).uint(version).uint(IPPROTO_TCP).uint(0))
        found = reply.uint()
    finally:
        client.close()
    if found == 0:
        raise NfsProtocolError(f"{host} has no {service} service (program {program} v{version}) over TCP.",
                               hint="Point the tool at a CVM or the cluster virtual IP, where NFSv3 is served.")
    return found
