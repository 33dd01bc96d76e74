"""The lab Prism's own wire behaviour, seen by a plain HTTP client (requests)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import requests

from tests.prism.conftest import SEED
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.lab.prism import PrismSimulator

pytestmark = pytest.mark.prism
AUTH = (PRISM_USER, PRISM_PASSWORD)
V2 = "/PrismGateway/services/rest/v2.0"
V3 = "/api/nutanix/v3"


def test_task_moves_through_its_states_with_rising_percentage(prism_factory: Callable[..., PrismSimulator]
                                                              ) -> None:
    pc = prism_factory("pc", seed=SEED)
    pc.task_delay(60)
    answer = requests.post(f"{pc.url}{V3}/images", auth=AUTH, timeout=5, json={
        "metadata": {"kind": "image"}, "spec": {"name": "t", "resources": {"image_type": "DISK_IMAGE"}}})
    assert answer.status_code == 202
    task_uuid = answer.json()["status"]["execution_context"]["task_uuid"]
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 30
    while not seen or seen[-1][0] not in ("SUCCEEDED", "FAILED"):
        assert time.monotonic() < deadline
        task = requests.get(f"{pc.url}{V3}/tasks/{task_uuid}", auth=AUTH, timeout=5).json()
        seen.append((task["status"], task["percentage_complete"]))
        if seen[-1][0] == "QUEUED":
            pc.task_delay(1.0)  # seen it queued: now let it run, slowly enough to watch it progress
        time.sleep(0.02)
    states = [s for s, _ in seen]
    assert states[0] == "QUEUED" and "RUNNING" in states and states[-1] == "SUCCEEDED"
    assert [p for _, p in seen] == sorted(p for _, p in seen)
    assert seen[-1][1] == 100


def test_401_body_is_not_json(prism_pe: PrismSimulator) -> None:
    answer = requests.get(f"{prism_pe.url}{V2}/cluster", auth=(PRISM_USER, "nope"), timeout=5)
    assert answer.status_code == 401
    with pytest.raises(ValueError):
        answer.json()


def test_session_cookie_replaces_basic_auth(prism_pe: PrismSimulator) -> None:
    with requests.Session() as s:
        assert s.get(f"{prism_pe.url}{V2}/cluster", auth=AUTH, timeout=5).status_code == 200
        assert "NTNX_IGW_SESSION" in s.cookies
        assert s.get(f"{prism_pe.url}{V2}/cluster", timeout=5).status_code == 200
        prism_pe.expire_sessions()
        assert s.get(f"{prism_pe.url}{V2}/cluster", timeout=5).status_code == 401


def test_error_shapes(prism_factory: Callable[..., PrismSimulator]) -> None:
    pe, pc = prism_factory("pe", seed=SEED), prism_factory("pc", seed=SEED)
    missing = "00000000-0000-0000-0000-000000000000"
    v2 = requests.get(f"{pe.url}{V2}/vms/{missing}", auth=AUTH, timeout=5)
    assert v2.status_code == 404 and v2.json()["error_code"]["code"] == 1202
    v3 = requests.get(f"{pc.url}{V3}/vms/{missing}", auth=AUTH, timeout=5)
    assert v3.status_code == 404
    assert (v3.json()["state"], v3.json()["message_list"][0]["reason"]) == ("ERROR", "ENTITY_NOT_FOUND")
    bad = requests.post(f"{pc.url}{V3}/vms", auth=AUTH, timeout=5, json={"metadata": {"kind": "vm"}, "spec": {
        "name": "x", "resources": {"num_sockets": 1, "memory_size_mib": 1, "boot_config": {"boot_type": "BIOS"}}}})
    assert bad.status_code == 422 and bad.json()["message_list"][0]["reason"] == "INVALID_REQUEST"


def test_v2_and_v3_paging_metadata(prism_factory: Callable[..., PrismSimulator]) -> None:
    pe, pc = prism_factory("pe", seed=SEED), prism_factory("pc", seed=SEED)
    page = requests.get(f"{pe.url}{V2}/storage_containers", params={"count": 1, "page": 2}, auth=AUTH,
                        timeout=5).json()
    assert page["metadata"] == {"grand_total_entities": 2, "total_entities": 2, "count": 1, "page": 2,
                                "start_index": 2, "end_index": 2}
    assert len(page["entities"]) == 1
    # Networks take no paging parameter: count/page are ignored and every network comes back.
    networks = requests.get(f"{pe.url}{V2}/networks", params={"count": 2, "page": 2}, auth=AUTH, timeout=5).json()
    assert len(networks["entities"]) == 3 and networks["metadata"]["count"] == 3
    listed = requests.post(f"{pc.url}{V3}/subnets/list", json={"kind": "subnet", "length": 2, "offset": 2},
                           auth=AUTH, timeout=5).json()
    assert listed["metadata"]["total_matches"] == 3 and len(listed["entities"]) == 1


def test_stopped_simulator_answers_nothing(prism_factory: Callable[..., PrismSimulator]) -> None:
    pe = prism_factory("pe")
    url = f"{pe.url}{V2}/cluster"
    with requests.Session() as s:
        assert s.get(url, auth=AUTH, timeout=5).status_code == 200
        pe.stop()
        with pytest.raises(requests.ConnectionError):
            s.get(url, auth=AUTH, timeout=5)


def test_injected_failure_with_custom_body(prism_pe: PrismSimulator) -> None:
    prism_pe.fail_next("GET", r"/cluster$", 500, body={"message": "kTimeout", "error_code": {"code": 3}})
    first = requests.get(f"{prism_pe.url}{V2}/cluster", auth=AUTH, timeout=5)
    assert (first.status_code, first.json()["message"]) == (500, "kTimeout")
    assert requests.get(f"{prism_pe.url}{V2}/cluster", auth=AUTH, timeout=5).status_code == 200
