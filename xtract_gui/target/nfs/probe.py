"""Is warm mode possible from this computer?  The real thing, step by step, before any migration starts.

An open TCP port proves nothing: a cluster (or a firewall in front of it) may accept the connection and still
serve no MOUNT, refuse this client, or have no such container.  ``probe_container`` does what the NFS writer
will do — portmapper GETPORT for MOUNT v3 and NFS v3, MNT of the container's export, a NULL call to NFS — and
says which step failed and what to do.  One outcome is not a failure: MOUNT refusing a client that is not in
the NFS whitelist *yet* (the engine adds this computer when the copy starts and removes it after); the probe
then says so instead of claiming the mount works.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ...domain.messages import Message, msg, raw
from .errors import NfsAccessDeniedError, NfsError, NfsExportNotFoundError, NfsProtocolError, NfsUnreachableError
from .mount import MOUNT_PROGRAM, MOUNT_VERSION, MountClient
from .nfs3 import NFS_PROGRAM, NFS_VERSION, Nfs3Client
from .portmap import portmap_getport
from .rpc import AuthSys, RpcClient


@dataclass(frozen=True)
class NfsProbe:
    ok: bool
    step: str  # "portmapper", "mount", "nfs" or "" when every step passed
    message: Message
    whitelisted: bool = True  # False: MOUNT refused this computer (not in the whitelist yet)


def probe_container(host: str, container: str, *, nfs_port: int = 0, mount_port: int = 0, portmap_port: int = 111,
                    timeout: float = 5.0) -> NfsProbe:
    export = "/" + container.strip("/")
    try:
        mount_port = mount_port or portmap_getport(host, MOUNT_PROGRAM, MOUNT_VERSION, port=portmap_port,
                                                   timeout=timeout, service="MOUNT")
        nfs_port = nfs_port or portmap_getport(host, NFS_PROGRAM, NFS_VERSION, port=portmap_port, timeout=timeout,
                                               service="NFS")
    except NfsUnreachableError:
        return NfsProbe(False, "portmapper", msg(
            "nfs.probe.portmapper", "The portmapper of {host} (TCP {port}) does not answer from this computer, so "
            "the NFS service cannot be found. Open TCP 111 and 2049 from this computer to the cluster's virtual IP "
            "(firewall, VPN), or choose cold mode.", host=host, port=portmap_port))
    except NfsProtocolError:
        return NfsProbe(False, "portmapper", msg(
            "nfs.probe.no_service", "{host} answers on TCP {port} but serves no MOUNT v3 and NFS v3: it is not a "
            "Nutanix cluster's NFS service. Enter the cluster's virtual IP (or a CVM) as the NFS address, or choose "
            "cold mode.", host=host, port=portmap_port))
    except NfsError as exc:
        return NfsProbe(False, "portmapper", msg("nfs.probe.portmapper_error", "The portmapper of {host} gave no "
                                                 "usable answer: {why}", host=host, why=raw(str(exc))))
    whitelisted = True
    client = MountClient(host, mount_port, auth=AuthSys(), timeout=timeout)
    try:
        client.mnt(export)
        with contextlib.suppress(NfsError):
            client.umnt(export)
    except NfsAccessDeniedError:
        whitelisted = False  # expected before the migration: the engine whitelists this computer at the seed
    except NfsExportNotFoundError:
        return NfsProbe(False, "mount", msg(
            "nfs.probe.no_export", "{host} has no NFS export {export}: the container's name is not what the "
            "cluster exports. Choose the container again (names are case-sensitive).", host=host, export=export))
    except NfsUnreachableError:
        return NfsProbe(False, "mount", msg(
            "nfs.probe.mount_unreachable", "The MOUNT service of {host} (TCP {port}) does not answer from this "
            "computer. Open that port from this computer to the cluster (firewall), or choose cold mode.", host=host,
            port=mount_port))
    except NfsError as exc:
        return NfsProbe(False, "mount", msg("nfs.probe.mount_error", "MOUNT of {export} on {host} failed: {why}",
                                            export=export, host=host, why=raw(str(exc))))
    finally:
        client.close()
    rpc = RpcClient(host, nfs_port, NFS_PROGRAM, NFS_VERSION, auth=AuthSys(), service="NFS", timeout=timeout,
                    connect_timeout=timeout, retry_window=0)
    try:
        Nfs3Client(rpc).null()
    except NfsError:
        return NfsProbe(False, "nfs", msg(
            "nfs.probe.nfs", "The NFS service of {host} (TCP {port}) does not answer from this computer. Open TCP "
            "2049 from this computer to the cluster's virtual IP (firewall, VPN), or choose cold mode.", host=host,
            port=nfs_port))
    finally:
        rpc.close()
    if not whitelisted:
        return NfsProbe(True, "", msg(
            "nfs.probe.ok_not_whitelisted", "NFS on {host} answers (portmapper, MOUNT and NFS v3). MOUNT of {export} "
            "is refused until this computer is in the cluster's NFS whitelist: xtract-gui adds it when the copy "
            "starts and removes it afterwards.", host=host, export=export), whitelisted=False)
    return NfsProbe(True, "", msg("nfs.probe.ok", "NFS on {host} answers and {export} mounts from this computer "
                                  "(portmapper, MOUNT and NFS v3 checked).", host=host, export=export))

