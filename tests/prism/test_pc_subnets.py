"""Prism Central subnets: one paged listing per look at the inventory, not one per cluster asked about.

v3 documents no server-side filter of ``subnets/list`` by cluster, so the adapter lists once after
``clusters()`` and answers every cluster from that listing; the next ``clusters()`` (the wizard's refresh,
the readiness check) lists afresh, so a subnet made meanwhile shows up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.prism.state import new_uuid

from .conftest import CLUSTER_UUID, SEED

pytestmark = pytest.mark.prism
SEEDED = {"vlan0", "prod 本番", "dmz"}


def _add_subnets(sim: PrismSimulator, names: list[str]) -> None:
    with sim.state.lock:
        for i, name in enumerate(names):
            u = new_uuid()
            sim.state.data["subnets"][u] = {"uuid": u, "name": name, "vlan_id": 1000 + i, "subnet_type": "VLAN",
                                            "cluster_uuid": CLUSTER_UUID, "spec_version": 0}


def _subnet_lists(sim: PrismSimulator) -> int:
    return sum(1 for m, p, s in sim.request_log if m == "POST" and p.endswith("/subnets/list"))


def test_subnets_are_listed_once_for_every_cluster_and_again_after_clusters(
        prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    extra = [f"tenant-{i:03d}" for i in range(120)]  # two pages of 100
    _add_subnets(pc, extra)
    central = prism_connect(pc)

    [cluster] = central.clusters()
    before = _subnet_lists(pc)
    first = {s.name for s in central.subnets(cluster.uuid)}
    assert first == SEEDED | set(extra)
    assert all(s.cluster_uuid == cluster.uuid for s in central.subnets(cluster.uuid))
    assert central.subnets("00000000-0000-0000-0000-000000000000") == []  # a cluster with no subnets
    assert _subnet_lists(pc) == before + 2  # one listing (two pages) for all three questions

    _add_subnets(pc, ["made-meanwhile"])
    central.clusters()  # what the wizard's refresh and every readiness check do first
    assert "made-meanwhile" in {s.name for s in central.subnets(cluster.uuid)}
    assert _subnet_lists(pc) == before + 4


def test_a_returned_list_is_the_callers_own(prism_factory: Callable[..., PrismSimulator],
                                            prism_connect: Callable[..., Any]) -> None:
    central = prism_connect(prism_factory("pc", seed=SEED))
    [cluster] = central.clusters()
    central.subnets(cluster.uuid).clear()
    assert {s.name for s in central.subnets(cluster.uuid)} == SEEDED
