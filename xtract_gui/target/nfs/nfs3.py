"""NFSv3 procedures (RFC 1813) over an ``RpcClient``: the ones a disk writer and its cleanup need.

File handles are opaque ``bytes``.  Every method takes ``target``, the path as the user knows it, only to
word errors; failures are raised as the errors in ``errors.py``.

NFS3ERR_JUKEBOX ("the server initiated the request, but was not able to complete it in a timely fashion") is
answered here, for every procedure, as RFC 1813 §2.6 asks: wait, then send the request again with a new
transaction id; Linux does the same for every NFSv3 call (fs/nfs/nfs3proc.c, ``nfs3_rpc_wrapper``, which
waits NFS_JUKEBOX_RETRY_TIME, 5 s).  Only a server still busy after ``jukebox_window`` seconds is an error
(``NfsServerBusyError``, transient).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .errors import NfsError, nfs3_error
from .rpc import RpcClient, RpcPool, _Pending
from .xdr import Packer, Unpacker

NFS_PROGRAM, NFS_VERSION = 100003, 3
NFS3_FHSIZE = 64
(NULL, GETATTR, SETATTR, LOOKUP, READ, WRITE, CREATE, MKDIR, REMOVE, RMDIR, READDIR, READDIRPLUS, FSSTAT,
 FSINFO, COMMIT) = (0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 16, 17, 18, 19, 21)
UNSTABLE, DATA_SYNC, FILE_SYNC = 0, 1, 2
UNCHECKED, GUARDED = 0, 1
NF3REG, NF3DIR = 1, 2
NFS3ERR_NOTSUPP = 10004
NFS3ERR_JUKEBOX = 10008
# Staging files hold whole customer disks and every client on the cluster's NFS whitelist could read them:
# they are the owner's (uid 0) only, as are the folders they are in.
PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
JUKEBOX_WINDOW = 300.0  # how long a call the server keeps answering JUKEBOX is sent again
_JUKEBOX_FIRST_WAIT, _JUKEBOX_MAX_WAIT = 0.2, 5.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Fattr:
    type: int
    mode: int
    uid: int
    gid: int
    size: int
    used: int
    fileid: int
    mtime: tuple[int, int]

    @property
    def is_dir(self) -> bool:
        return self.type == NF3DIR


@dataclass(frozen=True)
class DirEntry:
    name: str
    fileid: int
    attr: Fattr | None
    handle: bytes | None


@dataclass(frozen=True)
class FsInfo:
    rtmax: int
    rtpref: int
    wtmax: int
    wtpref: int
    dtpref: int
    maxfilesize: int


@dataclass(frozen=True)
class FsStat:
    total_bytes: int
    free_bytes: int
    avail_bytes: int  # what this user may still write


@dataclass(frozen=True)
class WriteResult:
    count: int
    committed: int
    verifier: bytes


def _fattr(u: Unpacker) -> Fattr:
    ftype, mode, _nlink, uid, gid = u.uint(), u.uint(), u.uint(), u.uint(), u.uint()
    size, used = u.hyper(), u.hyper()
    u.skip(8 + 8)  # rdev, fsid
    fileid = u.hyper()
    u.skip(8)  # atime
    mtime = (u.uint(), u.uint())
    u.skip(8)  # ctime
    return Fattr(ftype, mode, uid, gid, size, used, fileid, mtime)


def _post_op_attr(u: Unpacker) -> Fattr | None:
    return _fattr(u) if u.bool() else None


def _wcc_data(u: Unpacker) -> Fattr | None:
    if u.bool():
        u.skip(24)  # pre-op size, mtime, ctime
    return _post_op_attr(u)


def _post_op_fh(u: Unpacker) -> bytes | None:
    return u.opaque(NFS3_FHSIZE) if u.bool() else None


def _sattr(*, mode: int | None = None, size: int | None = None) -> Packer:
    p = Packer()
    p.bool(mode is not None)
    if mode is not None:
        p.uint(mode)
    p.bool(False).bool(False)  # uid, gid: the server's choice (the credentials')
    p.bool(size is not None)
    if size is not None:
        p.hyper(size)
    return p.uint(0).uint(0)  # atime, mtime: DONT_CHANGE


def _diropargs(dir_fh: bytes, name: str) -> Packer:
    return Packer().opaque(dir_fh).string(name)


class Nfs3Client:
    """The NFSv3 program on one connection; thread-safe (the ``RpcClient`` is)."""

    def __init__(self, rpc: RpcClient | RpcPool, *, jukebox_window: float = JUKEBOX_WINDOW) -> None:
        self.rpc = rpc
        self.jukebox_window = jukebox_window
        self.jukebox_retries = 0  # for logs and tests: calls sent again after a JUKEBOX answer

    def _call(self, proc: int, args: Packer | None = None) -> Unpacker:
        return self._reply(self.rpc.call_async(proc, args))

    def _reply(self, pending: _Pending) -> Unpacker:
        """The reply to ``pending``, its status left unread; a JUKEBOX answer is waited out and the call sent
        again (a new XID: ``call_async`` numbers each send) until the server answers or the window is over."""
        deadline = 0.0
        wait = _JUKEBOX_FIRST_WAIT
        while True:
            u = self.rpc.wait(pending)
            if u.peek_uint() != NFS3ERR_JUKEBOX:
                return u
            now = time.monotonic()
            deadline = deadline or now + self.jukebox_window
            if now + wait > deadline:
                return u  # the caller turns it into NfsServerBusyError
            self.jukebox_retries += 1
            log.info("NFS server busy (NFS3ERR_JUKEBOX) on procedure %d; sending it again in %.1f s", pending.proc,
                     wait)
            time.sleep(wait)
            wait = min(wait * 2, _JUKEBOX_MAX_WAIT)
            pending = self.rpc.call_async(pending.proc, pending.args)

    def _status(self, u: Unpacker, op: str, target: str) -> None:
        status = u.uint()
        if status != 0:
            raise nfs3_error(status, op, target)

    def null(self) -> None:
        self.rpc.call(NULL)

    def getattr(self, fh: bytes, target: str) -> Fattr:
        u = self._call(GETATTR, Packer().opaque(fh))
        self._status(u, "GETATTR", target)
        return _fattr(u)

    def set_size(self, fh: bytes, size: int, target: str, *, mode: int | None = None) -> None:
        """SETATTR size (and ``mode``): a raw disk file sized to the disk without writing it (sparse)."""
        u = self._call(SETATTR, Packer().opaque(fh).extend(_sattr(mode=mode, size=size)).bool(False))
        self._status(u, "SETATTR", target)

    def lookup(self, dir_fh: bytes, name: str, target: str) -> tuple[bytes, Fattr | None]:
        u = self._call(LOOKUP, _diropargs(dir_fh, name))
        self._status(u, "LOOKUP", target)
        fh = u.opaque(NFS3_FHSIZE)
        return fh, _post_op_attr(u)

    def _created(self, u: Unpacker, op: str, dir_fh: bytes, name: str, target: str) -> bytes:
        self._status(u, op, target)
        fh = _post_op_fh(u)
        if fh is None:  # servers may leave the handle out; a LOOKUP finds it
            fh, _ = self.lookup(dir_fh, name, target)
        return fh

    def create(self, dir_fh: bytes, name: str, target: str, *, guarded: bool = False, mode: int = PRIVATE_FILE,
               truncate: bool = False) -> bytes:
        """CREATE: GUARDED fails when the name exists; UNCHECKED opens it (and empties it with ``truncate``)."""
        args = _diropargs(dir_fh, name).uint(GUARDED if guarded else UNCHECKED)
        args.extend(_sattr(mode=mode, size=0 if truncate else None))
        return self._created(self._call(CREATE, args), "CREATE", dir_fh, name, target)

    def mkdir(self, dir_fh: bytes, name: str, target: str, *, mode: int = PRIVATE_DIR) -> bytes:
        args = _diropargs(dir_fh, name).extend(_sattr(mode=mode))
        return self._created(self._call(MKDIR, args), "MKDIR", dir_fh, name, target)

    def remove(self, dir_fh: bytes, name: str, target: str) -> None:
        self._status(self._call(REMOVE, _diropargs(dir_fh, name)), "REMOVE", target)

    def rmdir(self, dir_fh: bytes, name: str, target: str) -> None:
        self._status(self._call(RMDIR, _diropargs(dir_fh, name)), "RMDIR", target)

    def read_async(self, fh: bytes, offset: int, count: int) -> _Pending:
        return self.rpc.call_async(READ, Packer().opaque(fh).hyper(offset).uint(count))

    def read_result(self, pending: _Pending, target: str) -> tuple[bytes, bool]:
        u = self._reply(pending)
        status = u.uint()
        _post_op_attr(u)
        if status != 0:
            raise nfs3_error(status, "READ", target)
        u.uint()  # count, repeated by the opaque's length
        eof = u.bool()
        return u.opaque(), eof

    def read(self, fh: bytes, offset: int, count: int, target: str) -> tuple[bytes, bool]:
        return self.read_result(self.read_async(fh, offset, count), target)

    def write_async(self, fh: bytes, offset: int, data: bytes | memoryview, stable: int = UNSTABLE) -> _Pending:
        return self.rpc.call_async(WRITE, Packer().opaque(fh).hyper(offset).uint(len(data)).uint(stable)
                                   .opaque(data))

    def write_result(self, pending: _Pending, target: str) -> WriteResult:
        u = self._reply(pending)
        status = u.uint()
        _wcc_data(u)
        if status != 0:
            raise nfs3_error(status, "WRITE", target)
        return WriteResult(u.uint(), u.uint(), u.fopaque(8))

    def commit(self, fh: bytes, target: str, offset: int = 0, count: int = 0) -> bytes:
        """COMMIT (count 0: to the end of the file); returns the write verifier to compare with WRITE's."""
        u = self._call(COMMIT, Packer().opaque(fh).hyper(offset).uint(count))
        status = u.uint()
        _wcc_data(u)
        if status != 0:
            raise nfs3_error(status, "COMMIT", target)
        return u.fopaque(8)

    def fsinfo(self, root_fh: bytes) -> FsInfo:
        u = self._call(FSINFO, Packer().opaque(root_fh))
        status = u.uint()
        _post_op_attr(u)
        if status != 0:
            raise nfs3_error(status, "FSINFO", "the export")
        rtmax, rtpref, _rtmult, wtmax, wtpref, _wtmult, dtpref = (u.uint() for _ in range(7))
        return FsInfo(rtmax, rtpref, wtmax, wtpref, dtpref, u.hyper())

    def fsstat(self, root_fh: bytes) -> FsStat:
        u = self._call(FSSTAT, Packer().opaque(root_fh))
        status = u.uint()
        _post_op_attr(u)
        if status != 0:
            raise nfs3_error(status, "FSSTAT", "the export")
        return FsStat(u.hyper(), u.hyper(), u.hyper())

    def list_dir(self, dir_fh: bytes, target: str) -> list[DirEntry]:
        """Every entry but "." and "..": READDIRPLUS (handles and types at once), READDIR where unsupported."""
        try:
            return self._readdir(dir_fh, target, plus=True)
        except NfsError as exc:
            if exc.status != NFS3ERR_NOTSUPP:
                raise
            return self._readdir(dir_fh, target, plus=False)

    def _readdir(self, dir_fh: bytes, target: str, *, plus: bool) -> list[DirEntry]:
        entries: list[DirEntry] = []
        cookie, verifier = 0, b"\0" * 8
        while True:
            args = Packer().opaque(dir_fh).hyper(cookie).fopaque(verifier)
            args = args.uint(8192).uint(65536) if plus else args.uint(32768)
            u = self._call(READDIRPLUS if plus else READDIR, args)
            status = u.uint()
            _post_op_attr(u)
            if status != 0:
                raise nfs3_error(status, "READDIRPLUS" if plus else "READDIR", target)
            verifier = u.fopaque(8)
            while u.bool():
                fileid, name, cookie = u.hyper(), u.string(), u.hyper()
                attr, handle = (_post_op_attr(u), _post_op_fh(u)) if plus else (None, None)
                if name not in (".", ".."):
                    entries.append(DirEntry(name, fileid, attr, handle))
            if u.bool():  # eof
                return entries
