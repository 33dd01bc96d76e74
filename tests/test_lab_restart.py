"""The demo lab started again in its folder comes back as it was (issue 15.3): the same ports, the same WinRM
certificates, the guests as guest preparation left them; a port taken meanwhile is followed by the plans."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from xtract_gui.lab.runner import Lab

pytestmark = pytest.mark.prism


def test_a_lab_started_again_keeps_its_endpoints_and_guests(tmp_path: Path) -> None:
    with Lab(tmp_path / "lab", vms=2, workload=False) as lab:
        first = lab.endpoints
        assert first is not None
        (vm_id,) = list(lab.guests)
        lab.guests[vm_id].write_file("C:\\ProgramData\\xtract\\network.json", b'{"nics": []}')
        lab.guests[vm_id].firstboot_installed = True
    with Lab(tmp_path / "lab", vms=2, workload=False) as again:
        now = again.endpoints
        assert now is not None
        assert (now.prism_port, now.guests) == (first.prism_port, first.guests)  # ports and certificates
        guest = again.guests[vm_id]
        assert guest.firstboot_installed and guest.read_file("C:\\ProgramData\\xtract\\network.json")
        assert again.current_plan(first.plan) == first.plan  # nothing to follow


def test_a_port_taken_meanwhile_is_followed_by_the_labs_plans(tmp_path: Path) -> None:
    with Lab(tmp_path / "lab", vms=1, workload=False) as lab:
        old = lab.endpoints
        assert old is not None
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", old.prism_port))  # another program took the port while the lab was off
        squatter.listen(1)
        with Lab(tmp_path / "lab", vms=1, workload=False) as lab:
            now = lab.endpoints
            assert now is not None and now.prism_port != old.prism_port
            followed = lab.current_plan(old.plan)
            assert followed.target.port == now.prism_port and followed.name == old.plan.name
            assert [v.guest for v in followed.vms] == [v.guest for v in now.plan.vms]
