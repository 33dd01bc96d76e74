"""Copy workers (issue 17): the byte path in child processes, driven by the engine's ``WorkerPool``.

Each test starts real worker processes (spawn), so what crosses the pipe is really pickled and a worker's
death is a real process's death.  No assertion is on time: waits are bounded by generous deadlines only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import alive
from tests.support.range_server import RangeServer
from xtract_gui.domain.errors import CancelledError, TransientError
from xtract_gui.domain.extents import Extent
from xtract_gui.engine.ports import WorkerDisk
from xtract_gui.transfer import content_digest_of
from xtract_gui.transfer.cursor import MemoryCursorStore
from xtract_gui.transfer.local import FileReaderSpec, LocalWriterSpec
from xtract_gui.transfer.progress import CopyProgress
from xtract_gui.transfer.throttle import TokenBucket
from xtract_gui.transfer.workers import WorkerPool

from .worker_specs import Qcow2FileSpec, ServiceReaderSpec, SlowReaderSpec

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


def _disk(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def _wait(condition: Any, seconds: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def pool() -> Any:
    p = WorkerPool(2, threads=4, throttle=TokenBucket(None), cancel_grace=20)
    yield p
    p.close()


def test_a_copy_runs_in_a_worker_process_byte_for_byte_and_the_engine_records_its_cursor(tmp_path: Path,
                                                                                         pool: WorkerPool) -> None:
    data = _disk(tmp_path / "src", 24 * MiB)
    cursor, seen = MemoryCursorStore(), []
    result = pool.copy(WorkerDisk(FileReaderSpec(str(tmp_path / "src"), len(data))),
                       WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True, finish_as="/ctr/dst")),
                       [Extent(0, len(data))], name="web disk 2000", cursor=cursor, progress=seen.append,
                       chunk_size=MiB, checkpoint_bytes=4 * MiB)
    assert (tmp_path / "dst").read_bytes() == data
    assert result.target == "/ctr/dst" and result.verified_bytes == len(data)
    assert result.worker_pid not in (0, os.getpid()) and pool.started == 1
    # The worker sent each checkpoint's cursor; this process recorded it.
    assert cursor.saves >= 2 and cursor.load() == [Extent(0, len(data))]
    assert seen and isinstance(seen[-1], CopyProgress) and seen[-1].done_bytes == len(data)


def test_a_resumed_copy_in_a_worker_skips_what_the_cursor_says_is_done(tmp_path: Path, pool: WorkerPool) -> None:
    data = _disk(tmp_path / "src", 8 * MiB)
    (tmp_path / "dst").write_bytes(data[:4 * MiB] + bytes(4 * MiB))
    cursor = MemoryCursorStore([Extent(0, 4 * MiB)])
    result = pool.copy(WorkerDisk(FileReaderSpec(str(tmp_path / "src"), len(data))),
                       WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), False)),
                       [Extent(0, len(data))], name="d", cursor=cursor, chunk_size=MiB)
    assert result.resumed_bytes == 4 * MiB and result.copied_bytes == 4 * MiB
    assert (tmp_path / "dst").read_bytes() == data


def test_a_streamed_image_is_made_in_the_worker_and_holds_the_source(tmp_path: Path, pool: WorkerPool) -> None:
    data = _disk(tmp_path / "src", 8 * MiB)
    extents = ((0, 2 * MiB), (5 * MiB, 3 * MiB))
    result = pool.copy(WorkerDisk(FileReaderSpec(str(tmp_path / "src"), len(data))),
                       WorkerDisk(Qcow2FileSpec(str(tmp_path / "img.qcow2"), len(data), extents)),
                       [Extent(o, n) for o, n in extents], name="d", chunk_size=MiB)
    expected = bytearray(len(data))
    for o, n in extents:
        expected[o:o + n] = data[o:o + n]
    assert result.target == str(tmp_path / "img.qcow2")
    assert result.content_digest == content_digest_of(len(data), [(0, bytes(expected))])
    raw = tmp_path / "img.raw"
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(tmp_path / "img.qcow2"), str(raw)],
                   check=True)
    assert raw.read_bytes() == bytes(expected)


def test_a_worker_asks_the_engine_for_what_it_needs(tmp_path: Path, pool: WorkerPool) -> None:
    """Credentials and other answers come over the pipe from services that stay in this process."""
    data = _disk(tmp_path / "src", 2 * MiB)
    asked: list[str] = []

    def where() -> str:
        asked.append(threading.current_thread().name)
        return str(tmp_path / "src")

    pool.copy(WorkerDisk(ServiceReaderSpec(len(data)), {"where": where}),
              WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True)), [Extent(0, len(data))], name="d")
    assert asked and (tmp_path / "dst").read_bytes() == data


def test_a_worker_that_dies_fails_its_copy_with_a_transient_error_and_the_next_copy_gets_a_new_one(
        tmp_path: Path, pool: WorkerPool) -> None:
    data = _disk(tmp_path / "src", 16 * MiB)
    reader = SlowReaderSpec(str(tmp_path / "src"), len(data), die_after=6, marker=str(tmp_path / "died"),
                            once_saved=str(tmp_path / "saved"))
    cursor = MemoryCursorStore()
    save = cursor.save
    cursor.save = lambda done: (save(done), (tmp_path / "saved").touch())  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="ended unexpectedly"):
        pool.copy(WorkerDisk(reader), WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True)),
                  [Extent(0, len(data))], name="d", cursor=cursor, chunk_size=MiB, streams=1,
                  checkpoint_bytes=2 * MiB)
    assert (tmp_path / "died").exists()
    # What the dead worker had checkpointed stays recorded; a new worker resumes from it.
    done_before = cursor.load()
    result = pool.copy(WorkerDisk(reader), WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), False)),
                       [Extent(0, len(data))], name="d", cursor=cursor, chunk_size=MiB)
    assert (tmp_path / "dst").read_bytes() == data
    assert result.resumed_bytes == sum(e.length for e in done_before) > 0
    assert pool.started == 2


def test_cancel_stops_the_copy_in_its_worker_which_then_serves_the_next_copy(tmp_path: Path) -> None:
    pool = WorkerPool(1, threads=2, throttle=TokenBucket(None))
    try:
        data = _disk(tmp_path / "src", 8 * MiB)
        cancel, seen = threading.Event(), []
        box: dict[str, BaseException] = {}

        def run() -> None:
            try:
                pool.copy(WorkerDisk(SlowReaderSpec(str(tmp_path / "src"), len(data), delay=0.3)),
                          WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True)),
                          [Extent(0, len(data))], name="d", chunk_size=256 * 1024, progress=seen.append,
                          cancel=cancel, progress_interval=0.05)
            except BaseException as err:
                box["err"] = err

        copier = threading.Thread(target=run)
        copier.start()
        _wait(lambda: any(p.done_bytes for p in seen), what="the copy to make progress")
        cancel.set()
        copier.join(timeout=60)
        assert isinstance(box.get("err"), CancelledError)
        worker = pool.processes()[0]
        pool.copy(WorkerDisk(FileReaderSpec(str(tmp_path / "src"), len(data))),
                  WorkerDisk(LocalWriterSpec(str(tmp_path / "dst2"), len(data), True)), [Extent(0, len(data))],
                  name="d2")
        assert pool.processes() == [worker] and pool.started == 1
        assert (tmp_path / "dst2").read_bytes() == data
    finally:
        pool.close()


def test_every_worker_takes_its_bandwidth_from_the_engines_one_bucket(tmp_path: Path) -> None:
    data = _disk(tmp_path / "src", 8 * MiB)
    bucket = TokenBucket(64 * MiB)  # generous: the point is who grants, not the pace
    pool = WorkerPool(2, threads=2, throttle=bucket)
    try:
        first_started = threading.Event()
        results: list[Any] = []

        def copy(n: int) -> None:
            results.append(pool.copy(
                WorkerDisk(SlowReaderSpec(str(tmp_path / "src"), len(data), delay=0.05)),
                WorkerDisk(LocalWriterSpec(str(tmp_path / f"dst{n}"), len(data), True)), [Extent(0, len(data))],
                name=f"d{n}", chunk_size=MiB, progress=lambda p: first_started.set()))

        threads = [threading.Thread(target=copy, args=(n,)) for n in range(2)]
        threads[0].start()
        _wait(lambda: pool.processes(), what="the first worker")
        threads[1].start()  # the first one is busy: the pool starts a second worker
        for t in threads:
            t.join(timeout=120)
        assert pool.started == 2 and len({r.worker_pid for r in results}) == 2
        # Every chunk of both workers was granted by this process's bucket.
        assert bucket.granted_bytes == 2 * len(data)
        bucket.set_rate(None)  # lifted: the workers stop asking
        pool.copy(WorkerDisk(FileReaderSpec(str(tmp_path / "src"), len(data))),
                  WorkerDisk(LocalWriterSpec(str(tmp_path / "dst3"), len(data), True)), [Extent(0, len(data))],
                  name="d3", chunk_size=MiB)
        assert bucket.granted_bytes == 2 * len(data)
        for n in (0, 1, 3):
            assert (tmp_path / f"dst{n}").read_bytes() == data
    finally:
        pool.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and the parent-death signal are Linux's")
@pytest.mark.parametrize("tie", ["parent-death signal", "pipe end only"])
def test_an_app_killed_with_sigkill_leaves_no_worker_running(tmp_path: Path, tie: str) -> None:
    _disk(tmp_path / "src", 4 * MiB)
    args = [sys.executable, "-m", "tests.transfer.worker_parent", str(tmp_path / "src"), str(tmp_path / "dst")]
    app = subprocess.Popen(args + (["--eof-only"] if tie == "pipe end only" else []), cwd=ROOT,
                           stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        line = app.stdout.readline()
        assert line.startswith("WORKER "), line
        worker = int(line.split()[1])
        assert alive(worker)
        app.send_signal(signal.SIGKILL)
        app.wait(timeout=30)
        _wait(lambda: not alive(worker), 60, "the worker to end after its app")
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(timeout=30)
        if app.stdout is not None:
            app.stdout.close()


def _vsphere_reader(url: str, size: int, access: Any, renew: Any = None) -> Any:
    from xtract_gui.source.reader import DatastoreFiles, FlatExtent, VSphereDiskReader

    files = DatastoreFiles(url, "DC0", "ds1", "vm1", access, renew=renew)
    return VSphereDiskReader(files, [FlatExtent("vm1-flat.vmdk", 0, size)], size, name="vm1.vmdk")


def test_a_worker_reading_from_esxi_asks_the_engine_for_a_ticket_per_request(tmp_path: Path,
                                                                            pool: WorkerPool) -> None:
    from xtract_gui.source.reader import Access

    data = os.urandom(6 * MiB)
    issued: list[str] = []

    def ticket(url: str) -> Access:  # AcquireGenericServiceTicket, in the engine's process
        issued.append(f"t{len(issued)}")
        return Access({"vmware_cgi_ticket": issued[-1]}, single_use=True)

    server = RangeServer(data, accept=lambda cookie, seen: seen.count(cookie) == 1)  # a ticket serves once
    try:
        reader = _vsphere_reader(server.url, len(data), ticket)
        pool.copy(reader.worker_spec(), WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True)),
                  [Extent(0, len(data))], name="vm1 disk 2000", chunk_size=MiB, verify=False)
        reader.close()
    finally:
        server.close()
    assert (tmp_path / "dst").read_bytes() == data
    assert len(server.cookies) == 6 and len(set(server.cookies)) == 6  # one fresh ticket per range request
    assert {c.removeprefix("vmware_cgi_ticket=") for c in server.cookies} <= set(issued)


def test_a_worker_whose_session_cookie_expired_has_the_engine_log_in_again(tmp_path: Path, pool: WorkerPool) -> None:
    from xtract_gui.source.reader import Access

    data = os.urandom(3 * MiB)
    session = {"cookie": "expired", "renewals": 0}

    def renew() -> None:  # the engine's SOAP session logs in again
        session["cookie"], session["renewals"] = "fresh", session["renewals"] + 1

    server = RangeServer(data, accept=lambda cookie, seen: cookie == "vmware_soap_session=fresh")
    try:
        reader = _vsphere_reader(server.url, len(data),
                                 lambda url: Access({"vmware_soap_session": session["cookie"]}), renew)
        pool.copy(reader.worker_spec(), WorkerDisk(LocalWriterSpec(str(tmp_path / "dst"), len(data), True)),
                  [Extent(0, len(data))], name="vm1 disk 2000", chunk_size=MiB, streams=1, verify=False)
        reader.close()
    finally:
        server.close()
    assert (tmp_path / "dst").read_bytes() == data
    assert session["renewals"] >= 1 and server.cookies[-1] == "vmware_soap_session=fresh"
