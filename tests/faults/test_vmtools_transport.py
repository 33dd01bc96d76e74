"""Transport faults on the VMware Tools channel's SOAP calls (govmomi's simulator, its guest operations, behind the
fault proxy): an answer lost or broken off is a transient fault, and the next task runs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect

from tests.guest.test_vmtools_channel import PROBE, GuestOpsLab, guestops, task  # noqa: F401 - fixture
from tests.support.faultproxy import FaultProxy, Rule
from xtract_gui.domain.errors import TransientError
from xtract_gui.guest import GuestChannels, VmToolsChannelFactory

pytestmark = [pytest.mark.guest, pytest.mark.vcsim]


@pytest.fixture
def through_proxy(guestops: GuestOpsLab, fault_proxy: Callable[..., FaultProxy]  # noqa: F811
                  ) -> Iterator[tuple[Any, FaultProxy]]:
    port = int(guestops.base_url.rsplit(":", 1)[1])
    proxy = fault_proxy(port)
    si = SmartConnect(host="127.0.0.1", port=proxy.port, user="user", pwd="pass", protocol="http")
    yield si, proxy
    Disconnect(si)


@pytest.mark.parametrize("fault", ["after_request", "mid_answer", "truncate"])
def test_a_guest_operation_whose_answer_breaks_is_transient(guestops: GuestOpsLab,  # noqa: F811
                                                            through_proxy: tuple[Any, FaultProxy], fault: str,
                                                            tmp_path: Path) -> None:
    si, proxy = through_proxy
    channels = GuestChannels(vmtools=VmToolsChannelFactory(lambda: si, poll_interval=0.1))
    channel = channels.open(guestops.target())
    try:
        proxy.add_rule(Rule(fault, rb"StartProgramInGuest"))
        with pytest.raises(TransientError) as info:
            channel.run_task(task(), PROBE, {"answer": 1}, timeout=60)
        assert info.value.hint
        assert channel.run_task(task(), PROBE, {"answer": 2}, timeout=60).ok
    finally:
        channel.close()
    assert proxy.injected == {fault: 1}
