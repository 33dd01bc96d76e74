"""Real Prism Central traffic (captured-*.yaml, pc.2024.1/2024.3): the adapter parses every answer, and the
lab Prism answers the same requests with bodies of the same key structure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from tests.prism.swagger import REFERENCE
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.inventory import BootType, PowerState
from xtract_gui.lab.prism import ClusterSeed, PrismSimulator, SubnetSeed
from xtract_gui.target import v3_parse

CAPTURED = sorted(REFERENCE.glob("captured-*.yaml"))
pytestmark = pytest.mark.prism

# What the lab does not model, by key name: SSH keys and TLS details of the cluster, NCC, network services
# the lab has no use for (IPAM pools and usage, VPCs, NAT), PC's own VMs and MSP config, list sorting.
UNMODELLED = {
    "authorized_public_key_list", "ssl_key", "NCC", "domain_awareness_level", "enabled_feature_list",
    "encryption_status", "operation_mode", "supported_information_verbosity", "external_data_services_ip",
    "external_subnet", "internal_subnet", "fully_qualified_domain_name", "commit_date", "ip_config",
    "ip_usage_stats", "advanced_networking", "enable_nat", "external_connectivity_state", "is_external",
    "virtual_network_reference", "vpc_reference", "cmsp_config", "pc_vm_list", "should_auto_register",
    "sort_attribute", "sort_order", "flash_mode", "storage_config", "categories", "categories_mapping",
    "is_registered_to_hosting_pe",
}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def exchanges() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    for path in CAPTURED:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            yield path.name, doc["spec"]["req"], doc["spec"]["resp"]


def key_paths(node: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(f"{prefix}.{key}")
            out |= key_paths(value, f"{prefix}.{key}")
    elif isinstance(node, list):
        for value in node:
            out |= key_paths(value, f"{prefix}[]")
    return out


def modelled(paths: set[str]) -> set[str]:
    return {p for p in paths if not UNMODELLED & set(re.split(r"[.\[\]]+", p))}


# -- the adapter parses what real Prism Central says -----------------------------------------------


def body_of(name: str, method: str = "") -> dict[str, Any]:
    for file, req, resp in exchanges():
        if file == name and (not method or req["method"] == method):
            return json.loads(resp["body"])
    raise KeyError(name)


def test_adapter_parses_every_captured_answer() -> None:
    parsed = 0
    for name, _req, resp in exchanges():
        body = json.loads(resp["body"])
        if "ListCluster" in name:
            clusters = [v3_parse.cluster(e) for e in body["entities"] if v3_parse.is_ahv_cluster(e)]
            assert clusters and all(c.uuid and c.name for c in clusters)
            assert len(clusters) < len(body["entities"])  # Prism Central itself is left out
        elif "GetCluster" in name:
            assert v3_parse.cluster(body).external_ip == body["status"]["resources"]["network"]["external_ip"]
        elif "Subnet" in name:
            for e in body.get("entities", [body]):
                assert v3_parse.subnet(e).vlan_id == e["spec"]["resources"].get("vlan_id")
        elif "ListVM" in name:
            assert [v3_parse.vm(e).name for e in body["entities"]]
        elif name.endswith("GetVM.yaml") or (name.endswith("UpdateVM.yaml") and resp["status_code"] == 200):
            vm = v3_parse.vm(body)
            assert (vm.name, vm.power_state, vm.boot_type) == ("test-vm", PowerState.OFF, BootType.UEFI)
            assert (vm.memory_mib, vm.disk_sizes) == (1024, (8 * 2**30,))
            assert (vm.nic_macs, vm.ip_addresses) == (("50:6b:8d:24:19:54",), ("10.23.129.96",))
        elif resp["status_code"] == 202:
            assert _UUID.fullmatch(v3_parse.task_uuid(body))
        elif "PrismCentral" in name:
            assert body["resources"]["version"].startswith("pc.")
        else:
            continue
        parsed += 1
    assert parsed == sum(1 for _ in exchanges())


# -- the lab answers the same requests in the same shape -------------------------------------------


@pytest.fixture
def replay_sim(prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> Any:
    seed = ClusterSeed(name="ncn-dev-sandbox", uuid="00061f7f-44f7-19dc-3be1-7cc25586ee44",
                       subnets=(SubnetSeed("vlan173", 173, uuid="b2e46975-2cde-4a49-9dda-815eb4fcd679"),))
    sim = prism_factory("pc", seed=seed)
    target = prism_connect(sim)
    image = target.upload_image("captured", "", iter([b"\x00" * 4096]), size=4096)
    return sim, {"70cfd137-a8d9-4169-a5ac-cf9ad6ddb03a": image,
                 "0005b0f1-8f43-a0f2-02b7-3cecef193712": seed.uuid,
                 "c7938dc6-7659-453e-a688-e26020c68e43": "b2e46975-2cde-4a49-9dda-815eb4fcd679"}


def _replay(sim: PrismSimulator, req: dict[str, Any], uuids: dict[str, str]) -> requests.Response:
    path = req["url"].split(":9440", 1)[1]
    body = req["body"] or ""
    for old, new in uuids.items():
        path, body = path.replace(old, new), body.replace(old, new)
    return requests.request(req["method"], sim.url + path, data=body.encode() or None,
                            headers={"Content-Type": "application/json"}, auth=(PRISM_USER, PRISM_PASSWORD),
                            timeout=10)


def _wait_idle(sim: PrismSimulator) -> None:
    import time

    deadline = time.monotonic() + 5
    while any(t["status"] in ("QUEUED", "RUNNING") for t in sim.state.data["tasks"].values()):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_simulator_answers_captured_requests_in_the_same_shape(replay_sim: Any) -> None:
    sim, uuids = replay_sim
    order = sorted(exchanges(), key=lambda x: 0 if "CreateVM" in x[0] else 1)
    for name, req, resp in order:
        answer = _replay(sim, req, uuids)
        assert answer.status_code == resp["status_code"], (name, answer.text[:300])
        mine = answer.json()
        if "CreateVM" in name:
            uuids["bdbbad7a-a401-4f9a-a789-2b8406905b56"] = mine["metadata"]["uuid"]
            _wait_idle(sim)
            vm = sim.state.data["vms"][mine["metadata"]["uuid"]]
            sim.set_nic_ips(vm["uuid"], vm["nics"][0]["mac_address"], ["10.23.129.96"])
        if req["method"] == "PUT":
            _wait_idle(sim)
        missing = modelled(key_paths(json.loads(resp["body"]))) - key_paths(mine)
        assert not missing, f"{name}: the lab's answer lacks {sorted(missing)}"


def test_key_structure_check_can_fail() -> None:
    real = {"metadata": {"kind": "vm", "uuid": "x"}, "spec": {"resources": {"nic_list": [{"mac_address": "m"}]}}}
    lab = {"metadata": {"kind": "vm"}, "spec": {"resources": {"nic_list": [{}]}}}
    assert modelled(key_paths(real)) - key_paths(lab) == {".metadata.uuid", ".spec.resources.nic_list[].mac_address"}


def test_reference_files_are_the_expected_ones() -> None:
    assert {p.name for p in CAPTURED} >= {"captured-CreateVM.yaml", "captured-GetVM.yaml", "captured-ListVM.yaml",
                                          "captured-UpdateVM.yaml", "captured-ListCluster.yaml"}
    assert Path(REFERENCE / "swagger.json").exists()
