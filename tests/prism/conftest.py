"""Both Prism surfaces behind one fixture, so each operation is checked on PE v2.0 and on PC v3."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.prism import ClustersLab
from xtract_gui.lab.prism import ClusterSeed, ContainerSeed, PrismSimulator, SubnetSeed

CLUSTER_UUID = "0005b0f1-8f43-a0f2-02b7-3cecef193712"
SEED = ClusterSeed(name="ganon", uuid=CLUSTER_UUID,
                   containers=(ContainerSeed("default-container", capacity_bytes=2**40, free_bytes=2**39),
                               ContainerSeed("SelfServiceContainer", capacity_bytes=2**40)),
                   subnets=(SubnetSeed("vlan0", 0), SubnetSeed("prod 本番", 173), SubnetSeed("dmz", 508)))
# A second cluster for a Prism Central that manages two (``prism_clusters_pc(ZELDA, seed=SEED)``).
ZELDA_UUID = "0005b0f1-8f43-a0f2-02b7-3cecef19ffff"
ZELDA = ClusterSeed(name="zelda", uuid=ZELDA_UUID,
                    containers=(ContainerSeed("zelda-ctr", capacity_bytes=2**41),
                                ContainerSeed("SelfServiceContainer")),
                    subnets=(SubnetSeed("vlan0", 0), SubnetSeed("zelda-prod", 200)))


@dataclass
class Surface:
    mode: str
    sim: PrismSimulator  # the simulator the adapter talks to (PC in "pc" mode)
    element: PrismSimulator  # the Prism Element (the same simulator in "pe" mode)
    target: Any

    def container_uuid(self, name: str = "default-container") -> str:
        return next(c["uuid"] for c in self.element.state.data["containers"].values() if c["name"] == name)


@pytest.fixture(params=["pe", "pc"])
def surface(request: pytest.FixtureRequest, prism_factory: Callable[..., PrismSimulator],
            prism_connect: Callable[..., Any]) -> Surface:
    element = prism_factory("pe", seed=SEED)
    if request.param == "pe":
        return Surface("pe", element, element, prism_connect(element))
    central = prism_factory("pc", seed=SEED)
    return Surface("pc", central, element, prism_connect(central, element_port=element.port))


@pytest.fixture
def lab(prism_clusters_pc: Callable[..., ClustersLab]) -> ClustersLab:
    """Prism Central managing "ganon" (its own, SEED) and "zelda" (ZELDA), each with its Prism Element."""
    return prism_clusters_pc(ZELDA, seed=SEED)


@pytest.fixture
def central(lab: ClustersLab, prism_connect: Callable[..., Any]) -> Any:
    """The real adapter connected to ``lab``'s Prism Central (and through it to each cluster's element)."""
    return prism_connect(lab.pc, element_port=lab.element_port)
