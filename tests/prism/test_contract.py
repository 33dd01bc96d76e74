"""The adapters against the port they implement, the simulator's persistence, and secrets in logs."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

import pytest

from tests.prism.conftest import CLUSTER_UUID, SEED, Surface
from tests.prism.test_operations import upload, vm_spec
from tests.support.prism import PRISM_PASSWORD
from xtract_gui.domain.errors import NotFoundError, UnsupportedError
from xtract_gui.engine.ports import TargetPlatform
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import PrismCentral, PrismElement

pytestmark = pytest.mark.prism


def _members(cls: type) -> dict[str, Any]:
    return {n: m for n, m in vars(cls).items() if not n.startswith("_")}


@pytest.mark.parametrize("adapter", [PrismElement, PrismCentral])
def test_adapter_has_every_port_member_with_the_same_parameters(adapter: type) -> None:
    port = _members(TargetPlatform)
    assert port, "the port lists no members"
    for name, member in port.items():
        assert hasattr(adapter, name), f"{adapter.__name__} lacks {name}"
        if isinstance(member, property):
            assert isinstance(getattr(adapter, name), property), name
            continue
        expected = inspect.signature(member).parameters
        actual = inspect.signature(getattr(adapter, name)).parameters
        assert [(p.name, p.kind, p.default) for p in actual.values()] == [
            (p.name, p.kind, p.default) for p in expected.values()], name


def test_restarted_simulator_sees_the_same_objects(prism_factory: Callable[..., PrismSimulator],
                                                   prism_connect: Callable[..., Any]) -> None:
    first = prism_factory("pe", seed=SEED)
    target = prism_connect(first)
    surface = Surface("pe", first, first, target)
    image, data = upload(surface, "kept")
    vm_uuid = target.create_vm(vm_spec(surface.target, "kept vm 保存"))
    target.add_nfs_whitelist("10.9.9.9/255.255.255.255")
    first.stop()

    second = prism_factory("pe", state_dir=first.state_dir)
    again = prism_connect(second)
    assert [v.uuid for v in again.find_vms("kept vm 保存")] == [vm_uuid]
    assert (second.state_dir / second.image_record(image)["path"]).read_bytes() == data
    assert again.nfs_whitelist() == ["10.9.9.9/255.255.255.255"]
    assert [c.uuid for c in again.clusters()] == [CLUSTER_UUID]


def test_pc_without_an_element_says_where_to_go(prism_pc: PrismSimulator) -> None:
    from xtract_gui.target.transport import PrismTransport

    transport = PrismTransport("127.0.0.1", "admin", PRISM_PASSWORD, port=prism_pc.port, protocol="http")
    central = PrismCentral(transport, version="pc", fingerprint="")
    try:
        cluster = central.clusters()[0]
        with pytest.raises(UnsupportedError, match=r"Prism Element at 127\.0\.0\.1"):
            central.containers(cluster.uuid)
    finally:
        central.close()


def test_password_never_reaches_logs_or_errors(surface: Surface, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    surface.sim.fail_next("*", r".", 503, count=1)
    surface.target.t.backoff = 0.01
    surface.target.vms()
    surface.sim.expire_sessions()
    surface.target.vms()
    with pytest.raises(NotFoundError) as info:
        surface.target.get_vm("00000000-0000-0000-0000-000000000000")
    assert info.value.detail and PRISM_PASSWORD not in f"{info.value} {info.value.detail}"
    assert caplog.records, "nothing was logged at all"
    assert PRISM_PASSWORD not in caplog.text


def test_pc_element_with_other_credentials_says_what_to_do(prism_factory: Callable[..., PrismSimulator],
                                                            prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    pe = prism_factory("pe", seed=SEED, state_dir=None)
    pe.sessions.password = "another-password"  # the cluster's own admin password differs from PC's
    central = prism_connect(pc, element_port=pe.port)
    with pytest.raises(UnsupportedError) as info:
        central.containers(CLUSTER_UUID)
    assert f"127.0.0.1:{pe.port}" in str(info.value)
    assert "connect to that Prism Element directly" in str(info.value)


def test_pc_reads_containers_per_cluster_without_listing_clusters_again(
        prism_factory: Callable[..., PrismSimulator], prism_connect: Callable[..., Any]) -> None:
    pc = prism_factory("pc", seed=SEED)
    pe = prism_factory("pe", seed=SEED)
    central = prism_connect(pc, element_port=pe.port)

    def cluster_lists() -> int:
        return sum(1 for m, p, s in pc.request_log if p.endswith("/clusters/list"))

    before = cluster_lists()
    [cluster] = central.clusters()
    names = {c.name for c in central.containers(cluster.uuid)}
    again = {c.name for c in central.containers(cluster.uuid)}
    assert names == again == {"default-container", "SelfServiceContainer"}
    assert cluster_lists() == before + 1
    with pytest.raises(NotFoundError, match="no AHV cluster"):
        central.containers("00000000-0000-0000-0000-000000000000")
    assert cluster_lists() == before + 2  # an unknown cluster is looked up afresh, not refused from memory
