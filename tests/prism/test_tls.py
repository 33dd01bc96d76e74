"""HTTPS with fingerprint pinning against the lab Prism's self-signed certificate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.prism import PRISM_PASSWORD, PRISM_USER
from xtract_gui.domain.errors import CertificateMismatchError
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import connect_prism, probe_certificate
from xtract_gui.target.tls import normalize_fingerprint

pytestmark = pytest.mark.prism


@pytest.fixture
def tls_pc(prism_factory: Callable[..., PrismSimulator]) -> PrismSimulator:
    return prism_factory("pc", tls=True)


def test_probe_shows_the_servers_fingerprint(tls_pc: PrismSimulator) -> None:
    fingerprint = probe_certificate(tls_pc.host, tls_pc.port)
    assert fingerprint == tls_pc.fingerprint
    assert len(fingerprint.split(":")) == 32


def test_right_pin_connects(tls_pc: PrismSimulator) -> None:
    pin = tls_pc.fingerprint.lower().replace(":", "")  # any common spelling of the same pin
    target = connect_prism(tls_pc.host, PRISM_USER, PRISM_PASSWORD, port=tls_pc.port, expected_fingerprint=pin,
                           timeout=10)
    try:
        assert target.fingerprint == tls_pc.fingerprint
        assert [c.name for c in target.clusters()] == ["lab-ahv"]
    finally:
        target.close()


def test_wrong_pin_is_refused_before_any_credential_is_sent(tls_pc: PrismSimulator) -> None:
    wrong = "AA:" * 31 + "AA"
    with pytest.raises(CertificateMismatchError) as info:
        connect_prism(tls_pc.host, PRISM_USER, PRISM_PASSWORD, port=tls_pc.port, expected_fingerprint=wrong,
                      timeout=10)
    assert info.value.expected == wrong
    assert info.value.actual == tls_pc.fingerprint
    assert "not the one you accepted" in str(info.value)
    assert tls_pc.request_log == []  # the handshake failed: no request (no password) reached the server


def test_no_pin_and_untrusted_certificate_asks_to_accept_it(tls_pc: PrismSimulator) -> None:
    with pytest.raises(CertificateMismatchError) as info:
        connect_prism(tls_pc.host, PRISM_USER, PRISM_PASSWORD, port=tls_pc.port, timeout=10)
    assert info.value.actual == tls_pc.fingerprint
    assert "accept it" in str(info.value)
    assert tls_pc.fingerprint in str(info.value)


def test_trusted_ca_needs_no_pin(tls_pc: PrismSimulator, monkeypatch: pytest.MonkeyPatch,
                                 prism_connect: Callable[..., Any]) -> None:
    """A certificate the system trusts (here: via the CA bundle requests uses) passes without a pin."""
    import requests.adapters

    cert = tls_pc.state_dir / "tls" / "prism-cert.pem"
    monkeypatch.setattr(requests.adapters, "DEFAULT_CA_BUNDLE_PATH", str(cert))
    target = connect_prism(tls_pc.host, PRISM_USER, PRISM_PASSWORD, port=tls_pc.port, timeout=10)
    try:
        assert target.vms() == []
    finally:
        target.close()


def test_fingerprint_spellings() -> None:
    assert normalize_fingerprint("ab" * 32) == ":".join(["AB"] * 32)
    assert normalize_fingerprint("") == ""
    with pytest.raises(ValueError):
        normalize_fingerprint("AB:CD")


def test_pc_reaches_its_element_with_the_elements_own_pin(prism_factory: Callable[..., PrismSimulator]) -> None:
    from tests.prism.conftest import CLUSTER_UUID, SEED

    pc = prism_factory("pc", tls=True, seed=SEED)
    pe = prism_factory("pe", tls=True, seed=SEED)
    assert pc.fingerprint != pe.fingerprint
    common = dict(port=pc.port, expected_fingerprint=pc.fingerprint, element_port=pe.port, timeout=10)
    unpinned = connect_prism(pc.host, PRISM_USER, PRISM_PASSWORD, **common)  # type: ignore[arg-type]
    try:
        with pytest.raises(CertificateMismatchError) as info:
            unpinned.containers(CLUSTER_UUID)
        assert info.value.actual == pe.fingerprint
    finally:
        unpinned.close()
    pinned = connect_prism(pc.host, PRISM_USER, PRISM_PASSWORD, element_fingerprints={"127.0.0.1": pe.fingerprint},
                           **common)  # type: ignore[arg-type]
    try:
        assert {c.name for c in pinned.containers(CLUSTER_UUID)} == {"default-container", "SelfServiceContainer"}
    finally:
        pinned.close()
