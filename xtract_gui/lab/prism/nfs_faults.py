"""The cluster's NFS service under fault injection: a TCP proxy in front of a real NFS server (ganesha in the
tests) that answers chosen calls itself with NFS3ERR_JUKEBOX.

A busy server (Nutanix's Stargate while a vdisk is hydrated or moved, an HSM recalling a file) answers
NFS3ERR_JUKEBOX: "the server initiated the request, but was not able to complete it in a timely fashion"
(RFC 1813 §2.6); ganesha gives no way to make it do so on demand.  The proxy forwards every RPC record as it is
and, for the next ``count`` calls of a procedure, sends back an accepted reply whose status is JUKEBOX and
whose failure body is that procedure's (RFC 1813 §3.3: ``post_op_attr`` / ``wcc_data``, no attributes).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field

NFS3ERR_JUKEBOX = 10008
_LAST = 0x80000000
# How many "attributes follow = FALSE" words each procedure's failure body has: post_op_attr is one,
# wcc_data (pre_op_attr + post_op_attr) two (RFC 1813 §3.3.x, the resfail arms).
_FAIL_WORDS = {1: 0, 2: 2, 3: 1, 6: 1, 7: 2, 8: 2, 9: 2, 12: 2, 13: 2, 16: 1, 17: 1, 18: 1, 19: 1, 21: 2}


def _read_record(sock: socket.socket) -> bytes | None:
    parts = []
    while True:
        head = _exactly(sock, 4)
        if head is None:
            return None
        (mark,) = struct.unpack(">I", head)
        body = _exactly(sock, mark & ~_LAST)
        if body is None:
            return None
        parts.append(body)
        if mark & _LAST:
            return b"".join(parts)


def _exactly(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _framed(record: bytes) -> bytes:
    return struct.pack(">I", len(record) | _LAST) + record


@dataclass
class JukeboxProxy:
    upstream: tuple[str, int]
    host: str = "127.0.0.1"
    port: int = 0
    answered: list[tuple[int, int]] = field(default_factory=list)  # (procedure, xid) answered JUKEBOX
    forwarded: list[tuple[int, int]] = field(default_factory=list)  # (procedure, xid) passed to the server
    _rules: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sockets: list[socket.socket] = field(default_factory=list)
    _listener: socket.socket | None = None

    def start(self) -> JukeboxProxy:
        self._listener = socket.create_server((self.host, self.port))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="jukebox-accept").start()
        return self

    def jukebox(self, proc: int, count: int = 1) -> None:
        """The next ``count`` calls of procedure ``proc`` get NFS3ERR_JUKEBOX instead of reaching the server."""
        with self._lock:
            self._rules[proc] = self._rules.get(proc, 0) + count

    def stop(self) -> None:
        with self._lock:
            sockets = [s for s in (self._listener, *self._sockets) if s is not None]
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> JukeboxProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self._sockets += [client, server]
            send_lock = threading.Lock()  # the client's socket is written by both directions
            threading.Thread(target=self._calls, args=(client, server, send_lock), daemon=True).start()
            threading.Thread(target=self._replies, args=(server, client, send_lock), daemon=True).start()

    def _take_rule(self, proc: int) -> bool:
        with self._lock:
            if self._rules.get(proc, 0) > 0:
                self._rules[proc] -= 1
                return True
            return False

    def _calls(self, client: socket.socket, server: socket.socket, send_lock: threading.Lock) -> None:
        while (record := _read_record(client)) is not None:
            xid, _call, _rpcvers, _prog, _vers, proc = struct.unpack_from(">6I", record)
            if self._take_rule(proc):
                self.answered.append((proc, xid))
                # xid, REPLY, MSG_ACCEPTED, verifier AUTH_NONE (flavor, empty body), SUCCESS, then the results.
                reply = struct.pack(">6I", xid, 1, 0, 0, 0, 0) + struct.pack(">I", NFS3ERR_JUKEBOX)
                reply += b"\0\0\0\0" * _FAIL_WORDS.get(proc, 0)
                with send_lock:
                    client.sendall(_framed(reply))
                continue
            self.forwarded.append((proc, xid))
            try:
                server.sendall(_framed(record))
            except OSError:
                break
        for s in (client, server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def _replies(self, server: socket.socket, client: socket.socket, send_lock: threading.Lock) -> None:
        while (record := _read_record(server)) is not None:
            try:
                with send_lock:
                    client.sendall(_framed(record))
            except OSError:
                break
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_RDWR)
