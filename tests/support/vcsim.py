"""pytest fixtures for govmomi's vCenter simulator (the peer itself lives in xtract_gui/lab/vcsim)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.lab.vcsim import VcsimProcess, build_vcsim, start_vcsim

__all__ = ["VcsimProcess", "start_vcsim"]


@pytest.fixture(scope="session")
def vcsim_binary() -> Path:
    return build_vcsim()


@pytest.fixture
def vcsim_factory(vcsim_binary: Path, tmp_path: Path) -> Iterator[Any]:
    """Start simulators with options (see start_vcsim); all are stopped after the test."""
    started: list[VcsimProcess] = []

    def start(**opts: Any) -> VcsimProcess:
        opts.setdefault("log_dir", tmp_path)
        if not os.environ.get("XTRACT_VCSIM_GUEST_ROOT"):
            # Under tmp_path, so even a simulator that dies by SIGKILL leaves nothing in /tmp.
            opts.setdefault("guest_root", tmp_path / f"vcsim-guest-{len(started)}")
        sim = start_vcsim(**opts)
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()


@pytest.fixture
def vcsim(vcsim_factory: Any) -> VcsimProcess:
    """A fresh https simulator with 4 VMs (CBT off, as vSphere's default)."""
    sim: VcsimProcess = vcsim_factory()
    return sim
