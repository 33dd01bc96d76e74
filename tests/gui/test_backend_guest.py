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


def test_the_wizards_ssh_test_shows_the_host_key_then_runs_with_it_pinned(tmp_path: Path) -> None:
    """Issue 13.1 in the wizard, against a real OpenSSH server: the first Test reads the key the guest offers
    (nothing is sent), the person pins it, the next Test runs the root check through sudo; a different key later
    is a failed test that says the key changed."""
    from tests.guest_scripts.debian_root import writable_root
    from tests.support.sshd import PASSWORD, chrooted_sshd
    from xtract_gui.domain.inventory import OsFamily

    backend = Backend(SessionSecrets(None), state_dir=tmp_path, wiring=wiring)
    with writable_root(tmp_path / "root") as root, chrooted_sshd(root) as sshd:
        vm = replace(preview.SOURCE.vm("vm-104"), guest_family=OsFamily.LINUX, guest_ips=(sshd.host,))
        g = GuestAnswers(GuestChannelKind.SSH, "migsvc", PASSWORD, ssh_port=sshd.port)
        offered = backend.test_guest(vm, g)
        assert offered.ok is None and offered.host_key == sshd.host_key_pin
        assert sshd.run("ls", "/tmp").stdout.strip() == ""  # nothing was run on the guest
        pinned = backend.test_guest(vm, replace(g, ssh_host_key=offered.host_key))
        assert pinned.ok, pinned.message
        other = sshd.host_key_pin.split(" ")[0] + " SHA256:" + "A" * 43  # the same key type, another key
        from xtract_gui.gui.wizard.guest_check import test_failure

        try:
            changed = backend.test_guest(vm, replace(g, ssh_host_key=other))
        except Exception as exc:  # the page turns a channel that cannot open into a failed test
            changed = test_failure(exc)
        assert changed.ok is False and "key" in changed.message.lower()
