"""Fixtures for the vSphere source adapter tests: a simulator and an adapter logged in to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.extents import Extent, normalize
from xtract_gui.source import VSphereSource, connect_vsphere

BLOCK = 64 * 1024


def connect(sim: VcsimProcess, **kwargs: object) -> VSphereSource:
    opts: dict[str, object] = {"port": sim.port, "protocol": sim.protocol, "expected_fingerprint": sim.fingerprint,
                               "host_access": None, "keepalive": 0, "timeout": 10}
    opts.update(kwargs)
    return connect_vsphere(sim.host, sim.user, sim.password, **opts)  # type: ignore[arg-type]


@pytest.fixture
def source(vcsim: VcsimProcess) -> Iterator[VSphereSource]:
    src = connect(vcsim)
    yield src
    src.close()


def nonzero_blocks(path: Path, capacity: int) -> list[Extent]:
    """What CBT's "*" must report: every 64 KiB block of the flat file holding a non-zero byte."""
    data = path.read_bytes()[:capacity]
    found = [Extent(i, min(BLOCK, capacity - i)) for i in range(0, capacity, BLOCK) if any(data[i:i + BLOCK])]
    return normalize(found)


def blocks_of(writes: list[tuple[int, int]], capacity: int) -> list[Extent]:
    """The 64 KiB blocks touched by (offset, length) writes."""
    found = []
    for off, n in writes:
        first, last = off // BLOCK, (off + n - 1) // BLOCK
        found.append(Extent(first * BLOCK, (last - first + 1) * BLOCK))
    return normalize(found, capacity=capacity)


def write_at(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
