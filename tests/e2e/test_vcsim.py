"""The whole journey with govmomi's vCenter simulator as the source, through the real vSphere adapter
(pyVmomi, CBT through the simulator's extension, disk reads over the datastore HTTP endpoint)."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from xtract_gui.domain.plan import TransferMode
from xtract_gui.engine.console import Printer
from xtract_gui.lab.runner import run_demo
from xtract_gui.wiring import build_manager

pytestmark = [pytest.mark.e2e, pytest.mark.vcsim, pytest.mark.prism, pytest.mark.guest]


def test_demo_journey_with_vcsim_as_the_source(tmp_path: Path) -> None:
    out = io.StringIO()
    code = asyncio.run(asyncio.wait_for(run_demo(tmp_path, vms=2, mode=TransferMode.WARM, sink=Printer(False),
                                                 build_manager=build_manager, sync_seconds=0.5, out=out,
                                                 source="vcsim"), 240))
    assert code == 0, out.getvalue()
    assert "every VM cut over and verified" in out.getvalue()
    assert out.getvalue().count("disks byte-exact") == 2
