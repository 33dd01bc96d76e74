"""Whole journeys under fault storms on every peer at once (tests/e2e/storms.py): the CLI, run again after each
clear failure, ends with every VM done, byte-identical disks, one AHV VM per VM, nothing left behind and never a
traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.storms import StormResult, cold_storm, warm_storm
from tests.support.faultproxy import Storm

pytestmark = [pytest.mark.e2e, pytest.mark.prism, pytest.mark.slow]

# Per exchange (a request and its answer); a journey makes some hundreds on each peer.
WIRE = Storm(accept=0.01, after_request=0.02, mid_answer=0.02, truncate=0.01, delay=0.05, delay_seconds=(0.05, 0.5))


def _verdict(result: StormResult) -> None:
    assert result.tracebacks == [], result.tracebacks[0]
    assert result.completed, (result.runs, result.messages[-5:], result.leftovers)
    assert result.leftovers == [], result.leftovers
    assert result.faults > 0, result.injected  # the storm did blow


@pytest.mark.vcsim
@pytest.mark.nfs
def test_a_warm_journey_through_a_storm_on_every_peer(tmp_path: Path, ganesha_factory: Any) -> None:
    result = warm_storm(tmp_path, {"vcenter": WIRE, "prism": WIRE, "nfs": WIRE, "mount": WIRE},
                        start_ganesha=ganesha_factory, seed=3)
    _verdict(result)
    assert all(result.injected[peer] for peer in ("vcenter", "prism", "nfs")), result.injected


@pytest.mark.guest
def test_a_cold_journey_through_a_storm_on_prism_and_winrm(tmp_path: Path) -> None:
    result = cold_storm(tmp_path, {"prism": WIRE, "winrm": WIRE}, seed=4)
    _verdict(result)
    assert all(result.injected[peer] for peer in ("prism", "winrm")), result.injected
