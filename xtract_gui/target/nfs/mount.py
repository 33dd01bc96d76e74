"""MOUNT v3 (RFC 1813 appendix I): MNT gives the export's root file handle; UMNT and EXPORT."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from .errors import NfsError, mount_error
from .rpc import AuthSys, RpcClient
from .xdr import Packer

MOUNT_PROGRAM, MOUNT_VERSION = 100005, 3
MOUNTPROC3_MNT, MOUNTPROC3_UMNT, MOUNTPROC3_EXPORT = 1, 3, 5
FHSIZE3 = 64
MNTPATHLEN = 1024


@dataclass(frozen=True)
class ExportEntry:
    path: str
    groups: tuple[str, ...]  # the client list the server advertises (often empty)


class MountClient:
    def __init__(self, host: str, port: int, *, auth: AuthSys, timeout: float = 30.0,
                 reserved_port: bool | None = None) -> None:
        self.host = host
        self._rpc = RpcClient(host, port, MOUNT_PROGRAM, MOUNT_VERSION, auth=auth, service="MOUNT",
                              timeout=timeout, connect_timeout=timeout, retry_window=timeout,
                              reserved_port=reserved_port)

    def mnt(self, export: str) -> bytes:
        """The root file handle of ``export``; raises ``NfsExportNotFoundError`` / ``NfsAccessDeniedError``."""
        reply = self._rpc.call(MOUNTPROC3_MNT, Packer().string(export))
        status = reply.uint()
        if status != 0:
            visible: list[str] | None = None
            if status in (1, 13):
                with contextlib.suppress(NfsError):
                    visible = [e.path for e in self.exports()]
            raise mount_error(status, export, self.host, self._rpc.local_port, visible)
        handle = reply.opaque(FHSIZE3)
        reply.uint_array()  # auth flavours the server accepts; AUTH_SYS is what every NFS server takes
        return handle

    def umnt(self, export: str) -> None:
        # A courtesy to the server's mount list: not worth waiting for a server that is gone.
        self._rpc.call(MOUNTPROC3_UMNT, Packer().string(export), retry_window=0)

    def exports(self) -> list[ExportEntry]:
        reply = self._rpc.call(MOUNTPROC3_EXPORT)
        out: list[ExportEntry] = []
        while reply.bool():
            path = reply.string(MNTPATHLEN)
            groups: list[str] = []
            while reply.bool():
                groups.append(reply.string(255))
            out.append(ExportEntry(path, tuple(groups)))
        return out

    @property
    def local_port(self) -> int:
        return self._rpc.local_port

    def close(self) -> None:
        self._rpc.close()
