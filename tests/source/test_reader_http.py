"""The datastore reader's HTTP behaviour against a plain local server: keep-alive, odd servers, faults.

The simulator serves well-formed answers only; these servers answer the way a proxy, a restarting
hostd or a server that ignores ``Range`` does, so the reader's reaction to each is checked for real.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import CertificateMismatchError, NotFoundError, TransientError
from xtract_gui.source.reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader

DISK = os.urandom(1 << 20)


class _Server:
    """A Range server on 127.0.0.1 whose answer to each GET ``behave`` may replace."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[dict[str, str]] = []
        self.behave: Callable[[BaseHTTPRequestHandler, int], bool] = lambda handler, n: False
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
                if outer.behave(self, len(outer.requests)):
                    return
                spec = self.headers.get("Range", "").removeprefix("bytes=")
                a, _, b = spec.partition("-")
                start, end = int(a or 0), int(b) if b else len(DISK) - 1
                body = DISK[start:end + 1]
                self.send_response(206 if spec else 200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.stop()


def _files(base_url: str, *, fingerprint: str = "", retries: int = 2) -> DatastoreFiles:
    return DatastoreFiles(base_url, "dc1", "ds1", "vm1", lambda url: Access({"vmware_soap_session": "s1"},
                                                                            fingerprint), retries=retries)


def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, length: int | None = None) -> bool:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body) if length is None else length))
    handler.end_headers()
    handler.wfile.write(body)
    if length is not None and length != len(body):
        handler.close_connection = True
    return True


def test_one_keep_alive_connection_carries_every_read_of_a_thread(server: _Server) -> None:
    reader = VSphereDiskReader(_files(server.base_url), [FlatExtent("disk-flat.vmdk", 0, len(DISK))], len(DISK))
    try:
        for off in range(0, len(DISK), 100_000):
            data = reader.read(off, 100_000)
            assert data == DISK[off:off + 100_000]
    finally:
        reader.close()
    assert isinstance(data, bytearray)  # filled from the socket, not copied into bytes
    assert server.connections == 1 and len(server.requests) == 11
    assert server.requests[0]["Cookie"] == "vmware_soap_session=s1"
    assert server.requests[0]["Range"] == "bytes=0-99999"


def test_a_server_that_ignores_range_still_gives_the_first_bytes(server: _Server) -> None:
    server.behave = lambda h, n: _answer(h, 200, DISK)
    files = _files(server.base_url)
    assert files.get("disk-flat.vmdk", 0, 5000) == DISK[:5000]
    # The rest of that whole-file body is not read: the connection is dropped, and the next read opens one.
    server.behave = lambda h, n: False
    assert files.get("disk-flat.vmdk", 7, 3) == DISK[7:10]
    assert server.connections == 2
    files.close()


def test_server_errors_and_short_bodies_are_retried(server: _Server) -> None:
    answers = {1: (503, b"busy", None), 2: (206, DISK[:10], 100)}  # then a normal answer
    server.behave = lambda h, n: _answer(h, *answers[n]) if n in answers else False
    files = _files(server.base_url, retries=3)
    assert files.get("disk-flat.vmdk", 0, 100) == DISK[:100]
    assert len(server.requests) == 3
    files.close()


def test_a_range_answer_of_the_wrong_size_is_never_taken(server: _Server) -> None:
    server.behave = lambda h, n: _answer(h, 206, DISK[:99])
    files = _files(server.base_url)
    with pytest.raises(TransientError, match="kept failing"):
        files.get("disk-flat.vmdk", 0, 100)
    files.close()


def test_missing_file_is_not_found(server: _Server) -> None:
    server.behave = lambda h, n: _answer(h, 404, b"no such file")
    files = _files(server.base_url)
    with pytest.raises(NotFoundError):
        files.get("gone-flat.vmdk", 0, 10)
    assert len(server.requests) == 1
    files.close()


@pytest.mark.vcsim
def test_a_server_with_another_certificate_is_refused(vcsim: VcsimProcess) -> None:
    if not vcsim.base_url.startswith("https"):
        pytest.skip("the simulator runs without TLS")
    files = _files(vcsim.base_url, fingerprint=":".join(["AB"] * 32))
    with pytest.raises(CertificateMismatchError):
        files.get("disk-flat.vmdk", 0, 10)
    files.close()
    # The right pin passes the handshake (the simulator then answers 404 for this made-up path).
    good = _files(vcsim.base_url, fingerprint=vcsim.fingerprint)
    with pytest.raises(NotFoundError):
        good.get("disk-flat.vmdk", 0, 10)
    good.close()
