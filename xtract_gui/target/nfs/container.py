"""``NfsContainer``: one AHV storage container, mounted over NFSv3 from this process (no OS mount).

Paths are relative to the container ("xtract/<migration>/<vm>-disk2000.raw"); ``finish`` of a disk gives
the ADSF path ``/<container>/<path>`` that Prism's ``ndfs_filepath`` wants.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

from ...domain.errors import CancelledError, ConfigurationError
from ...engine.ports import Cancellation
from .errors import NfsError, NfsExistsError, NfsNotFoundError, NfsStaleHandleError
from .mount import MOUNT_PROGRAM, MOUNT_VERSION, ExportEntry, MountClient
from .nfs3 import NFS_PROGRAM, NFS_VERSION, PRIVATE_FILE, DirEntry, Fattr, FsInfo, Nfs3Client
from .portmap import portmap_getport
from .rpc import AuthSys, RpcClient, RpcPool
from .writer import NfsDiskWriter

log = logging.getLogger(__name__)
_T = TypeVar("_T")

DEFAULT_MAX_UNCOMMITTED = 32 * 1024 * 1024  # per disk: several disks copy at once on one laptop
_MAX_IO = 1024 * 1024  # larger WRITEs buy little and cost memory per call in flight


def laptop_address(host: str, port: int = 2049) -> str:
    """This machine's address on the route to ``host``: what the cluster sees, so what its whitelist needs.

    A UDP "connect" only picks the route and source address; nothing is sent.
    """
    family = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][0]
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        probe.connect((host, port))
        return str(probe.getsockname()[0])


def whitelist_entry(host: str) -> str:
    """The NFS whitelist entry for this laptop alone, as Prism takes it ("10.0.0.5/255.255.255.255")."""
    address = laptop_address(host)
    return f"{address}/{'255.255.255.255' if ':' not in address else '128'}"


def _parts(path: str) -> list[str]:
    parts = [p for p in path.replace("\\", "/").split("/") if p and p != "."]
    if any(p == ".." for p in parts):
        raise ConfigurationError(f"The path {path!r} leaves the container ('..' is not allowed).")
    return parts


class _AbsentOk(contextlib.AbstractContextManager[None]):
    """Swallows "no such file" (the caller then answers for a missing file), but lets a stale handle through:
    that is a cached folder handle gone bad, for ``_retrying_stale`` to look up again, not an absent file."""

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        return isinstance(exc, NfsNotFoundError) and not isinstance(exc, NfsStaleHandleError)


_absent_ok = _AbsentOk()


class NfsContainer:
    """A storage container's NFS export, with the few file operations a migration needs; thread-safe."""

    def __init__(self, host: str, export: str = "/container1", *, nfs_port: int = 0, mount_port: int = 0,
                 portmap_port: int = 111, uid: int = 0, gid: int = 0, timeout: float = 60.0,
                 retry_window: float = 120.0, reserved_port: bool | None = None,
                 max_uncommitted: int = DEFAULT_MAX_UNCOMMITTED, connections: int = 2) -> None:
        self.host = host
        self.export = "/" + export.strip("/")
        self.max_uncommitted = max_uncommitted
        auth = AuthSys(uid=uid, gid=gid)
        mount_port = mount_port or portmap_getport(host, MOUNT_PROGRAM, MOUNT_VERSION, port=portmap_port,
                                                   service="MOUNT")
        nfs_port = nfs_port or portmap_getport(host, NFS_PROGRAM, NFS_VERSION, port=portmap_port, service="NFS")
        self.nfs_port, self.mount_port = nfs_port, mount_port
        self._mount = MountClient(host, mount_port, auth=auth, timeout=min(timeout, 30.0),
                                  reserved_port=reserved_port)
        self._rpc: RpcPool | None = None
        try:
            self.root = self._mount.mnt(self.export)
            self._rpc = RpcPool([RpcClient(host, nfs_port, NFS_PROGRAM, NFS_VERSION, auth=auth, service="NFS",
                                           timeout=timeout, connect_timeout=min(timeout, 30.0),
                                           retry_window=retry_window, reserved_port=reserved_port)
                                 for _ in range(max(1, connections))])
            self._rpc.connect()  # every connection now, so that each may be re-established later
            self.nfs = Nfs3Client(self._rpc)
            self.info: FsInfo = self.nfs.fsinfo(self.root)  # proves the NFS service takes us, not only MOUNT
        except BaseException:
            self._close_quietly(umount=False)
            raise
        self.wsize = min(self.info.wtmax or _MAX_IO, _MAX_IO)
        self.rsize = min(self.info.rtmax or _MAX_IO, _MAX_IO)
        self._lock = threading.Lock()
        self._dirs: dict[tuple[str, ...], bytes] = {(): self.root}
        self._mounted = True

    # -- paths ---------------------------------------------------------------------------------------

    def ndfs_path(self, path: str) -> str:
        return "/".join([self.export, *_parts(path)])

    def _dir(self, parts: list[str], *, create: bool) -> bytes:
        key = tuple(parts)
        with self._lock:
            cached = self._dirs.get(key)
        if cached is not None:
            return cached
        parent = self._dir(parts[:-1], create=create)
        target = self.ndfs_path("/".join(parts))
        try:
            fh, _ = self.nfs.lookup(parent, parts[-1], target)
        except NfsNotFoundError:
            if not create:
                raise
            try:
                fh = self.nfs.mkdir(parent, parts[-1], target)
            except NfsExistsError:  # made by another stream meanwhile, or our MKDIR was resent
                fh, _ = self.nfs.lookup(parent, parts[-1], target)
        with self._lock:
            self._dirs[key] = fh
        return fh

    def _retrying_stale(self, action: str, path: str, fn: Callable[[], _T]) -> _T:
        # A cached folder handle goes stale when the folder is removed and made again behind us: forget the
        # cache and walk the path once more.
        try:
            return fn()
        except NfsStaleHandleError:
            log.info("stale handle during %s of %s; looking the path up again", action, path)
            with self._lock:
                self._dirs = {(): self.root}
            return fn()

    # -- operations ----------------------------------------------------------------------------------

    def mkdir(self, path: str) -> None:
        """Make the folder and its parents (like ``mkdir -p``)."""
        self._retrying_stale("mkdir", path, lambda: self._dir(_parts(path), create=True))

    def exists(self, path: str) -> bool:
        parts = _parts(path)
        if not parts:
            return True

        def look() -> bool:
            with _absent_ok:
                self.nfs.lookup(self._dir(parts[:-1], create=False), parts[-1], self.ndfs_path(path))
                return True
            return False

        return self._retrying_stale("exists", path, look)

    def remove(self, path: str) -> None:
        """Remove one file; a file that is not there is not an error."""
        parts = _parts(path)
        if not parts:
            raise ConfigurationError("Refusing to remove the container's root.")

        def rm() -> None:
            with _absent_ok:
                self.nfs.remove(self._dir(parts[:-1], create=False), parts[-1], self.ndfs_path(path))

        self._retrying_stale("remove", path, rm)

    def remove_tree(self, folder: str, *, cancel: Cancellation | None = None) -> None:
        """Remove a folder and everything in it (a migration's scratch folder); absent is not an error.

        ``cancel`` is checked between entries; a cancelled removal raises ``CancelledError`` and leaves the
        rest in place (running it again finishes the job)."""
        parts = _parts(folder)
        if not parts:
            raise ConfigurationError("Refusing to remove the whole container; name the migration's folder.")

        def find() -> tuple[bytes, bytes, Fattr | None] | None:
            with _absent_ok:
                parent = self._dir(parts[:-1], create=False)
                return (parent, *self.nfs.lookup(parent, parts[-1], self.ndfs_path(folder)))
            return None

        found = self._retrying_stale("remove", folder, find)
        if found is None:
            return
        parent, fh, attr = found
        if attr is not None and not attr.is_dir:
            self.remove(folder)
            return
        self._empty(fh, parts, cancel)
        with contextlib.suppress(NfsNotFoundError):
            self.nfs.rmdir(parent, parts[-1], self.ndfs_path(folder))
        with self._lock:
            self._dirs = {k: v for k, v in self._dirs.items() if k[:len(parts)] != tuple(parts)}

    def _empty(self, dir_fh: bytes, parts: list[str], cancel: Cancellation | None) -> None:
        for entry in self.nfs.list_dir(dir_fh, self.ndfs_path("/".join(parts))):
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Removing {self.ndfs_path('/'.join(parts))} was cancelled; some files "
                                     "remain.", hint="Run the cleanup again to remove the rest.")
            self._remove_entry(dir_fh, parts, entry, cancel)

    def _remove_entry(self, dir_fh: bytes, parts: list[str], entry: DirEntry, cancel: Cancellation | None) -> None:
        target = self.ndfs_path("/".join([*parts, entry.name]))
        try:
            if entry.attr is None or entry.handle is None:  # plain READDIR: ask
                handle, attr = self.nfs.lookup(dir_fh, entry.name, target)
                if attr is None:
                    attr = self.nfs.getattr(handle, target)
            else:
                handle, attr = entry.handle, entry.attr
            if attr.is_dir:
                self._empty(handle, [*parts, entry.name], cancel)
                self.nfs.rmdir(dir_fh, entry.name, target)
            else:
                self.nfs.remove(dir_fh, entry.name, target)
        except NfsNotFoundError:
            pass  # removed by someone else meanwhile

    def open_disk(self, relative_path: str, capacity: int, *, fresh: bool = True) -> NfsDiskWriter:
        """The raw file for one disk, sized to ``capacity`` (sparse: nothing is written until the copy).

        ``fresh`` empties a file left by an earlier attempt; ``fresh=False`` keeps its bytes (resuming a copy,
        or applying a delta on top of the seed).
        """
        parts = _parts(relative_path)
        if not parts:
            raise ConfigurationError("A disk needs a file name inside the container.")
        if capacity < 0:
            raise ConfigurationError(f"A disk cannot have a negative capacity ({capacity}).")
        target = self.ndfs_path(relative_path)

        def open_file() -> bytes:
            parent = self._dir(parts[:-1], create=True)
            if fresh:
                try:
                    return self.nfs.create(parent, parts[-1], target, truncate=True)
                except NfsStaleHandleError:
                    # The name still points at a file removed behind the server's cache; fresh means its
                    # bytes are not wanted, so drop the name and make the file anew.
                    with contextlib.suppress(NfsNotFoundError):
                        self.nfs.remove(parent, parts[-1], target)
                    return self.nfs.create(parent, parts[-1], target, truncate=True)
            with _absent_ok:
                fh, _ = self.nfs.lookup(parent, parts[-1], target)
                return fh
            return self.nfs.create(parent, parts[-1], target)

        handle: bytes = self._retrying_stale("open", relative_path, open_file)
        # The mode again: a file left by an earlier attempt (or an older version, 0644) is closed to others too.
        self.nfs.set_size(handle, capacity, target, mode=PRIVATE_FILE)
        return NfsDiskWriter(self.nfs, handle, "/".join(parts), target, capacity, wsize=self.wsize,
                             rsize=self.rsize, max_uncommitted=self.max_uncommitted,
                             remove=lambda: self.remove(relative_path))

    def free_bytes(self) -> int:
        """What this client may still write into the container (FSSTAT ``abytes``)."""
        return self.nfs.fsstat(self.root).avail_bytes

    def exports(self) -> list[ExportEntry]:
        return self._mount.exports()

    @property
    def local_ports(self) -> tuple[int, int]:
        """The source ports of the MOUNT and NFS connections (below 1024 when a reserved port was bound)."""
        return self._mount.local_port, (self._rpc.local_port if self._rpc is not None else 0)

    # -- lifetime ------------------------------------------------------------------------------------

    def _close_quietly(self, *, umount: bool) -> None:
        if umount:
            with contextlib.suppress(NfsError):
                self._mount.umnt(self.export)
        self._mount.close()
        if self._rpc is not None:
            self._rpc.close()

    def close(self) -> None:
        """UMNT (a courtesy: NFSv3 keeps no state that needs it) and close both connections."""
        if getattr(self, "_mounted", False):
            self._mounted = False
            self._close_quietly(umount=True)

    def __enter__(self) -> NfsContainer:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
