"""The composition root hands the plan's target fields to the adapter: Prism Central over TLS reaches its
Prism Element on the plan's ``element_port``, pinned with the plan's ``element_fingerprints``."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.prism.conftest import CLUSTER_UUID, SEED
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.errors import CertificateMismatchError, ConfigurationError
from xtract_gui.domain.plan import SecretRef, TargetEndpoint
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.source import LabSource
from xtract_gui.lab.source.container import LocalContainerWriters
from xtract_gui.wiring import NfsWriters, connect_target_endpoint, service_instance_provider

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


def test_nfs_and_the_labs_local_writers_stage_a_disk_at_the_same_path(tmp_path: Path) -> None:
    """Prism resolves the ndfs path the engine records to one file, whichever writer put it there."""
    nfs = NfsWriters("127.0.0.1", "ctr")
    local = LocalContainerWriters(tmp_path, "ctr")
    assert nfs.relative("SQL Server #1", 2000) == local.relative("SQL Server #1", 2000) \
        == "xtract/SQL_Server_1/disk-2000.raw"
    writer = local.open("SQL Server #1", 2000, 4096, fresh=True)
    assert writer.finish() == "/ctr/xtract/SQL_Server_1/disk-2000.raw"
    local.discard_vm("SQL Server #1")
    assert not (tmp_path / "ctr" / "xtract" / "SQL_Server_1").exists()


def test_the_whitelist_entry_is_this_computers_address_towards_the_cluster() -> None:
    assert NfsWriters("127.0.0.1", "default").whitelist_entry == "127.0.0.1/255.255.255.255"
    # A name that resolves nowhere: a clear error, not an entry for 127.0.0.1 that helps nobody.
    with pytest.raises(ConfigurationError, match="no route to the cluster's NFS address"):
        _ = NfsWriters("nfs.cluster.invalid", "default").whitelist_entry
