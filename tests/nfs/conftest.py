"""Fixtures and helpers for the NFS write path's tests (the ganesha peer itself is in tests/support/ganesha.py)."""

from __future__ import annotations

import os
import random
import subprocess
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.ganesha import GaneshaProcess
from xtract_gui.domain.extents import Extent, normalize, split
from xtract_gui.target.nfs import NfsContainer, NfsDiskWriter

MiB = 1024 * 1024


def connect(g: GaneshaProcess, **kwargs: object) -> NfsContainer:
    return NfsContainer(g.host, g.export, nfs_port=g.nfs_port, mount_port=g.mount_port, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def container(ganesha: GaneshaProcess) -> Iterator[NfsContainer]:
    with connect(ganesha) as c:
        yield c


@pytest.fixture
def folder() -> str:
    """A folder name of the test's own inside the shared export."""
    return f"t-{uuid.uuid4().hex[:10]}"


def random_extents(rng: random.Random, capacity: int, count: int, size: int, align: int = MiB) -> list[Extent]:
    slots = rng.sample(range(capacity // align - size // align), count)
    return normalize(Extent(s * align, size) for s in slots)


def make_source(path: Path, capacity: int, extents: list[Extent], seed: int) -> None:
    """A sparse local file of ``capacity`` bytes with random data in ``extents`` (the source disk)."""
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(capacity)
        for e in extents:
            f.seek(e.offset)
            f.write(rng.randbytes(e.length))


def copy_extents(source: Path, writer: NfsDiskWriter, extents: list[Extent], *, chunk: int = 4 * MiB,
                 threads: int = 4) -> int:
    """What the copy engine does: read the extents from the source and write them through the writer."""
    fd = os.open(source, os.O_RDONLY)
    try:
        def one(piece: Extent) -> int:
            writer.write(piece.offset, os.pread(fd, piece.length, piece.offset))
            return piece.length

        with ThreadPoolExecutor(threads) as pool:
            return sum(pool.map(one, split(extents, chunk)))
    finally:
        os.close(fd)


def assert_same_image(a: Path, b: Path) -> None:
    """qemu-img compares the two raw images byte for byte (it skips holes on both sides quickly)."""
    out = subprocess.run(["qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", str(a), str(b)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"images differ: {out.stdout}{out.stderr}"
