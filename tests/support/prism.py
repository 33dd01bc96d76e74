"""The lab Prism simulator as a test peer: started on a free loopback port, stopped after the test.

Fixtures:
- ``prism_factory(mode="pe", *, state_dir=None, tls=False, seed=None, **kw)`` → a started
  ``PrismSimulator`` (``state_dir`` defaults to a fresh tmp dir; pass the ganesha export's parent to
  share containers with NFS: the container ``<name>`` is ``state_dir/containers/<name>/``).
- ``prism_pe`` / ``prism_pc``: a started Prism Element / Prism Central simulator over HTTP.
- ``prism_connect(sim, **kw)``: the real adapter (``connect_prism``) connected to a simulator.
- ``prism_clusters_pc(*extra_seeds, seed=None, tls=False)`` → a ``ClustersLab``: a started Prism Central
  managing its own cluster (``seed``; its Prism Element on 127.0.0.1) and one more cluster per extra seed,
  each a Prism Element of its own (own state, own certificate) on 127.0.0.2, 127.0.0.3, … at the first
  element's port, the way real elements all answer on 9440.  The seeds' ``external_ip`` is set to match.
"""

from __future__ import annotations

import dataclasses
import errno
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from xtract_gui.lab.prism import ClusterSeed, PrismSimulator
from xtract_gui.lab.prism.state import new_uuid
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


@dataclass
class ClustersLab:
    """A lab Prism Central and the Prism Elements of the clusters it manages (``elements[0]``: its own)."""

    pc: PrismSimulator
    elements: list[PrismSimulator]

    @property
    def element_port(self) -> int:
        return self.elements[0].port

    @property
    def element_fingerprints(self) -> dict[str, str]:
        """Each element's pin by its address (empty over plain HTTP)."""
        return {e.host: e.fingerprint for e in self.elements if e.fingerprint}

    def element(self, cluster_uuid: str) -> PrismSimulator:
        return next(e for e in self.elements if e.state.cluster["uuid"] == cluster_uuid)


_ELEMENT_ATTEMPTS = 5


@pytest.fixture
def prism_clusters_pc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ClustersLab]]:
    started: list[PrismSimulator] = []

    def simulator(mode: str, seed: ClusterSeed, tls: bool, **kwargs: Any) -> PrismSimulator:
        sim = PrismSimulator(tmp_path_factory.mktemp(f"prism-{mode}"), mode=mode, tls=tls, user=PRISM_USER,
                             password=PRISM_PASSWORD, seed=seed, **kwargs)
        sim.task_delay(0.01)
        try:
            sim.start()
        except BaseException:
            sim.stop()
            raise
        started.append(sim)
        return sim

    def elements(seeds: list[ClusterSeed], tls: bool) -> list[PrismSimulator]:
        # The first element takes a free port on 127.0.0.1; the others need that same port on their own
        # address, which something else may hold: then all of them move to another port.
        for attempt in range(_ELEMENT_ATTEMPTS):
            made = [simulator("pe", seeds[0], tls)]
            try:
                for seed in seeds[1:]:
                    made.append(simulator("pe", seed, tls, host=seed.external_ip, port=made[0].port))
                return made
            except OSError as exc:
                for sim in made:
                    sim.stop()
                    started.remove(sim)
                if exc.errno != errno.EADDRINUSE or attempt == _ELEMENT_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def make(*extra: ClusterSeed, seed: ClusterSeed | None = None, tls: bool = False) -> ClustersLab:
        own = seed or ClusterSeed()
        if not own.uuid:  # PC and the element hold the same cluster in two states: one uuid for both
            own = dataclasses.replace(own, uuid=new_uuid())
        seeds = [own] + [dataclasses.replace(s, external_ip=f"127.0.0.{i + 2}") for i, s in enumerate(extra)]
        members = elements(seeds, tls)
        pc = simulator("pc", own, tls)
        for element in members[1:]:
            pc.add_cluster(element)
        return ClustersLab(pc, members)

    yield make
    for sim in reversed(started):
        sim.stop()
