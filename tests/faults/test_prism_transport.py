"""Transport faults between the Prism adapter and Prism (the lab simulator behind the fault proxy): every one
becomes our error with a message, idempotent requests are retried, a lost answer to a create is never
replayed blindly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.faultproxy import FaultProxy, Rule, Storm
from xtract_gui.domain.errors import ConnectionFailedError, TransientError, XtractError
from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import connect_prism

pytestmark = pytest.mark.prism
V2 = rb"/PrismGateway/services/rest/v2\.0"


def _through(proxy: FaultProxy, sim: PrismSimulator, **kw: Any) -> Any:
    from tests.support.prism import PRISM_PASSWORD, PRISM_USER

    kw.setdefault("protocol", "http")
    target = connect_prism("127.0.0.1", PRISM_USER, PRISM_PASSWORD, port=proxy.port, timeout=10, **kw)
    target.t.backoff = 0.01
    return target


@pytest.fixture
def pe(prism_factory: Callable[..., PrismSimulator]) -> PrismSimulator:
    return prism_factory("pe")


@pytest.fixture
def pc(prism_factory: Callable[..., PrismSimulator]) -> PrismSimulator:
    return prism_factory("pc")


def test_a_get_whose_answer_breaks_off_is_retried(pe: PrismSimulator, fault_proxy: Callable[..., FaultProxy]) -> None:
    proxy = fault_proxy(pe.port)
    target = _through(proxy, pe)
    proxy.add_rule(Rule("mid_answer", rb"^GET " + V2 + rb"/vms", times=2))
    proxy.add_rule(Rule("truncate", rb"^GET " + V2 + rb"/vms", times=2))
    assert target.vms() == []
    assert proxy.injected == {"mid_answer": 2, "truncate": 2}


def test_a_list_whose_answer_is_lost_is_retried_on_prism_central(pc: PrismSimulator,
                                                                 fault_proxy: Callable[..., FaultProxy]) -> None:
    proxy = fault_proxy(pc.port)
    target = _through(proxy, pc)
    proxy.add_rule(Rule("mid_answer", rb"^POST /api/nutanix/v3/vms/list ", times=1))
    proxy.add_rule(Rule("after_request", rb"^POST /api/nutanix/v3/vms/list ", times=1))
    assert target.vms() == []
    assert proxy.injected == {"mid_answer": 1, "after_request": 1}


def test_a_broken_answer_that_never_heals_is_a_transient_error(pe: PrismSimulator,
                                                               fault_proxy: Callable[..., FaultProxy]) -> None:
    proxy = fault_proxy(pe.port)
    target = _through(proxy, pe)
    proxy.add_rule(Rule("mid_answer", rb"^GET " + V2 + rb"/vms", times=0))
    with pytest.raises(TransientError) as info:
        target.vms()
    assert "kept breaking" in info.value.message and info.value.hint


def test_a_create_whose_answer_is_lost_is_not_sent_twice(pe: PrismSimulator,
                                                         fault_proxy: Callable[..., FaultProxy]) -> None:
    proxy = fault_proxy(pe.port)
    target = _through(proxy, pe)
    proxy.add_rule(Rule("mid_answer", rb"^POST " + V2 + rb"/images ", times=1))
    with pytest.raises(TransientError) as info:
        target.create_image_from_url("img", "c", "nfs://127.0.0.1/c/x")
    assert "may have" in str(info.value)
    posts = [p for m, p, _ in pe.request_log if m == "POST" and p.endswith("/images")]
    assert len(posts) == 1


@pytest.mark.parametrize("fault", ["accept", "after_request", "mid_answer", "truncate"])
def test_connecting_through_a_storm_is_our_error_or_works(pe: PrismSimulator, fault_proxy: Callable[..., FaultProxy],
                                                          fault: str) -> None:
    proxy = fault_proxy(pe.port, seed=11, storm=Storm(**{fault: 0.3}))
    for _ in range(5):
        try:
            target = _through(proxy, pe)
            target.clusters()
            target.close()
        except XtractError as exc:
            assert isinstance(exc, TransientError | ConnectionFailedError), repr(exc)
            assert exc.hint
    assert proxy.total() > 0


@pytest.mark.parametrize("fault", ["accept", "after_request", "mid_answer"])
def test_over_tls_a_reset_is_never_taken_for_a_changed_certificate(
        prism_factory: Callable[..., PrismSimulator], fault_proxy: Callable[..., FaultProxy], fault: str) -> None:
    sim = prism_factory("pe", tls=True)
    proxy = fault_proxy(sim.port, seed=5)
    target = _through(proxy, sim, protocol="https", expected_fingerprint=sim.fingerprint)
    proxy.add_rule(Rule(fault, times=2))
    assert target.vms() == []
    proxy.add_rule(Rule(fault, times=0))
    target.t.session.close()  # new connections from here on (an accept fault hits only those)
    with pytest.raises(XtractError) as info:
        target.vms()
    assert isinstance(info.value, TransientError | ConnectionFailedError), repr(info.value)
    assert proxy.injected[fault] >= 4
