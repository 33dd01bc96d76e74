"""Several requests in flight on one connection, and the writer shared by the copy engine's threads."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.engine.ports import DiskWriter
from xtract_gui.target.nfs import NfsContainer

from .conftest import MiB, connect

pytestmark = pytest.mark.nfs


def test_replies_are_matched_to_their_calls_by_xid(ganesha: GaneshaProcess, folder: str) -> None:
    local = ganesha.export_dir / folder
    local.mkdir()
    content = os.urandom(4 * MiB)
    (local / "src.raw").write_bytes(content)
    with connect(ganesha, connections=1) as container:
        _read_all_at_once(container, folder, content)


def _read_all_at_once(container: NfsContainer, folder: str, content: bytes) -> None:
    nfs = container.nfs
    dir_fh, _ = nfs.lookup(container.root, folder, folder)
    fh, _ = nfs.lookup(dir_fh, "src.raw", folder)
    port_before = container.local_ports[1]
    # 128 READs of different sizes at different offsets, all sent before the first reply is read: replies
    # arrive in the server's order, and each must land with its own call.
    calls = [(off, 1000 + i * 37) for i, off in enumerate(range(0, 4 * MiB, 32 * 1024))]
    pendings = [(off, n, nfs.read_async(fh, off, n)) for off, n in calls]
    for off, n, pending in reversed(pendings):
        data, _ = nfs.read_result(pending, folder)
        assert data == content[off:off + n]
    assert container.local_ports[1] == port_before and nfs.rpc.reconnects == 0  # one connection throughout


def test_threads_share_one_writer_with_bounded_uncommitted_memory(ganesha: GaneshaProcess, folder: str) -> None:
    chunk, threads, limit = 256 * 1024, 8, 2 * MiB
    source = os.urandom(32 * MiB)
    peak = 0
    lock = threading.Lock()
    with connect(ganesha, max_uncommitted=limit) as c:
        w = c.open_disk(f"{folder}/d.raw", len(source))
        assert isinstance(w, DiskWriter) and not w.sequential

        def one(off: int) -> None:
            nonlocal peak
            w.write(off, source[off:off + chunk])
            with lock:
                peak = max(peak, w.uncommitted_bytes)

        # Interleaved order, as parallel streams produce it.
        offsets = [off for k in range(threads) for off in range(k * chunk, len(source), threads * chunk)]
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(one, offsets))
        w.flush()
        assert w.uncommitted_bytes == 0
        assert w.commits >= len(source) // limit // 2  # it committed on its own along the way
        assert peak <= limit + threads * chunk
        assert w.read_back(0, len(source)) == source
        assert w.finish() == f"/container1/{folder}/d.raw"
    assert (ganesha.export_dir / folder / "d.raw").read_bytes() == source
