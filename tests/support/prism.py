"""The lab Prism simulator as a test peer: started on a free loopback port, stopped after the test.

Fixtures:
- ``prism_factory(mode="pe", *, state_dir=None, tls=False, seed=None, **kw)`` → a started
  ``PrismSimulator`` (``state_dir`` defaults to a fresh tmp dir; pass the ganesha export's parent to
  share containers with NFS: the container ``<name>`` is ``state_dir/containers/<name>/``).
- ``prism_pe`` / ``prism_pc``: a started Prism Element / Prism Central simulator over HTTP.
- ``prism_connect(sim, **kw)``: the real adapter (``connect_prism``) connected to a simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.lab.prism import ClusterSeed, PrismSimulator
from xtract_gui.target import connect_prism

PRISM_USER = "admin"
PRISM_PASSWORD = "Nutanix/4u-lab"


def connect_to(sim: PrismSimulator, **kwargs: Any) -> Any:
    """``connect_prism`` against ``sim`` with its credentials (and its certificate pinned over TLS)."""
    options: dict[str, Any] = {"port": sim.port, "protocol": sim.url.split(":")[0], "timeout": 10}
    if sim.fingerprint:
        options["expected_fingerprint"] = sim.fingerprint
    options.update(kwargs)
    user = options.pop("user", PRISM_USER)
    password = options.pop("password", PRISM_PASSWORD)
    return connect_prism(sim.host, user, password, **options)


@pytest.fixture
def prism_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., PrismSimulator]]:
    started: list[PrismSimulator] = []

    def make(mode: str = "pe", *, state_dir: Path | None = None, tls: bool = False,
             seed: ClusterSeed | None = None, **kwargs: Any) -> PrismSimulator:
        directory = state_dir or tmp_path_factory.mktemp(f"prism-{mode}")
        sim = PrismSimulator(directory, mode=mode, tls=tls, user=PRISM_USER, password=PRISM_PASSWORD,
                             seed=seed, **kwargs)
        sim.task_delay(0.01)  # tasks still pass through QUEUED and RUNNING, just quickly
        sim.start()
        started.append(sim)
        return sim

    yield make
    for sim in reversed(started):
        sim.stop()


@pytest.fixture
def prism_pe(prism_factory: Callable[..., PrismSimulator]) -> PrismSimulator:
    return prism_factory("pe")


@pytest.fixture
def prism_pc(prism_factory: Callable[..., PrismSimulator]) -> PrismSimulator:
    return prism_factory("pc")


@pytest.fixture
def prism_connect() -> Iterator[Callable[..., Any]]:
    opened: list[Any] = []

    def connect(sim: PrismSimulator, **kwargs: Any) -> Any:
        target = connect_to(sim, **kwargs)
        opened.append(target)
        return target

    yield connect
    for target in opened:
        target.close()
