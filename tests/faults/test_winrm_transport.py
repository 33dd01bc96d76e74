"""Transport faults between the WinRM channel (pywinrm) and a guest (the lab's WS-Management server behind the
fault proxy): a connection that breaks after it was made is a transient fault, not "enable WinRM"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.guest.test_winrm_channel import HTTP, manifest_task
from tests.support.faultproxy import FaultProxy, Rule
from tests.support.winrm import winrm_target
from xtract_gui.domain.errors import ConnectionFailedError, TransientError
from xtract_gui.lab.guest import Endpoint

pytestmark = pytest.mark.guest


@pytest.mark.parametrize("fault", ["after_request", "mid_answer", "truncate"])
def test_a_winrm_answer_lost_mid_task_is_transient_and_the_next_run_works(
        windows_guest: Endpoint, fault_proxy: Callable[..., FaultProxy], fault: str) -> None:
    proxy = fault_proxy(windows_guest.port)
    channel = HTTP.open(winrm_target(windows_guest, port=proxy.port))
    try:
        task = manifest_task("win.check_admin")
        assert channel.run_task(task, "Write-Output 'lab'", {}, timeout=30).ok
        proxy.add_rule(Rule(fault, rb"^POST /wsman", skip=1))
        with pytest.raises(TransientError) as info:
            channel.run_task(task, "Write-Output 'lab'", {}, timeout=30)
        assert "Enable WinRM" not in info.value.hint and info.value.hint
        assert channel.run_task(task, "Write-Output 'lab'", {}, timeout=30).ok
    finally:
        channel.close()
    assert proxy.injected == {fault: 1}


def test_a_guest_that_resets_every_new_connection_is_said_plainly(
        windows_guest: Endpoint, fault_proxy: Callable[..., FaultProxy]) -> None:
    proxy = fault_proxy(windows_guest.port)
    proxy.add_rule(Rule("accept", times=0))
    with pytest.raises((TransientError, ConnectionFailedError)) as info:
        HTTP.open(winrm_target(windows_guest, port=proxy.port)).close()
    assert "network" in info.value.hint or "WinRM" in info.value.hint
