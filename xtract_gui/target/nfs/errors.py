"""NFS/MOUNT/RPC failures as the project's errors, each telling the user what to do.

The classes also derive from the domain type the engine already handles (``NotFoundError``,
``PermissionDeniedError``, ``TransientError``, ``ConnectionFailedError``), so callers that do not care about
NFS catch the domain type and callers that do (the writer, on a stale handle) catch the precise one.
"""

from __future__ import annotations

from ...domain.errors import (
    ConnectionFailedError,
    NoSpaceError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnsupportedError,
    XtractError,
)

WHITELIST_HINT = ("Add this laptop's address to the cluster's NFS whitelist (Prism: Settings > Filesystem "
                  "Whitelists, or let the tool add it for the migration), then retry.")


class NfsError(XtractError):
    """An NFS, MOUNT or RPC operation failed; ``status`` is the protocol's code (0 when not from a reply)."""

    def __init__(self, message: str, *, status: int = 0, hint: str = "", detail: str = "") -> None:
        super().__init__(message, hint=hint, detail=detail)
        self.status = status


class NfsNotFoundError(NfsError, NotFoundError):
    """NFS3ERR_NOENT / MNT3ERR_NOENT: no such file, directory or export."""


class NfsExportNotFoundError(NfsNotFoundError):
    """The server has no export of that name (MNT3ERR_NOENT)."""


class NfsStaleHandleError(NfsNotFoundError):
    """NFS3ERR_STALE / BADHANDLE: the file was removed (or the export re-created) behind our back."""


class NfsExistsError(NfsError):
    """NFS3ERR_EXIST (a GUARDED create or MKDIR of a name that is there)."""


class NfsNotEmptyError(NfsError):
    """NFS3ERR_NOTEMPTY: RMDIR of a folder that still has entries."""


class NfsAccessDeniedError(NfsError, PermissionDeniedError):
    """The server refused this client: not in the export's client list (whitelist), or file permissions."""


class NfsNoSpaceError(NfsError, NoSpaceError):
    """NFS3ERR_NOSPC / DQUOT: the storage container is full (or its quota/reservation is)."""


class NfsServerBusyError(NfsError, TransientError):
    """NFS3ERR_JUKEBOX or a dropped connection: worth retrying after a pause."""


class NfsUnreachableError(NfsError, ConnectionFailedError):
    """No TCP connection to the portmapper, MOUNT or NFS service."""


class NfsProtocolError(NfsError, UnsupportedError):
    """The server does not speak what we asked (program/version not registered, RPC mismatch, bad reply)."""


NFS3_STATUS_NAMES: dict[int, str] = {
    1: "NFS3ERR_PERM", 2: "NFS3ERR_NOENT", 5: "NFS3ERR_IO", 6: "NFS3ERR_NXIO", 13: "NFS3ERR_ACCES",
    17: "NFS3ERR_EXIST", 18: "NFS3ERR_XDEV", 19: "NFS3ERR_NODEV", 20: "NFS3ERR_NOTDIR", 21: "NFS3ERR_ISDIR",
    22: "NFS3ERR_INVAL", 27: "NFS3ERR_FBIG", 28: "NFS3ERR_NOSPC", 30: "NFS3ERR_ROFS", 31: "NFS3ERR_MLINK",
    63: "NFS3ERR_NAMETOOLONG", 66: "NFS3ERR_NOTEMPTY", 69: "NFS3ERR_DQUOT", 70: "NFS3ERR_STALE",
    71: "NFS3ERR_REMOTE", 10001: "NFS3ERR_BADHANDLE", 10002: "NFS3ERR_NOT_SYNC", 10003: "NFS3ERR_BAD_COOKIE",
    10004: "NFS3ERR_NOTSUPP", 10005: "NFS3ERR_TOOSMALL", 10006: "NFS3ERR_SERVERFAULT",
    10007: "NFS3ERR_BADTYPE", 10008: "NFS3ERR_JUKEBOX",
}

MNT3_STATUS_NAMES: dict[int, str] = {
    1: "MNT3ERR_PERM", 2: "MNT3ERR_NOENT", 5: "MNT3ERR_IO", 13: "MNT3ERR_ACCES", 20: "MNT3ERR_NOTDIR",
    22: "MNT3ERR_INVAL", 63: "MNT3ERR_NAMETOOLONG", 10004: "MNT3ERR_NOTSUPP", 10006: "MNT3ERR_SERVERFAULT",
}


def nfs3_error(status: int, operation: str, target: str) -> NfsError:
    """The error for a failed NFSv3 ``operation`` (e.g. "WRITE") on ``target`` (a path as the user knows it)."""
    name = NFS3_STATUS_NAMES.get(status, f"status {status}")
    what = f"NFS {operation} of {target} failed ({name})."
    if status == 2:
        return NfsNotFoundError(f"{target} does not exist on the NFS server.", status=status,
                                hint="Check the container and path; it may have been removed.", detail=name)
    if status in (70, 10001):
        return NfsStaleHandleError(
            f"{target} is no longer there (stale NFS file handle): it was removed or replaced on the server.",
            status=status, hint="Start the copy of this disk again; the tool re-creates the file.", detail=name)
    if status in (1, 13):
        return NfsAccessDeniedError(what, status=status, hint=WHITELIST_HINT + " If it is already listed, the "
                                    "file's owner/permissions on the container refuse uid 0.", detail=name)
    if status == 30:
        return NfsAccessDeniedError(what, status=status, hint="The export is read-only for this client; the "
                                    "container must be writable from this laptop's address.", detail=name)
    if status in (28, 69):
        return NfsNoSpaceError(f"The storage container is full: {operation} of {target} failed ({name}).",
                               status=status, hint="Free space in the container, or choose a larger one, then "
                               "resume the copy.", detail=name)
    if status == 17:
        return NfsExistsError(f"{target} already exists.", status=status, detail=name)
    if status == 66:
        return NfsNotEmptyError(f"{target} is not empty.", status=status, detail=name)
    if status == 10008:
        return NfsServerBusyError(f"The NFS server stayed busy (NFS3ERR_JUKEBOX) for {operation} of {target}.",
                                  status=status, detail=name,
                                  hint="The cluster's storage is busy (a failover, a rebuild); retry later: the copy "
                                       "resumes from its last checkpoint.")
    return NfsError(what, status=status, hint="Check the NFS server's health and log, then retry.", detail=name)


def mount_error(status: int, export: str, host: str, local_port: int = 0,
                visible: list[str] | None = None) -> NfsError:
    """The error for a refused MNT.  ``visible``: the exports the server lists for this client (EXPORT).

    Servers such as ganesha answer ACCES, not NOENT, for an export that does not exist, and list only the
    exports a client may mount; the list tells the two cases apart.
    """
    name = MNT3_STATUS_NAMES.get(status, f"status {status}")
    if status in (1, 13) and visible and export not in visible:
        status = 2  # it lets us mount others: we are whitelisted, the name is wrong
    if status in (2, 20):
        listed = f" It exports: {', '.join(sorted(visible))}." if visible else ""
        return NfsExportNotFoundError(
            f"The NFS server {host} has no export {export}.{listed}", status=status, detail=name,
            hint="Export names are the storage container's name with a leading '/': check the container "
                 "chosen in the plan exists on this cluster.")
    if status in (1, 13):
        hint = WHITELIST_HINT
        if local_port >= 1024:
            hint += (f" This laptop connected from port {local_port}: if the server requires a privileged source "
                     "port (below 1024), run the tool as root/Administrator.")
        also = "" if visible else " (or it has no such export: it lists none to this laptop)"
        return NfsAccessDeniedError(f"The NFS server {host} refused to mount {export} for this laptop{also}.",
                                    status=status, hint=hint, detail=name)
    return NfsError(f"Mounting {export} from {host} failed ({name}).", status=status,
                    hint="Check the NFS service on the cluster, then retry.", detail=name)
