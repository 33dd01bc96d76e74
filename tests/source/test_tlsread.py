"""HTTPS datastore reads through ``ssl.MemoryBIO`` (``source/tlsread.py``) against a real TLS server on 127.0.0.1:
pinning exactly as before, more than one TLS record per call, and servers that close without close_notify."""

from __future__ import annotations

import hashlib
import os
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.domain.errors import CertificateMismatchError
from xtract_gui.lab.guest.server import self_signed
from xtract_gui.source import tlsread
from xtract_gui.source.reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader

DISK = os.urandom(6 * 1024 * 1024)


class _TlsServer:
    def __init__(self, workdir: Path, *, close_after_each: bool = False) -> None:
        cert, key, self.fingerprint = self_signed("127.0.0.1", workdir)
        self.requests: list[dict[str, str]] = []
        self.connections = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                outer.connections += 1

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.requests.append(dict(self.headers.items()))
                a, _, b = self.headers["Range"].removeprefix("bytes=").partition("-")
                body = DISK[int(a):int(b) + 1]
                self.send_response(206)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()  # keep-alive as far as the client can tell
                self.wfile.write(body)
                # An idle keep-alive connection the server drops without a TLS close_notify (ragged EOF).
                self.close_connection = close_after_each

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[_TlsServer]:
    s = _TlsServer(tmp_path)
    yield s
    s.close()


def _reader(url: str, fingerprint: str) -> VSphereDiskReader:
    files = DatastoreFiles(url, "DC0", "ds1", "vm1",
                           lambda u: Access({"vmware_soap_session": "secret-cookie"}, fingerprint))
    return VSphereDiskReader(files, [FlatExtent("vm1-flat.vmdk", 0, len(DISK))], len(DISK), name="vm1.vmdk")


def test_a_pinned_read_decrypts_many_records_per_socket_read(server: _TlsServer,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[int] = []
    recv_into = tlsread.BioTlsSocket.recv_into

    def counting(self: tlsread.BioTlsSocket, buffer: Any, nbytes: int = 0) -> int:
        n = recv_into(self, buffer, nbytes)
        got.append(n)
        return n

    monkeypatch.setattr(tlsread.BioTlsSocket, "recv_into", counting)
    reader = _reader(server.url, server.fingerprint)
    try:
        buf = bytearray(4 * 1024 * 1024)
        reader.read_into(1000, memoryview(buf))
    finally:
        reader.close()
    assert bytes(buf) == DISK[1000:1000 + len(buf)]
    # One call hands over what several 16 KiB records held: the cost is per buffer, not per record.
    assert max(got) > 16 * 1024, got[:20]


def test_a_certificate_other_than_the_pinned_one_is_refused_before_any_request(server: _TlsServer) -> None:
    wrong = ":".join(f"{b:02X}" for b in hashlib.sha256(b"another certificate").digest())
    reader = _reader(server.url, wrong)
    try:
        with pytest.raises(CertificateMismatchError):
            reader.read(0, 4096)
    finally:
        reader.close()
    assert server.requests == []  # the session cookie never left


def test_a_server_that_drops_idle_connections_without_close_notify_costs_a_reconnect(tmp_path: Path) -> None:
    server = _TlsServer(tmp_path, close_after_each=True)
    try:
        reader = _reader(server.url, server.fingerprint)
        try:
            data = [bytes(reader.read(off, 70000)) for off in (0, 100000, 2000000)]
        finally:
            reader.close()
    finally:
        server.close()
    assert data == [DISK[0:70000], DISK[100000:170000], DISK[2000000:2070000]]
    assert server.connections >= 3
