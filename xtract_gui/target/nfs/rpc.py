"""ONC RPC v2 (RFC 5531) over TCP with record marking and AUTH_SYS.

One ``RpcClient`` is one program/version at one address over one TCP connection.  Several calls may be in
flight at once: callers send under a lock and a reader thread matches replies to calls by XID.  When the
connection drops (server restart, reset) every call in flight is resent on a new connection, for up to
``retry_window`` seconds; NFSv3 procedures are safe to resend, and the callers treat the few that are not
idempotent (CREATE GUARDED, MKDIR, REMOVE) accordingly.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import random
import socket
import struct
import sys
import threading
import time
from dataclasses import dataclass, field

from .errors import WHITELIST_HINT, NfsAccessDeniedError, NfsError, NfsProtocolError, NfsUnreachableError
from .xdr import Packer, Unpacker, XdrError

log = logging.getLogger(__name__)

AUTH_NONE, AUTH_SYS = 0, 1
_LAST_FRAGMENT = 0x80000000
_MAX_RECORD = 64 * 1024 * 1024  # a reply larger than this is garbage, not data
_AUTH_STAT = {1: "AUTH_BADCRED", 2: "AUTH_REJECTEDCRED", 3: "AUTH_BADVERF", 4: "AUTH_REJECTEDVERF",
              5: "AUTH_TOOWEAK", 6: "AUTH_INVALIDRESP", 7: "AUTH_FAILED"}
_ACCEPT_STAT = {1: "PROG_UNAVAIL", 2: "PROG_MISMATCH", 3: "PROC_UNAVAIL", 4: "GARBAGE_ARGS", 5: "SYSTEM_ERR"}


@dataclass(frozen=True)
class AuthSys:
    """AUTH_SYS credentials; NFS servers for hypervisors expect root (uid/gid 0)."""

    uid: int = 0
    gid: int = 0
    gids: tuple[int, ...] = ()
    machine_name: str = field(default_factory=lambda: socket.gethostname()[:255] or "xtract")

    def encode(self) -> bytes:
        body = Packer().uint(int(time.time())).string(self.machine_name).uint(self.uid).uint(self.gid)
        body.uint_array(self.gids[:16])
        return Packer().uint(AUTH_SYS).opaque(body.bytes()).bytes()


_AUTH_NONE = Packer().uint(AUTH_NONE).uint(0).bytes()


class _ConnectionLost(Exception):
    pass


def _may_bind_reserved() -> bool:
    # Windows lets anyone bind ports below 1024; on POSIX only root (or CAP_NET_BIND_SERVICE) can.
    return sys.platform == "win32" or (hasattr(os, "geteuid") and os.geteuid() == 0)


def _open_socket(host: str, port: int, *, reserved: bool, timeout: float) -> socket.socket:
    """A connected TCP socket, from a port below 1024 when ``reserved`` and allowed (servers often demand it)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    last: OSError | None = None
    for family, kind, proto, _, address in infos:
        candidates: list[int] = random.sample(range(600, 1024), 40) if reserved else [0]
        for local_port in candidates:
            sock = socket.socket(family, kind, proto)
            try:
                if local_port:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    try:
                        sock.bind(("", local_port))
                    except OSError as exc:
                        sock.close()
                        if exc.errno in (errno.EACCES, errno.EPERM):
                            # Not allowed after all: an unprivileged port it is; the server may refuse it.
                            return _open_socket(host, port, reserved=False, timeout=timeout)
                        continue
                sock.settimeout(timeout)
                sock.connect(address)
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
                if exc.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL) and local_port:
                    continue  # that (local, remote) pair is still in TIME_WAIT
                break
    if reserved and (last is None or last.errno in (errno.EADDRINUSE, errno.EADDRNOTAVAIL)):
        return _open_socket(host, port, reserved=False, timeout=timeout)  # every reserved port tried was busy
    raise last or OSError(errno.EHOSTUNREACH, "no address")


def _recv_exact(sock: socket.socket, n: int) -> bytearray:
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if k == 0:
            raise _ConnectionLost("connection closed by the server")
        got += k
    return buf


class _Pending:
    __slots__ = ("args", "done", "error", "owner", "proc", "reply", "xid")

    def __init__(self, proc: int, args: Packer | None, owner: RpcClient) -> None:
        self.owner = owner
        self.proc = proc
        self.args = args
        self.xid = 0
        self.done = threading.Event()
        self.reply: bytearray | None = None
        self.error: BaseException | None = None


class _Connection:
    """One TCP connection: sends under a lock, a reader thread completes pending calls by XID."""

    def __init__(self, sock: socket.socket, label: str) -> None:
        self.sock = sock
        self.local_port = int(sock.getsockname()[1])
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self.dead: BaseException | None = None
        self._reader = threading.Thread(target=self._read_loop, name=f"rpc-reader-{label}", daemon=True)
        self._reader.start()

    def send(self, pending: _Pending, record: list[bytes | memoryview]) -> None:
        with self._lock:
            if self.dead is not None:
                raise _ConnectionLost(str(self.dead))
            self._pending[pending.xid] = pending
        try:
            with self._send_lock:
                for part in record:
                    self.sock.sendall(part)
        except OSError as exc:
            self.kill(_ConnectionLost(f"send failed: {exc}"))

    def _read_loop(self) -> None:
        try:
            while True:
                fragments: list[bytearray] = []
                size = 0
                while True:
                    (mark,) = struct.unpack(">I", _recv_exact(self.sock, 4))
                    n = mark & ~_LAST_FRAGMENT
                    size += n
                    if size > _MAX_RECORD:
                        raise _ConnectionLost(f"reply record of {size} bytes is not RPC")
                    fragments.append(_recv_exact(self.sock, n))
                    if mark & _LAST_FRAGMENT:
                        break
                record = fragments[0] if len(fragments) == 1 else bytearray().join(fragments)
                if len(record) < 4:
                    continue
                (xid,) = struct.unpack_from(">I", record)
                with self._lock:
                    pending = self._pending.pop(xid, None)
                if pending is not None:
                    pending.reply = record
                    pending.done.set()
        except (OSError, _ConnectionLost) as exc:
            self.kill(exc if isinstance(exc, _ConnectionLost) else _ConnectionLost(str(exc)))

    def kill(self, reason: BaseException) -> None:
        with self._lock:
            if self.dead is None:
                self.dead = reason
            pending, self._pending = self._pending, {}
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self.sock.close()
        for p in pending.values():
            p.error = _ConnectionLost(str(reason))
            p.done.set()


class RpcClient:
    """Calls to one RPC program/version at ``host:port``; thread-safe, several calls in flight."""

    def __init__(self, host: str, port: int, program: int, version: int, *, auth: AuthSys | None = None,
                 service: str = "RPC", timeout: float = 60.0, connect_timeout: float = 10.0,
                 retry_window: float = 120.0, reserved_port: bool | None = None) -> None:
        self.host, self.port, self.program, self.version = host, port, program, version
        self.service = service
        self.timeout, self.connect_timeout, self.retry_window = timeout, connect_timeout, retry_window
        self._cred = auth.encode() if auth is not None else _AUTH_NONE
        self._reserved = _may_bind_reserved() if reserved_port is None else reserved_port
        self._xids = itertools.count(random.getrandbits(31))
        self._lock = threading.Lock()
        self._conn: _Connection | None = None
        self._ever_connected = False
        self._closed = False
        self.reconnects = 0

    @property
    def local_port(self) -> int:
        conn = self._conn
        return conn.local_port if conn is not None else 0

    def _connection(self) -> _Connection:
        with self._lock:
            if self._closed:
                raise NfsError(f"The {self.service} connection to {self.host} is closed.")
            if self._conn is not None and self._conn.dead is None:
                return self._conn
            try:
                sock = _open_socket(self.host, self.port, reserved=self._reserved, timeout=self.connect_timeout)
            except OSError as exc:
                raise _ConnectionLost(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
            if self._ever_connected:
                self.reconnects += 1
                log.info("%s: reconnected to %s:%d", self.service, self.host, self.port)
            self._ever_connected = True
            self._conn = _Connection(sock, f"{self.service}-{self.host}:{self.port}")
            return self._conn

    def connect(self) -> None:
        """Open the connection now (it opens on the first call otherwise); ``NfsUnreachableError`` if it cannot."""
        try:
            self._connection()
        except _ConnectionLost as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, reason: BaseException) -> NfsUnreachableError:
        return NfsUnreachableError(
            f"The {self.service} service at {self.host}:{self.port} cannot be reached.",
            hint="Check that this laptop reaches the cluster's address on TCP 111 and 2049 (firewall, VPN), and "
                 "that the address is a CVM or the cluster's virtual IP.", detail=str(reason))

    def _record(self, pending: _Pending) -> list[bytes | memoryview]:
        header = (Packer().uint(pending.xid).uint(0).uint(2).uint(self.program).uint(self.version)
                  .uint(pending.proc).bytes() + self._cred + _AUTH_NONE)
        args = pending.args.parts if pending.args is not None else []
        size = len(header) + sum(len(p) for p in args)
        # Small parts are joined so that a call is one or two segments, big payloads are sent as they are.
        small = struct.pack(">I", size | _LAST_FRAGMENT) + header
        out: list[bytes | memoryview] = []
        for part in args:
            if len(part) < 65536:
                small += part
            else:
                out.extend((small, part))
                small = b""
        if small:
            out.append(small)
        return out

    def _send(self, pending: _Pending) -> None:
        pending.xid = next(self._xids) & 0xFFFFFFFF
        pending.done.clear()
        pending.reply = pending.error = None
        try:
            self._connection().send(pending, self._record(pending))
        except _ConnectionLost as exc:
            pending.error = exc
            pending.done.set()

    def call_async(self, proc: int, args: Packer | None = None) -> _Pending:
        """Send a call now; ``wait`` for its reply.  Lets a caller keep several calls in flight."""
        pending = _Pending(proc, args, self)
        self._send(pending)
        return pending

    def wait(self, pending: _Pending, *, retry_window: float | None = None) -> Unpacker:
        """The reply's results, after resending on a new connection as long as the retry window allows."""
        deadline = time.monotonic() + (self.retry_window if retry_window is None else retry_window)
        delay = 0.2
        while True:
            if not pending.done.wait(self.timeout):
                conn = self._conn
                if conn is not None:
                    conn.kill(_ConnectionLost(f"no reply within {self.timeout:.0f} s"))
            if pending.reply is not None:
                return self._decode(pending.reply)
            reason = pending.error or _ConnectionLost("no reply")
            if self._closed or not self._ever_connected or time.monotonic() + delay > deadline:
                raise self._unreachable(reason)
            log.warning("%s %s:%d: %s; resending call %d", self.service, self.host, self.port, reason, pending.proc)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
            self._send(pending)

    def call(self, proc: int, args: Packer | None = None, *, retry_window: float | None = None) -> Unpacker:
        return self.wait(self.call_async(proc, args), retry_window=retry_window)

    def _decode(self, record: bytearray) -> Unpacker:
        u = Unpacker(record)
        try:
            u.uint()  # xid, matched already
            if u.uint() != 1:
                raise NfsProtocolError(f"{self.service}: a reply that is not an RPC REPLY")
            if u.uint() == 1:  # MSG_DENIED
                if u.uint() == 0:
                    low, high = u.uint(), u.uint()
                    raise NfsProtocolError(f"{self.host} speaks RPC versions {low}..{high}, not 2.")
                stat = u.uint()
                raise self._auth_error(_AUTH_STAT.get(stat, f"auth status {stat}"))
            u.uint()  # verifier flavor
            u.opaque(400)
            accept = u.uint()
        except XdrError as exc:
            raise NfsProtocolError(f"{self.service}: malformed reply from {self.host}", detail=str(exc)) from exc
        if accept == 0:
            return u
        name = _ACCEPT_STAT.get(accept, f"accept status {accept}")
        if accept in (1, 2, 3):
            raise NfsProtocolError(
                f"{self.host}:{self.port} does not serve {self.service} (program {self.program} version "
                f"{self.version}, procedure): {name}.",
                hint="Point the tool at the cluster's NFS service (a CVM or the cluster virtual IP) or fix the "
                     "explicit NFS/MOUNT port.", detail=name)
        raise NfsError(f"{self.service} call to {self.host} failed: {name}.", detail=name,
                       hint="The server could not process the request; check its log and retry.")

    def _auth_error(self, name: str) -> NfsAccessDeniedError:
        port = self.local_port
        if port >= 1024:
            hint = (f"This laptop connected from port {port}; the server probably requires a privileged source "
                    "port (below 1024). Run the tool as root/Administrator, or allow non-privileged ports on "
                    "the server. " + WHITELIST_HINT)
        else:
            hint = WHITELIST_HINT
        return NfsAccessDeniedError(f"The {self.service} server at {self.host} rejected our credentials ({name}).",
                                    hint=hint, detail=name)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.kill(_ConnectionLost("closed by the client"))


class RpcPool:
    """Several connections to one program, used in turn: the server reads each connection in one thread, so
    a second connection lets it take in a second WRITE while it stores the first (like Linux's nconnect)."""

    def __init__(self, clients: list[RpcClient]) -> None:
        if not clients:
            raise ValueError("an RpcPool needs at least one client")
        self.clients = clients
        self._turn = itertools.count()

    def call_async(self, proc: int, args: Packer | None = None) -> _Pending:
        return self.clients[next(self._turn) % len(self.clients)].call_async(proc, args)

    def wait(self, pending: _Pending, *, retry_window: float | None = None) -> Unpacker:
        return pending.owner.wait(pending, retry_window=retry_window)

    def call(self, proc: int, args: Packer | None = None, *, retry_window: float | None = None) -> Unpacker:
        return self.wait(self.call_async(proc, args), retry_window=retry_window)

    def connect(self) -> None:
        for c in self.clients:
            c.connect()

    @property
    def reconnects(self) -> int:
        return sum(c.reconnects for c in self.clients)

    @property
    def local_port(self) -> int:
        return self.clients[0].local_port

    def close(self) -> None:
        for c in self.clients:
            c.close()
