"""HTTPS datastore reads through ``ssl.MemoryBIO`` (``source/tlsread.py``) against a real TLS server on 127.0.0.1:
pinning exactly as before, more than one TLS record per call, and servers that close without close_notify."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.range_server import RangeServer
from xtract_gui.domain.errors import CertificateMismatchError
from xtract_gui.source import tlsread
from xtract_gui.source.reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader

DISK = os.urandom(6 * 1024 * 1024)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RangeServer]:
    s = RangeServer(DISK, tls_dir=tmp_path)
    yield s
    s.close()


def _reader(url: str, fingerprint: str) -> VSphereDiskReader:
    files = DatastoreFiles(url, "DC0", "ds1", "vm1",
                           lambda u: Access({"vmware_soap_session": "secret-cookie"}, fingerprint))
    return VSphereDiskReader(files, [FlatExtent("vm1-flat.vmdk", 0, len(DISK))], len(DISK), name="vm1.vmdk")


def test_a_pinned_read_decrypts_many_records_per_socket_read(server: RangeServer,
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


def test_a_certificate_other_than_the_pinned_one_is_refused_before_any_request(server: RangeServer) -> None:
    wrong = ":".join(f"{b:02X}" for b in hashlib.sha256(b"another certificate").digest())
    reader = _reader(server.url, wrong)
    try:
        with pytest.raises(CertificateMismatchError):
            reader.read(0, 4096)
    finally:
        reader.close()
    assert server.cookies == []  # no request went out: the session cookie never left


def test_a_server_that_drops_idle_connections_without_close_notify_costs_a_reconnect(tmp_path: Path) -> None:
    server = RangeServer(DISK, tls_dir=tmp_path, close_after_each=True)
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
