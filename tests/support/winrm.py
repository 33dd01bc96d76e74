"""pytest fixtures for the WinRM peer: the lab's simulated Windows guests, served over WS-Management.

``winrm_lab`` hosts guests (one loopback port each); ``windows_guest`` is one guest on plain HTTP and
``windows_guest_https`` one on HTTPS with a self-signed certificate (pin: ``endpoint.fingerprint``).
``winrm_target(endpoint, **changes)`` builds the ``GuestTarget`` the product would build.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from xtract_gui.engine.ports import GuestTarget
from xtract_gui.lab.guest import Endpoint, WindowsGuest, WinRmLab

LAB_USER = "Administrator"
LAB_PASSWORD = "Passw0rd!"


def winrm_target(endpoint: Endpoint, **changes: Any) -> GuestTarget:
    target = GuestTarget(vm_id=f"vm-{endpoint.guest.hostname.lower()}", os_family="windows", channel="winrm",
                         host="127.0.0.1", user=LAB_USER, password=LAB_PASSWORD, port=endpoint.port,
                         https=endpoint.https, allow_http_ntlm=not endpoint.https,
                         fingerprint=endpoint.fingerprint)
    return replace(target, **changes)


@pytest.fixture
def winrm_lab() -> Iterator[WinRmLab]:
    lab = WinRmLab()
    yield lab
    lab.close()


@pytest.fixture
def windows_guest(winrm_lab: WinRmLab) -> Endpoint:
    """A Windows Server 2019 guest with the built-in Administrator, on http://127.0.0.1:<port>/wsman."""
    return winrm_lab.add_guest(WindowsGuest())


@pytest.fixture
def windows_guest_https(winrm_lab: WinRmLab) -> Endpoint:
    return winrm_lab.add_guest(WindowsGuest(hostname="WIN-TLS01"), https=True)
