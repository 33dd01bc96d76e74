"""NfsDiskWriter against ganesha: a sparse multi-GiB seed, a delta on top, a server restart between WRITE
and COMMIT, abort."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.domain.extents import Extent, normalize, total_bytes
from xtract_gui.target.nfs import NfsContainer

from .conftest import MiB, assert_same_image, connect, copy_extents, make_source, random_extents

pytestmark = pytest.mark.nfs
GiB = 1024 * MiB


def test_sparse_4gib_disk_seeded_then_delta_byte_exact(container: NfsContainer, ganesha: GaneshaProcess,
                                                       folder: str, tmp_path: Path) -> None:
    capacity = 4 * GiB
    rng = random.Random(7)
    seed_extents = random_extents(rng, capacity, 50, 2 * MiB)
    seed_extents.append(Extent(capacity - 3 * MiB - 512, 3 * MiB + 512))  # up to the very last byte
    seed_extents = normalize(seed_extents)
    source = tmp_path / "source.raw"
    make_source(source, capacity, seed_extents, seed=1)
    assert 100 * MiB <= total_bytes(seed_extents) <= 110 * MiB

    rel = f"{folder}/vm-disk2000.raw"
    w = container.open_disk(rel, capacity)
    assert copy_extents(source, w, seed_extents) == total_bytes(seed_extents)
    w.flush()
    assert w.finish() == f"/container1/{rel}"
    target = ganesha.export_dir / rel
    st = target.stat()
    assert st.st_size == capacity
    assert st.st_blocks * 512 < 2 * total_bytes(seed_extents)  # holes stayed holes
    assert_same_image(source, target)

    # A sync: some blocks change, some of them in places that were holes.
    delta = normalize([*random_extents(rng, capacity, 10, 64 * 1024, align=64 * 1024),
                       Extent(seed_extents[3].offset + 4096, 8192)])
    with open(source, "r+b") as f:
        for e in delta:
            f.seek(e.offset)
            f.write(rng.randbytes(e.length))
    w2 = container.open_disk(rel, capacity, fresh=False)
    copy_extents(source, w2, delta, chunk=64 * 1024)
    w2.flush()
    w2.finish()
    assert_same_image(source, target)
    e = delta[0]
    with open(source, "rb") as f:
        f.seek(e.offset)
        assert w2.read_back(e.offset, e.length) == f.read(e.length)


def test_server_restart_between_write_and_commit_is_detected_and_healed(ganesha_private: GaneshaProcess,
                                                                       folder: str, tmp_path: Path) -> None:
    g = ganesha_private
    capacity = 64 * MiB
    extents = [Extent(MiB, 3 * MiB), Extent(10 * MiB + 4096, 200_000), Extent(40 * MiB, 2 * MiB)]
    source = tmp_path / "source.raw"
    make_source(source, capacity, extents, seed=3)
    with connect(g, retry_window=30.0) as c:
        rel = f"{folder}/d.raw"
        w = c.open_disk(rel, capacity)
        copy_extents(source, w, extents, chunk=MiB)
        # A later write over an earlier one (a sync over the seed): the replay must keep the later bytes.
        newer = os.urandom(64 * 1024)
        with open(source, "r+b") as f:
            f.seek(extents[0].offset + 4096)
            f.write(newer)
        w.write(extents[0].offset + 4096, newer)
        written = total_bytes(extents) + len(newer)
        assert w.uncommitted_bytes == written  # ganesha took them UNSTABLE

        # A restarting server loses what it had not made durable: make the loss real on its disk, then
        # restart it (a new boot, so a new write verifier).
        target = g.export_dir / rel
        with open(target, "r+b") as f:
            for e in extents:
                f.seek(e.offset)
                f.write(bytes(e.length))
        g.restart()

        w.flush()  # reconnects, COMMIT answers with another verifier: everything is written again
        assert w.verifier_changes == 1
        assert w.rewritten_bytes == written
        assert w.uncommitted_bytes == 0
        assert c.nfs.rpc.reconnects >= 1
        w.finish()
    assert_same_image(source, target)


def test_commit_without_restart_rewrites_nothing(container: NfsContainer, folder: str) -> None:
    w = container.open_disk(f"{folder}/d.raw", 8 * MiB)
    w.write(0, os.urandom(2 * MiB))
    w.flush()
    w.flush()  # nothing left: harmless
    assert (w.verifier_changes, w.rewritten_bytes) == (0, 0)


def test_abort_removes_the_file_and_finish_is_refused_after(container: NfsContainer, ganesha: GaneshaProcess,
                                                            folder: str) -> None:
    from xtract_gui.domain.errors import IntegrityError, XtractError
    rel = f"{folder}/d.raw"
    w = container.open_disk(rel, 8 * MiB)
    w.write(MiB, b"x" * 4096)
    with pytest.raises(IntegrityError):
        w.write(8 * MiB - 10, b"y" * 11)  # one byte past the end of the disk
    assert (ganesha.export_dir / rel).exists()
    w.abort()
    assert not (ganesha.export_dir / rel).exists()
    w.abort()  # twice is harmless
    with pytest.raises(XtractError):
        w.finish()
    with pytest.raises(XtractError):
        w.write(0, b"z")


def test_open_disk_fresh_empties_and_resume_keeps(container: NfsContainer, ganesha: GaneshaProcess,
                                                  folder: str) -> None:
    rel = f"{folder}/d.raw"
    w = container.open_disk(rel, 4 * MiB)
    w.write(0, b"seeded")
    w.finish()
    kept = container.open_disk(rel, 4 * MiB, fresh=False)
    assert kept.read_back(0, 6) == b"seeded"
    grown = container.open_disk(rel, 6 * MiB, fresh=False)  # the source disk was extended
    assert (ganesha.export_dir / rel).stat().st_size == 6 * MiB and grown.read_back(0, 6) == b"seeded"
    fresh = container.open_disk(rel, 4 * MiB)
    assert fresh.read_back(0, 6) == bytes(6)


def test_replay_batches_never_hold_two_overlapping_writes() -> None:
    from xtract_gui.target.nfs.writer import _batches, _Unstable
    data = memoryview(bytes(100))
    entries = [(k, _Unstable(off, data[:n], b"v" * 8)) for k, (off, n) in
               enumerate([(0, 10), (10, 10), (5, 10), (20, 10), (100, 5), (0, 100)])]
    batches = _batches(entries)
    assert [[k for k, _ in b] for b in batches] == [[0, 1], [2, 3, 4], [5]]
    assert [k for b in batches for k, _ in b] == list(range(6))  # first-written order kept


def test_bytes_like_writes_are_kept_without_a_copy_and_land_exactly(container: NfsContainer,
                                                                   ganesha: GaneshaProcess, folder: str) -> None:
    """The datastore reader hands over bytearrays: written as they are, kept until COMMIT, byte-exact."""
    capacity = 8 * MiB
    rel = f"{folder}/bytes-like.raw"
    w = container.open_disk(rel, capacity)
    chunk = bytearray(random.Random(11).randbytes(3 * MiB + 5))
    w.write(MiB, chunk)
    w.write(5 * MiB, memoryview(chunk)[:MiB])
    assert w.uncommitted_bytes == 4 * MiB + 5  # held by reference until the COMMIT makes them durable
    w.flush()
    assert w.uncommitted_bytes == 0
    w.finish()
    data = (ganesha.export_dir / rel).read_bytes()
    assert data[MiB:4 * MiB + 5] == chunk and data[5 * MiB:6 * MiB] == chunk[:MiB]
    assert data[:MiB] == bytes(MiB) and data[6 * MiB:] == bytes(2 * MiB)
