"""The extent copy engine against local raw files: exactness, deltas, resume, faults, bounds."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from xtract_gui.domain.errors import CancelledError, IntegrityError, TransientError, XtractError
from xtract_gui.domain.extents import Extent, normalize, subtract, total_bytes
from xtract_gui.transfer import (
    CopyProgress,
    CopyScheduler,
    FileDiskReader,
    LocalFileWriter,
    MemoryCursorStore,
    RetryPolicy,
    copy_disk,
)

from .disks import CountingWriter, InstrumentedReader, LyingWriter, MiB, make_disk, random_extents, sha_file

NO_SLEEP = RetryPolicy(sleep=lambda s: None)


def _overlaps(a: Extent, b: Extent) -> bool:
    return a.offset < b.end and b.offset < a.end


@pytest.mark.parametrize("capacity", [13 * MiB + 4567, 8 * MiB, 1 * MiB - 512, 3])
def test_odd_sizes_copy_byte_exact(tmp_path: Path, capacity: int) -> None:
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, capacity, [*random_extents(capacity, 6), Extent(capacity - 3, 3)])
    reader = FileDiskReader(src)
    res = copy_disk(reader, LocalFileWriter(dst, capacity), extents, name="web01 disk 2000",
                    chunk_size=1 * MiB, streams=3)
    assert sha_file(dst) == sha_file(src)
    assert dst.stat().st_size == capacity
    assert res.requested_bytes == total_bytes(extents)
    assert res.requested_bytes <= res.total_bytes == res.copied_bytes <= res.requested_bytes * 1.03
    assert res.verified_bytes == res.total_bytes
    assert res.target == str(dst)


def test_empty_disk(tmp_path: Path) -> None:
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    make_disk(src, 5 * MiB, [])
    reader = InstrumentedReader(src)
    res = copy_disk(reader, LocalFileWriter(dst, 5 * MiB), [])
    assert reader.reads == []
    assert (res.copied_bytes, res.chunks) == (0, 0)
    assert dst.read_bytes() == bytes(5 * MiB)


def test_fully_allocated_disk(tmp_path: Path) -> None:
    cap = 9 * MiB + 512
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    make_disk(src, cap, [Extent(0, cap)])
    res = copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), [Extent(0, cap)], chunk_size=2 * MiB)
    assert sha_file(dst) == sha_file(src)
    assert res.skipped_zero_bytes == 0
    assert res.written_bytes == cap


def test_zero_chunks_skipped_only_where_the_writer_allows(tmp_path: Path) -> None:
    cap = 8 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    make_disk(src, cap, [Extent(0, 2 * MiB), Extent(6 * MiB, 2 * MiB)])
    allocated = [Extent(0, cap)]  # CBT says all of it is allocated, though 2–6 MiB holds zeros
    res = copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), allocated, chunk_size=1 * MiB)
    assert res.skipped_zero_bytes == 4 * MiB
    assert res.written_bytes == 4 * MiB
    assert sha_file(dst) == sha_file(src)

    # An existing target being updated: zeros must overwrite what is there.
    dst.write_bytes(b"\xff" * cap)
    res = copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap, fresh=False), allocated, chunk_size=1 * MiB)
    assert res.skipped_zero_bytes == 0
    assert res.written_bytes == cap
    assert sha_file(dst) == sha_file(src)


def test_delta_on_top_of_an_earlier_copy(tmp_path: Path) -> None:
    cap = 16 * MiB + 1024
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    seeded = make_disk(src, cap, random_extents(cap, 8))
    copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), seeded)
    # The guest writes: new data, overwrites, and zeros over old data (a trim the guest zero-filled).
    changed = normalize([Extent(100, 5000), Extent(3 * MiB, 1 * MiB), Extent(cap - 700, 700)])
    with src.open("r+b") as f:
        f.seek(100)
        f.write(b"\x5a" * 5000)
        f.seek(3 * MiB)
        f.write(bytes(1 * MiB))
        f.seek(cap - 700)
        f.write(b"\xa5" * 700)
    assert sha_file(dst) != sha_file(src)
    reader = InstrumentedReader(src)
    res = copy_disk(reader, LocalFileWriter(dst, cap, fresh=False), changed)
    assert sha_file(dst) == sha_file(src)
    assert reader.bytes_read() == total_bytes(changed) == res.written_bytes


def test_fragmented_delta_is_read_in_fewer_requests(tmp_path: Path) -> None:
    cap = 16 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    make_disk(src, cap, [Extent(0, cap)])
    copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), [Extent(0, cap)])
    # 200 changed 64 KiB blocks, 4 KiB apart (e.g. a database's pages): CBT reports 200 runs.
    changed = [Extent(i * 68 * 1024, 64 * 1024) for i in range(200)]
    with src.open("r+b") as f:
        for e in changed:
            f.seek(e.offset)
            f.write(b"\x77" * e.length)
    plain = InstrumentedReader(src)
    copy_disk(plain, LocalFileWriter(tmp_path / "copy2.raw", cap), changed, merge_gap=0)
    assert len(plain.reads) == 200
    merged = InstrumentedReader(src)
    res = copy_disk(merged, LocalFileWriter(dst, cap, fresh=False), changed, chunk_size=4 * MiB)
    assert sha_file(dst) == sha_file(src)
    assert len(merged.reads) < 200
    assert res.requested_bytes == total_bytes(changed)
    assert merged.bytes_read() == res.total_bytes <= total_bytes(changed) * 1.03


def test_cancel_then_resume_without_recopying(tmp_path: Path) -> None:
    cap = 32 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    cancel = threading.Event()
    first = InstrumentedReader(src, after_read=lambda n: cancel.set() if n == 10 else None)
    cursor = MemoryCursorStore()
    with pytest.raises(CancelledError):
        copy_disk(first, LocalFileWriter(dst, cap), extents, chunk_size=1 * MiB, streams=2, cursor=cursor,
                  cancel=cancel)
    done = cursor.load()
    assert 10 * MiB <= total_bytes(done) < cap
    second = InstrumentedReader(src)
    res = copy_disk(second, LocalFileWriter(dst, cap, fresh=False, skip_zeros=True), extents,
                    chunk_size=1 * MiB, cursor=cursor)
    assert not any(_overlaps(r, d) for r in second.reads for d in done)
    assert second.bytes_read() == cap - total_bytes(done) == res.copied_bytes
    assert res.resumed_bytes == total_bytes(done)
    assert sha_file(dst) == sha_file(src)
    assert cursor.load() == [Extent(0, cap)]


def test_permanent_error_names_disk_and_offset_and_resume_finishes(tmp_path: Path) -> None:
    cap = 24 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    bad = 17 * MiB + 5
    reader = InstrumentedReader(src, fail_at=bad)
    cursor = MemoryCursorStore()
    with pytest.raises(XtractError) as info:
        copy_disk(reader, LocalFileWriter(dst, cap), extents, name="db01 disk 2001", chunk_size=1 * MiB,
                  streams=2, cursor=cursor)
    assert type(info.value) is XtractError
    assert "db01 disk 2001" in str(info.value) and f"offset {17 * MiB}" in str(info.value)
    assert "Check the datastore." in str(info.value)
    done = cursor.load()
    assert total_bytes(done) >= 16 * MiB
    assert all(not _overlaps(d, Extent(17 * MiB, MiB)) for d in done)
    again = InstrumentedReader(src)
    copy_disk(again, LocalFileWriter(dst, cap, fresh=False, skip_zeros=True), extents, chunk_size=1 * MiB,
              cursor=cursor)
    assert again.bytes_read() == total_bytes(subtract(extents, done))
    assert sha_file(dst) == sha_file(src)


def test_corruption_on_read_back_is_an_integrity_error(tmp_path: Path) -> None:
    cap = 8 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    cursor = MemoryCursorStore()
    with pytest.raises(IntegrityError, match="offset 5242880"):
        copy_disk(FileDiskReader(src), LyingWriter(dst, cap, bad_offset=5 * MiB + 77), extents,
                  chunk_size=1 * MiB, cursor=cursor, checkpoint_bytes=2 * MiB)
    # Nothing of the failed checkpoint was recorded as done, so a resume copies the damaged area again.
    assert all(not _overlaps(d, Extent(5 * MiB + 77, 1)) for d in cursor.load())


def test_transient_errors_are_retried(tmp_path: Path) -> None:
    cap = 6 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    reader = InstrumentedReader(src, transient_failures=3)
    seen: list[CopyProgress] = []
    res = copy_disk(reader, LocalFileWriter(dst, cap), extents, chunk_size=1 * MiB, streams=1, retry=NO_SLEEP,
                    progress=seen.append)
    assert res.retries == 3
    assert seen[-1].retries == 3
    assert sha_file(dst) == sha_file(src)


def test_transient_errors_give_up_after_the_policy(tmp_path: Path) -> None:
    cap = 2 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    reader = InstrumentedReader(src, transient_failures=100)
    sleeps: list[float] = []
    policy = RetryPolicy(attempts=4, base_delay=1.0, jitter=0.0, sleep=sleeps.append)
    with pytest.raises(TransientError, match="Copying vm disk"):
        copy_disk(reader, LocalFileWriter(dst, cap), extents, name="vm disk", chunk_size=2 * MiB, retry=policy)
    assert reader.transient_left == 100 - 4
    assert sum(sleeps) == pytest.approx(1.0 + 2.0 + 4.0)


def test_memory_is_bounded_by_in_flight_chunks(tmp_path: Path) -> None:
    cap = 64 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    reader = InstrumentedReader(src)
    res = copy_disk(reader, CountingWriter(dst, cap, reader), extents, chunk_size=256 * 1024, streams=3,
                    max_in_flight=3)
    assert res.chunks == 256
    assert 1 <= reader.peak_alive <= 3
    assert res.peak_chunks_in_flight <= 3
    assert sha_file(dst) == sha_file(src)


def test_progress_reports_bytes_rate_and_eta(tmp_path: Path) -> None:
    cap = 12 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, 10 * MiB)])
    seen: list[CopyProgress] = []
    copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), extents, chunk_size=1 * MiB,
              progress=seen.append, progress_interval=0.0)
    done = [p.done_bytes for p in seen]
    assert done == sorted(done)
    assert seen[-1].done_bytes == seen[-1].total_bytes == 10 * MiB
    assert seen[-1].eta_seconds == 0.0
    assert seen[-1].fraction == 1.0


def test_disks_share_one_scheduler_and_bandwidth_budget(tmp_path: Path) -> None:
    caps = [7 * MiB, 11 * MiB + 512]
    results = []
    with CopyScheduler(threads=2, rate=10**12) as sched:
        threads = []
        for i, cap in enumerate(caps):
            src, dst = tmp_path / f"s{i}.raw", tmp_path / f"d{i}.raw"
            ext = make_disk(src, cap, [Extent(0, cap)], seed=i)

            def run(src: Path = src, dst: Path = dst, cap: int = cap, ext: list[Extent] = ext) -> None:
                results.append(copy_disk(FileDiskReader(src), LocalFileWriter(dst, cap), ext, scheduler=sched,
                                         chunk_size=1 * MiB, streams=2))

            threads.append(threading.Thread(target=run))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sched.throttle.granted_bytes == sum(caps)
    assert len(results) == 2
    for i in range(2):
        assert sha_file(tmp_path / f"d{i}.raw") == sha_file(tmp_path / f"s{i}.raw")


def test_abort_removes_a_fresh_target_only(tmp_path: Path) -> None:
    dst = tmp_path / "d.raw"
    LocalFileWriter(dst, MiB).abort()
    assert not dst.exists()
    dst.write_bytes(b"x" * MiB)
    LocalFileWriter(dst, MiB, fresh=False).abort()
    assert dst.exists()


def test_target_folder_missing_is_an_actionable_error(tmp_path: Path) -> None:
    with pytest.raises(XtractError, match="Cannot create") as info:
        LocalFileWriter(tmp_path / "nope" / "d.raw", MiB)
    assert info.value.hint


class _BufferWatchingReader(FileDiskReader):
    """Notes every distinct buffer the engine hands to ``read_into`` and what was in it before."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.buffers: set[int] = set()
        self.reads = 0
        self._lock = threading.Lock()

    def read_into(self, offset: int, into: memoryview) -> None:
        with self._lock:
            self.buffers.add(id(into.obj))
            self.reads += 1
        into[:] = b"\xa5" * into.nbytes  # stale bytes from this read must never survive into the copy
        super().read_into(offset, into)


def test_chunks_are_read_into_a_bounded_set_of_reused_buffers(tmp_path: Path) -> None:
    cap = 40 * MiB + 333
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, 12 * MiB), Extent(20 * MiB + 1, 9 * MiB), Extent(cap - 5000, 5000)])
    with open(src, "r+b") as f:  # an all-zero chunk between data: skipped, and must not pick up a neighbour's bytes
        f.seek(4 * MiB)
        f.write(bytes(1 * MiB))
    reader = _BufferWatchingReader(src)
    res = copy_disk(reader, LocalFileWriter(dst, cap), extents, chunk_size=1 * MiB, streams=3,
                    checkpoint_bytes=4 * MiB)
    assert sha_file(dst) == sha_file(src)
    assert reader.reads == res.chunks > 20
    assert res.skipped_zero_bytes >= 1 * MiB
    # Workers and the read-back of checkpoints borrow at most one buffer each at a time.
    assert 1 <= len(reader.buffers) <= 2 * 3
    assert res.verified_bytes == res.total_bytes  # skipped zero chunks too: the hole must read back as zeros


def test_a_skipped_zero_chunk_must_read_back_as_zeros(tmp_path: Path) -> None:
    cap = 6 * MiB
    src, dst = tmp_path / "src.raw", tmp_path / "dst.raw"
    extents = make_disk(src, cap, [Extent(0, cap)])
    with open(src, "r+b") as f:
        f.seek(2 * MiB)
        f.write(bytes(1 * MiB))
    dst.write_bytes(b"\x5a" * cap)  # old data where the source now has zeros, and a writer that skips zeros
    writer = LocalFileWriter(dst, cap, fresh=False, skip_zeros=True)
    with pytest.raises(IntegrityError, match=f"offset {2 * MiB}"):
        copy_disk(FileDiskReader(src), writer, extents, chunk_size=1 * MiB, streams=2)
