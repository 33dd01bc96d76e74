"""Prism Element v2.0 list calls, each paged its own way: /vms offset/length, /storage_containers count/page,
/networks not at all; grand_total_entities counts every entity, not the ones a filter matched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from tests.prism.conftest import CLUSTER_UUID, SEED
from tests.prism.test_operations import vm_spec
from tests.prism.test_swagger import Recorder
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.lab.prism import ClusterSeed, ContainerSeed, PrismSimulator

pytestmark = pytest.mark.prism
V2 = "/PrismGateway/services/rest/v2.0"


@pytest.fixture
def five_vms(prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any],
             monkeypatch: pytest.MonkeyPatch) -> Any:
    from xtract_gui.target import prism_element

    monkeypatch.setattr(prism_element, "PAGE", 2)
    pe = prism_factory("pe", seed=SEED)
    target = prism_connect(pe)
    for i in range(5):
        target.create_vm(vm_spec(target, f"page-{i}", nics=()))
    return pe, target


def test_a_filtered_listing_returns_the_one_vm_once(five_vms: Any) -> None:
    _pe, target = five_vms
    recorder = Recorder(target)
    found = target.find_vms("page-3")
    assert [v.name for v in found] == ["page-3"]
    lists = [r for r in recorder.sent if r.method == "GET" and urlsplit(r.url or "").path.endswith("/vms")]
    assert len(lists) == 1  # one short batch: nothing more to ask


def test_every_vm_once_in_offset_length_pages(five_vms: Any) -> None:
    _pe, target = five_vms
    recorder = Recorder(target)
    assert sorted(v.name for v in target.vms()) == [f"page-{i}" for i in range(5)]
    queries = [dict(parse_qsl(urlsplit(r.url or "").query)) for r in recorder.sent if r.method == "GET"]
    assert [(q.get("offset"), q.get("length")) for q in queries] == [("0", "2"), ("2", "2"), ("4", "2")]


def test_the_simulator_pages_vms_as_a_real_cluster_does(five_vms: Any) -> None:
    pe, _target = five_vms
    auth = (PRISM_USER, PRISM_PASSWORD)
    page = requests.get(f"{pe.url}{V2}/vms", params={"offset": 2, "length": 2}, auth=auth, timeout=5).json()
    assert page["metadata"] == {"grand_total_entities": 5, "total_entities": 5, "count": 2, "start_index": 2,
                                "end_index": 4}
    # count/page are not parameters of GET /vms/: ignored, so every VM comes back each time.
    ignored = requests.get(f"{pe.url}{V2}/vms", params={"count": 2, "page": 3}, auth=auth, timeout=5).json()
    assert len(ignored["entities"]) == 5
    filtered = requests.get(f"{pe.url}{V2}/vms", params={"filter": "vm_name==page-3"}, auth=auth, timeout=5).json()
    assert (filtered["metadata"]["grand_total_entities"], filtered["metadata"]["total_entities"]) == (5, 1)


def test_containers_are_paged_by_count_and_page(prism_factory: Callable[..., PrismSimulator],
                                                prism_connect: Callable[..., Any],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from xtract_gui.target import prism_element

    monkeypatch.setattr(prism_element, "PAGE", 2)
    seed = ClusterSeed(name="many", uuid=CLUSTER_UUID, containers=tuple(ContainerSeed(f"ctr{i}") for i in range(5)))
    pe = prism_factory("pe", seed=seed)
    target = prism_connect(pe)
    recorder = Recorder(target)
    assert sorted(c.name for c in target.containers(CLUSTER_UUID)) == [f"ctr{i}" for i in range(5)]
    queries = [dict(parse_qsl(urlsplit(r.url or "").query)) for r in recorder.sent
               if urlsplit(r.url or "").path.endswith("/storage_containers")]
    assert [(q["count"], q["page"]) for q in queries] == [("2", "1"), ("2", "2"), ("2", "3")]
    assert len(target.subnets(CLUSTER_UUID)) == 2
