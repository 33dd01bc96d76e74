"""The wizard's guest Test button (``Backend.test_guest``) over the real WinRM channel against the lab's
WS-Management guest: the page's Authentication choice is what goes on the wire."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.winrm import LAB_PASSWORD, LAB_USER
from xtract_gui import wiring
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.gui import preview
from xtract_gui.gui.wizard.backend import Backend, SessionSecrets
from xtract_gui.gui.wizard.flow import GuestAnswers

pytestmark = [pytest.mark.guest]


@pytest.mark.parametrize("auth", ["ntlm", "basic"])
def test_guest_test_uses_the_chosen_winrm_authentication(windows_guest_https, tmp_path: Path, auth: str) -> None:  # type: ignore[no-untyped-def]
    backend = Backend(SessionSecrets(None), state_dir=tmp_path, wiring=wiring)
    vm = replace(preview.SOURCE.vm("vm-101"), guest_ips=("127.0.0.1",))
    g = GuestAnswers(GuestChannelKind.WINRM, LAB_USER, LAB_PASSWORD, winrm_auth=auth,
                     winrm_port=windows_guest_https.port, fingerprint=windows_guest_https.fingerprint)
    result = backend.test_guest(vm, g)
    assert result.ok, result.message
    schemes = set(windows_guest_https.auth_schemes)
    assert schemes and all(s.startswith(auth) for s in schemes), schemes
