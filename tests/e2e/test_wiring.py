"""The composition root hands the plan's target fields to the adapter: Prism Central over TLS reaches its
Prism Element on the plan's ``element_port``, pinned with the plan's ``element_fingerprints``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from tests.prism.conftest import CLUSTER_UUID, SEED
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.errors import CertificateMismatchError
from xtract_gui.domain.plan import SecretRef, TargetEndpoint
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.source import LabSource
from xtract_gui.wiring import connect_target_endpoint, service_instance_provider

pytestmark = [pytest.mark.e2e, pytest.mark.prism]


def test_the_plans_element_port_and_pins_reach_prism_element(prism_factory: Callable[..., PrismSimulator]) -> None:
    pc = prism_factory("pc", tls=True, seed=SEED)
    pe = prism_factory("pe", tls=True, seed=SEED)
    endpoint = TargetEndpoint(host=pc.host, port=pc.port, user=PRISM_USER, password=SecretRef("x", "y"),
                              cluster_uuid=CLUSTER_UUID, container_uuid="", fingerprint=pc.fingerprint,
                              element_port=pe.port, element_fingerprints={pe.host: pe.fingerprint})
    pinned = connect_target_endpoint(endpoint, PRISM_PASSWORD)
    try:
        assert {c.name for c in pinned.containers(CLUSTER_UUID)} == {"default-container", "SelfServiceContainer"}
    finally:
        pinned.close()
    unpinned = connect_target_endpoint(dataclasses.replace(endpoint, element_fingerprints={}), PRISM_PASSWORD)
    try:
        with pytest.raises(CertificateMismatchError):
            unpinned.containers(CLUSTER_UUID)
    finally:
        unpinned.close()


def test_only_a_vcenter_source_offers_guest_operations() -> None:
    class Session:
        si = "service-instance"

    class VSphere:
        session = Session()

    provider = service_instance_provider(VSphere())
    assert provider is not None and provider() == "service-instance"
    Session.si = "after-a-reconnect"  # read at each use, not captured once
    assert provider() == "after-a-reconnect"
    assert service_instance_provider(LabSource.__new__(LabSource)) is None
