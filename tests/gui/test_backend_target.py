"""Connecting to Prism Central with several clusters: one login to Prism Central however many element
certificates this computer trusted before (counted at the lab Prism simulator, a real HTTP peer)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.prism.conftest import CLUSTER_UUID, SEED, ZELDA, ZELDA_UUID
from tests.support.prism import PRISM_PASSWORD, PRISM_USER, ClustersLab
from xtract_gui.domain.inventory import TargetKind
from xtract_gui.gui.wizard.backend import Backend, SessionSecrets, UntrustedElementCertificate
from xtract_gui.gui.wizard.flow import TargetAnswers
from xtract_gui.lab.prism import PrismSimulator

pytestmark = pytest.mark.prism

FIRST_ADDRESS, SECOND_ADDRESS = "127.0.0.1", "127.0.0.2"  # each cluster's Prism Element, on the same port
VERSIONS = ("GET", "/api/nutanix/v3/versions")  # the first call of every connect, with Basic auth: a login


@pytest.fixture
def two_cluster_pc(prism_clusters_pc: Callable[..., ClustersLab]) -> ClustersLab:
    """A Prism Central (TLS) managing two AHV clusters, each read from its own Prism Element (TLS, own cert)."""
    lab = prism_clusters_pc(ZELDA, seed=SEED, tls=True)
    assert [e.host for e in lab.elements] == [FIRST_ADDRESS, SECOND_ADDRESS]
    assert len({lab.pc.fingerprint, *lab.element_fingerprints.values()}) == 3
    return lab


def _answers(lab: ClustersLab, **kw: Any) -> TargetAnswers:
    return TargetAnswers(host=lab.pc.host, port=lab.pc.port, user=PRISM_USER, password=PRISM_PASSWORD,
                         protocol="https", fingerprint=lab.pc.fingerprint, element_port=lab.element_port,
                         remember=False, **kw)


def _logins(sim: PrismSimulator) -> int:
    return sum(1 for method, path, _ in sim.request_log if (method, path.split("?")[0]) == VERSIONS)


def test_known_element_pins_cost_no_extra_login(two_cluster_pc: ClustersLab, tmp_path: Path) -> None:
    lab = two_cluster_pc
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    for address, fingerprint in lab.element_fingerprints.items():
        backend.pins.pin(address, lab.element_port, fingerprint)
    backend.pins.pin("elsewhere.example", lab.element_port, ":".join(["CD"] * 32))  # another PC's: not in the plan
    try:
        facts = backend.connect_target(_answers(lab))
        assert facts.inventory.kind is TargetKind.PRISM_CENTRAL
        assert {c.name for c in facts.inventory.clusters} == {SEED.name, "zelda"}
        by_cluster = {cl: {c.name for c in facts.inventory.containers if c.cluster_uuid == cl}
                      for cl in (CLUSTER_UUID, ZELDA_UUID)}
        assert by_cluster == {CLUSTER_UUID: {"default-container", "SelfServiceContainer"},
                              ZELDA_UUID: {"zelda-ctr", "SelfServiceContainer"}}  # each from its own element
        assert {s.name for s in facts.inventory.subnets if s.cluster_uuid == ZELDA_UUID} == {"vlan0", "zelda-prod"}
        assert facts.element_fingerprints == lab.element_fingerprints
        assert _logins(lab.pc) == 1  # N+1 before: one more full connect per pinned element
        assert [_logins(e) for e in lab.elements] == [1, 1]  # each cluster's element once
    finally:
        backend.close()


def test_first_unknown_element_is_offered_after_one_login(two_cluster_pc: ClustersLab, tmp_path: Path) -> None:
    lab = two_cluster_pc
    first, second = lab.elements
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    backend.pins.pin(FIRST_ADDRESS, lab.element_port, first.fingerprint)  # the first cluster's element only
    answers = _answers(lab)
    try:
        with pytest.raises(UntrustedElementCertificate) as caught:
            backend.connect_target(answers)
        exc = caught.value
        assert (exc.address, exc.port, exc.cluster_name) == (SECOND_ADDRESS, lab.element_port, "zelda")
        assert exc.actual == second.fingerprint and not exc.expected  # never seen: the page asks the user
        assert _logins(lab.pc) == 1 and _logins(second) == 0  # no password went to the untrusted element
        # The user trusts it (the page puts it into the answers) and connects again: one more login, no question.
        answers.element_fingerprints[exc.address] = exc.actual
        facts = backend.connect_target(answers)
        assert facts.element_fingerprints == lab.element_fingerprints
        assert backend.pins.get(SECOND_ADDRESS, lab.element_port) == second.fingerprint
        assert _logins(lab.pc) == 2 and _logins(second) == 1
    finally:
        backend.close()


def test_a_pinned_element_with_a_new_certificate_stops_the_connect(two_cluster_pc: ClustersLab,
                                                                   tmp_path: Path) -> None:
    lab = two_cluster_pc
    first, second = lab.elements
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    stale = ":".join(["AB"] * 32)
    backend.pins.pin(FIRST_ADDRESS, lab.element_port, stale)  # the element's certificate was replaced since
    backend.pins.pin(SECOND_ADDRESS, lab.element_port, second.fingerprint)
    try:
        with pytest.raises(UntrustedElementCertificate) as caught:
            backend.connect_target(_answers(lab))
        assert caught.value.address == FIRST_ADDRESS and caught.value.expected == stale
        assert caught.value.actual == first.fingerprint
        assert _logins(lab.pc) == 1 and _logins(first) == 0
    finally:
        backend.close()
