"""Connecting to Prism Central with several clusters: one login to Prism Central however many element
certificates this computer trusted before (counted at the lab Prism simulator, a real HTTP peer)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.prism.conftest import SEED
from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.inventory import TargetKind
from xtract_gui.gui.backend import Backend, SessionSecrets, UntrustedElementCertificate
from xtract_gui.gui.flow import TargetAnswers
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.lab.prism import v3_render as render
from xtract_gui.lab.prism.http import Request, Response
from xtract_gui.lab.prism.v3 import V3Api

pytestmark = pytest.mark.prism

SECOND_UUID = "0005b0f1-8f43-a0f2-02b7-3cecef19ffff"
# The second cluster's Prism Element is the same lab element under another address ("localhost" reaches the
# 127.0.0.1 listener): a distinct address to pin, without a second server on a loopback address of its own.
SECOND_ADDRESS = "localhost"
VERSIONS = ("GET", "/api/nutanix/v3/versions")  # the first call of every connect, with Basic auth: a login


@pytest.fixture
def two_cluster_pc(monkeypatch: pytest.MonkeyPatch, prism_factory: Callable[..., PrismSimulator]) \
        -> tuple[PrismSimulator, PrismSimulator]:
    """A Prism Central (TLS) managing two AHV clusters, and the Prism Element (TLS) both are read from."""

    def list_clusters(self: V3Api, req: Request) -> Response:
        # The lab PC manages one cluster; a second one is a copy with its own uuid, name and address.
        with self.state.lock:
            first = render.cluster(self.state)
            second = copy.deepcopy(first)
            second["metadata"]["uuid"] = SECOND_UUID
            second["status"]["name"] = second["spec"]["name"] = "zelda"
            for network in (second["status"]["resources"]["network"], second["spec"]["resources"]["network"]):
                network["external_ip"] = SECOND_ADDRESS
            ents = [(self.state.data["pc"]["name"], render.prism_central_entity(self.state)),
                    (self.state.cluster["name"], first), ("zelda", second)]
        return self._list(req, "cluster", ents)

    monkeypatch.setattr(V3Api, "list_clusters", list_clusters)
    pc = prism_factory("pc", tls=True, seed=SEED)
    pe = prism_factory("pe", tls=True, seed=SEED)
    assert pc.fingerprint != pe.fingerprint
    return pc, pe


def _answers(pc: PrismSimulator, pe: PrismSimulator, **kw: Any) -> TargetAnswers:
    return TargetAnswers(host=pc.host, port=pc.port, user=PRISM_USER, password=PRISM_PASSWORD, protocol="https",
                         fingerprint=pc.fingerprint, element_port=pe.port, remember=False, **kw)


def _logins(sim: PrismSimulator) -> int:
    return sum(1 for method, path, _ in sim.request_log if (method, path.split("?")[0]) == VERSIONS)


def test_known_element_pins_cost_no_extra_login(two_cluster_pc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pc, pe = two_cluster_pc
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    for address in (pe.host, SECOND_ADDRESS):
        backend.pins.pin(address, pe.port, pe.fingerprint)
    backend.pins.pin("elsewhere.example", pe.port, ":".join(["CD"] * 32))  # another PC's element: not in the plan
    try:
        facts = backend.connect_target(_answers(pc, pe))
        assert facts.inventory.kind is TargetKind.PRISM_CENTRAL
        assert {c.name for c in facts.inventory.clusters} == {SEED.name, "zelda"}
        assert facts.inventory.containers  # read through the first cluster's element
        assert facts.element_fingerprints == {pe.host: pe.fingerprint, SECOND_ADDRESS: pe.fingerprint}
        assert _logins(pc) == 1  # N+1 before: one more full connect per pinned element
        assert _logins(pe) == 2  # each cluster's element once
    finally:
        backend.close()


def test_first_unknown_element_is_offered_after_one_login(two_cluster_pc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pc, pe = two_cluster_pc
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    backend.pins.pin(pe.host, pe.port, pe.fingerprint)  # the first cluster's element only
    answers = _answers(pc, pe)
    try:
        with pytest.raises(UntrustedElementCertificate) as caught:
            backend.connect_target(answers)
        exc = caught.value
        assert (exc.address, exc.port, exc.cluster_name) == (SECOND_ADDRESS, pe.port, "zelda")
        assert exc.actual == pe.fingerprint and not exc.expected  # never seen: the page asks the user
        assert _logins(pc) == 1
        # The user trusts it (the page puts it into the answers) and connects again: one more login, no question.
        answers.element_fingerprints[exc.address] = exc.actual
        facts = backend.connect_target(answers)
        assert facts.element_fingerprints == {pe.host: pe.fingerprint, SECOND_ADDRESS: pe.fingerprint}
        assert backend.pins.get(SECOND_ADDRESS, pe.port) == pe.fingerprint
        assert _logins(pc) == 2
    finally:
        backend.close()


def test_a_pinned_element_with_a_new_certificate_stops_the_connect(two_cluster_pc, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pc, pe = two_cluster_pc
    backend = Backend(SessionSecrets(None), state_dir=tmp_path)
    stale = ":".join(["AB"] * 32)
    backend.pins.pin(pe.host, pe.port, stale)  # the element's certificate was replaced since
    backend.pins.pin(SECOND_ADDRESS, pe.port, pe.fingerprint)
    try:
        with pytest.raises(UntrustedElementCertificate) as caught:
            backend.connect_target(_answers(pc, pe))
        assert caught.value.address == pe.host and caught.value.expected == stale
        assert caught.value.actual == pe.fingerprint
        assert _logins(pc) == 1
    finally:
        backend.close()
