"""Transport faults between the vSphere adapter and vCenter (govmomi's simulator behind the fault proxy): a SOAP
answer lost or broken off becomes our error with a message, and the session works again afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.faultproxy import FaultProxy, Rule, Storm
from xtract_gui.domain.errors import ConnectionFailedError, TransientError, XtractError
from xtract_gui.source import connect_vsphere

pytestmark = pytest.mark.vcsim


@pytest.fixture
def soap(vcsim_factory: Callable[..., Any], fault_proxy: Callable[..., FaultProxy]) -> tuple[Any, FaultProxy]:
    sim = vcsim_factory(tls=False)
    proxy = fault_proxy(sim.port, seed=2)
    source = connect_vsphere("127.0.0.1", sim.user, sim.password, port=proxy.port, protocol="http", keepalive=0)
    yield source, proxy
    source.close()


@pytest.mark.parametrize("fault", ["after_request", "mid_answer", "truncate"])
def test_a_soap_answer_lost_or_broken_off_is_a_transient_error_then_it_works_again(
        soap: tuple[Any, FaultProxy], fault: str) -> None:
    source, proxy = soap
    vm_id = source.inventory().vms[0].vm_id
    proxy.add_rule(Rule(fault, rb"RetrievePropertiesEx"))
    with pytest.raises(TransientError) as info:
        source.get_vm(vm_id)
    assert "vCenter" in info.value.message and info.value.hint
    assert source.get_vm(vm_id).vm_id == vm_id
    assert proxy.injected == {fault: 1}


def test_a_soap_storm_gives_only_our_errors(soap: tuple[Any, FaultProxy]) -> None:
    source, proxy = soap
    vm_id = source.inventory().vms[0].vm_id
    proxy.storm = Storm(accept=0.1, after_request=0.1, mid_answer=0.1, truncate=0.1, delay=0.1,
                        delay_seconds=(0.01, 0.05))
    ok = 0
    for _ in range(25):
        try:
            source.get_vm(vm_id)
            source.list_snapshots(vm_id)
            ok += 1
        except XtractError as exc:
            assert isinstance(exc, TransientError | ConnectionFailedError), repr(exc)
            assert exc.hint, repr(exc)
    proxy.calm()
    assert source.get_vm(vm_id).vm_id == vm_id
    assert proxy.total() > 0 and ok > 0
