"""Prism Central with two AHV clusters, through the real adapter: what is read from and written to which one.

Cluster A ("ganon") is PC's own, its Prism Element on 127.0.0.1; cluster B ("zelda") is a second Prism
Element simulator with a state of its own on 127.0.0.2 at the same port (see ``prism_clusters_pc``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from tests.support.prism import PRISM_PASSWORD, PRISM_USER, ClustersLab
from xtract_gui.domain.errors import CertificateMismatchError, ConfigurationError, UnsupportedError
from xtract_gui.domain.inventory import BootType, TargetNicSpec, TargetVMSpec
from xtract_gui.domain.plan import SecretRef, TargetEndpoint
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.prism.state import new_uuid
from xtract_gui.wiring import connect_target_endpoint

from .conftest import CLUSTER_UUID, SEED, ZELDA, ZELDA_UUID

pytestmark = pytest.mark.prism

ENTRY = "192.168.5.20/255.255.255.255"




def _names(state_items: dict[str, dict[str, Any]]) -> set[str]:
    return {o["name"] for o in state_items.values()}


def test_clusters_are_listed_with_their_own_addresses(lab: ClustersLab, central: Any) -> None:
    assert lab.elements[1].host == "127.0.0.2" and lab.elements[1].port == lab.element_port
    clusters = {c.uuid: c for c in central.clusters()}
    assert set(clusters) == {CLUSTER_UUID, ZELDA_UUID}  # PC's own entity is not an AHV cluster
    assert (clusters[ZELDA_UUID].name, clusters[ZELDA_UUID].external_ip) == ("zelda", "127.0.0.2")
    assert (clusters[CLUSTER_UUID].name, clusters[CLUSTER_UUID].external_ip) == ("ganon", "127.0.0.1")


def test_containers_of_each_cluster_are_its_elements(lab: ClustersLab, central: Any) -> None:
    zelda = lab.element(ZELDA_UUID).state.data["containers"]
    got = {c.uuid: c for c in central.containers(ZELDA_UUID)}
    assert set(got) == set(zelda)
    assert {c.name for c in got.values()} == {"zelda-ctr", "SelfServiceContainer"}
    assert {c.cluster_uuid for c in got.values()} == {ZELDA_UUID}
    ganon = lab.element(CLUSTER_UUID).state.data["containers"]
    assert {c.uuid for c in central.containers(CLUSTER_UUID)} == set(ganon)
    assert not set(ganon) & set(zelda)
    # Each cluster's element was asked about its own containers only.
    for element in lab.elements:
        assert any(p.endswith("/storage_containers") for _, p, _ in element.request_log)


def test_subnets_partition_per_cluster_across_pages(lab: ClustersLab, central: Any) -> None:
    zelda = lab.element(ZELDA_UUID)
    with zelda.state.lock:
        for i in range(120):  # with PC's three: two pages of 100
            u = new_uuid()
            zelda.state.data["subnets"][u] = {"uuid": u, "name": f"tenant-{i:03d}", "vlan_id": 1000 + i,
                                              "subnet_type": "VLAN", "cluster_uuid": ZELDA_UUID, "spec_version": 0}
    central.clusters()
    a, b = central.subnets(CLUSTER_UUID), central.subnets(ZELDA_UUID)
    assert {s.uuid for s in a} == set(lab.pc.state.data["subnets"])
    assert {s.name for s in a} == {"vlan0", "prod 本番", "dmz"}
    assert {s.uuid for s in b} == set(zelda.state.data["subnets"]) and len(b) == 122
    assert {s.cluster_uuid for s in a} == {CLUSTER_UUID} and {s.cluster_uuid for s in b} == {ZELDA_UUID}
    assert sum(1 for m, p, _ in lab.pc.request_log if m == "POST" and p.endswith("/subnets/list")) == 2


def test_whitelist_entry_lands_on_the_named_cluster_only(lab: ClustersLab, central: Any) -> None:
    ganon, zelda = lab.element(CLUSTER_UUID).state, lab.element(ZELDA_UUID).state
    central.add_nfs_whitelist(ENTRY, ZELDA_UUID)
    assert ENTRY in zelda.data["nfs_whitelist"] and ENTRY not in ganon.data["nfs_whitelist"]
    assert ENTRY in central.nfs_whitelist(ZELDA_UUID) and ENTRY not in central.nfs_whitelist(CLUSTER_UUID)
    central.add_nfs_whitelist(ENTRY, CLUSTER_UUID)
    central.remove_nfs_whitelist(ENTRY, ZELDA_UUID)
    assert ENTRY not in zelda.data["nfs_whitelist"] and ENTRY in ganon.data["nfs_whitelist"]
    assert ENTRY not in central.nfs_whitelist(ZELDA_UUID)


def test_whitelist_without_a_cluster_names_both(central: Any) -> None:
    with pytest.raises(UnsupportedError) as caught:
        central.nfs_whitelist()
    message = str(caught.value)
    assert "ganon (127.0.0.1)" in message and "zelda (127.0.0.2)" in message
    with pytest.raises(UnsupportedError):
        central.add_nfs_whitelist(ENTRY)


def test_vm_on_an_added_cluster_is_refused_and_nothing_is_made(lab: ClustersLab, central: Any) -> None:
    zelda_subnet = next(s for s in central.subnets(ZELDA_UUID) if s.vlan_id == 200)
    spec = TargetVMSpec(name="web01", cluster_uuid=ZELDA_UUID, num_sockets=1, cores_per_socket=2, memory_mib=2048,
                        boot_type=BootType.LEGACY, disks=(),
                        nics=(TargetNicSpec(subnet_uuid=zelda_subnet.uuid, mac="00:50:56:01:02:03"),))
    with pytest.raises(ConfigurationError) as caught:
        central.create_vm(spec)
    assert "zelda" in str(caught.value) and "Prism Element" in str(caught.value)
    assert lab.pc.state.data["vms"] == {} and lab.element(ZELDA_UUID).state.data["vms"] == {}
    ganon_subnet = next(s for s in central.subnets(CLUSTER_UUID) if s.vlan_id == 173)
    vm_uuid = central.create_vm(dataclasses.replace(spec, cluster_uuid=CLUSTER_UUID, nics=(
        TargetNicSpec(subnet_uuid=ganon_subnet.uuid, mac="00:50:56:01:02:03"),)))
    assert set(lab.pc.state.data["vms"]) == {vm_uuid}


def test_entities_of_an_added_cluster_read_one_by_one(lab: ClustersLab) -> None:
    base = f"{lab.pc.url}/api/nutanix/v3"
    subnet_uuid = next(u for u, s in lab.element(ZELDA_UUID).state.data["subnets"].items() if s["vlan_id"] == 200)
    with requests.Session() as http:
        http.auth = (PRISM_USER, PRISM_PASSWORD)
        cluster = http.get(f"{base}/clusters/{ZELDA_UUID}", timeout=10)
        subnet = http.get(f"{base}/subnets/{subnet_uuid}", timeout=10)
        missing = http.get(f"{base}/clusters/{new_uuid()}", timeout=10)
    assert cluster.status_code == 200 and cluster.json()["status"]["resources"]["network"]["external_ip"] == "127.0.0.2"
    assert subnet.status_code == 200
    assert subnet.json()["status"]["cluster_reference"] == {"kind": "cluster", "uuid": ZELDA_UUID, "name": "zelda"}
    assert missing.status_code == 404


def test_an_added_cluster_is_one_of_a_kind(lab: ClustersLab, prism_factory: Callable[..., PrismSimulator]) -> None:
    with pytest.raises(ValueError):
        lab.pc.add_cluster(lab.elements[1])  # already managed
    with pytest.raises(ValueError):
        lab.pc.add_cluster(prism_factory("pe", seed=SEED))  # PC's own cluster
    with pytest.raises(ValueError):
        lab.elements[0].add_cluster(lab.elements[1])  # only Prism Central manages clusters


# -- TLS: each element has its own certificate, pinned by its address ------------------------------------------


@pytest.fixture
def tls_lab(prism_clusters_pc: Callable[..., ClustersLab]) -> ClustersLab:
    lab = prism_clusters_pc(ZELDA, seed=SEED, tls=True)
    assert len({lab.pc.fingerprint, *lab.element_fingerprints.values()}) == 3
    return lab


def _endpoint(lab: ClustersLab, pins: dict[str, str]) -> TargetEndpoint:
    return TargetEndpoint(host=lab.pc.host, port=lab.pc.port, user=PRISM_USER, password=SecretRef("x", "y"),
                          cluster_uuid=ZELDA_UUID, container_uuid="", fingerprint=lab.pc.fingerprint,
                          element_port=lab.element_port, element_fingerprints=pins)


@pytest.fixture
def wired(tls_lab: ClustersLab) -> Iterator[Callable[[dict[str, str]], Any]]:
    opened: list[Any] = []

    def connect(pins: dict[str, str]) -> Any:
        opened.append(connect_target_endpoint(_endpoint(tls_lab, pins), PRISM_PASSWORD))
        return opened[-1]

    yield connect
    for target in opened:
        target.close()


def test_the_plans_pins_reach_each_element(tls_lab: ClustersLab, wired: Callable[[dict[str, str]], Any]) -> None:
    target = wired(tls_lab.element_fingerprints)
    assert {c.name for c in target.containers(ZELDA_UUID)} == {"zelda-ctr", "SelfServiceContainer"}
    target.add_nfs_whitelist(ENTRY, ZELDA_UUID)
    assert tls_lab.element(ZELDA_UUID).state.data["nfs_whitelist"] == [ENTRY]
    assert ENTRY not in tls_lab.element(CLUSTER_UUID).state.data["nfs_whitelist"]


def test_an_element_pin_missing_for_one_cluster_stops_only_that_cluster(
        tls_lab: ClustersLab, wired: Callable[[dict[str, str]], Any]) -> None:
    zelda = tls_lab.element(ZELDA_UUID)
    target = wired({"127.0.0.1": tls_lab.element(CLUSTER_UUID).fingerprint})
    assert target.containers(CLUSTER_UUID)
    with pytest.raises(CertificateMismatchError) as caught:
        target.containers(ZELDA_UUID)
    assert caught.value.actual == zelda.fingerprint and not caught.value.expected
    with pytest.raises(CertificateMismatchError):
        target.add_nfs_whitelist(ENTRY, ZELDA_UUID)
    assert zelda.request_log == []  # the handshake failed: no password reached B's element
    assert zelda.state.data["nfs_whitelist"] == []


def test_the_other_elements_pin_does_not_open_b(tls_lab: ClustersLab, wired: Callable[[dict[str, str]], Any]) -> None:
    ganon_pin = tls_lab.element(CLUSTER_UUID).fingerprint
    target = wired({"127.0.0.1": ganon_pin, "127.0.0.2": ganon_pin})
    with pytest.raises(CertificateMismatchError) as caught:
        target.containers(ZELDA_UUID)
    assert (caught.value.expected, caught.value.actual) == (ganon_pin, tls_lab.element(ZELDA_UUID).fingerprint)
