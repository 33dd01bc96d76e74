"""Connecting: TLS pinning, bad credentials, unreachable servers, session expiry and re-login."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.source.conftest import connect
from tests.support.vcsim import VcsimProcess
from xtract_gui.domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    ConnectionFailedError,
    XtractError,
)
from xtract_gui.source import connect_vsphere, probe_certificate
from xtract_gui.source.session import VSphereSession
from xtract_gui.source.tls import connection_error, pinned_context

pytestmark = pytest.mark.vcsim


def test_probe_gives_the_servers_sha256_fingerprint(vcsim: VcsimProcess) -> None:
    fp = probe_certificate(vcsim.host, vcsim.port)
    assert fp == vcsim.fingerprint and len(fp) == 95
    src = connect(vcsim, expected_fingerprint=fp.lower().replace(":", ""))  # any spelling of the same pin
    assert src.fingerprint == fp
    src.close()


def test_self_signed_without_pin_asks_to_probe_and_pin(vcsim: VcsimProcess) -> None:
    with pytest.raises(CertificateMismatchError) as err:
        connect(vcsim, expected_fingerprint="")
    assert err.value.actual == vcsim.fingerprint and err.value.expected == ""
    assert "accept it" in str(err.value)


def test_certificate_change_is_refused(vcsim_factory: Callable[..., VcsimProcess], tmp_path: Path) -> None:
    port = free_port()
    first = vcsim_factory(port=port, cert=tmp_path / "a.pem", key=tmp_path / "a.key")
    pin = probe_certificate(first.host, port)
    connect(first, expected_fingerprint=pin).close()
    first.stop()

    same = vcsim_factory(port=port, cert=tmp_path / "a.pem", key=tmp_path / "a.key")
    connect(same, expected_fingerprint=pin).close()  # restarted with its certificate: still trusted
    same.stop()

    other = vcsim_factory(port=port, cert=tmp_path / "b.pem", key=tmp_path / "b.key")
    assert other.fingerprint != pin
    with pytest.raises(CertificateMismatchError) as err:
        connect(other, expected_fingerprint=pin)
    assert (err.value.expected, err.value.actual) == (pin, other.fingerprint)
    assert pin in str(err.value) and other.fingerprint in str(err.value)


def test_the_pin_is_checked_in_every_handshake(vcsim: VcsimProcess) -> None:
    wrong = "AB:" * 31 + "AB"
    session = VSphereSession(vcsim.host, vcsim.port, "https", vcsim.user, vcsim.password, pinned_context(wrong),
                             keepalive=0)
    with pytest.raises(CertificateMismatchError) as err:
        session.connect()
    assert err.value.actual == vcsim.fingerprint


def test_wrong_password(vcsim: VcsimProcess) -> None:
    with pytest.raises(AuthenticationError) as err:
        connect_vsphere(vcsim.host, vcsim.user, "Wr0ng-s3cret!", port=vcsim.port,
                        expected_fingerprint=vcsim.fingerprint, host_access=None, keepalive=0)
    assert "Wr0ng-s3cret!" not in str(err.value) + err.value.detail
    assert "password" in str(err.value)


def test_closed_port_is_a_connection_failure() -> None:
    port = free_port()
    with pytest.raises(ConnectionFailedError) as err:
        connect_vsphere("127.0.0.1", "user", "pass", port=port, expected_fingerprint="AA:BB", keepalive=0)
    assert "refused" in str(err.value)
    with pytest.raises(ConnectionFailedError):
        probe_certificate("127.0.0.1", port, timeout=2)


def test_dns_failures_say_the_name_cannot_be_resolved() -> None:
    # A real lookup failure takes the resolver's full timeout on this offline machine; the mapping is
    # what matters here.
    error = connection_error("vc.example.invalid", 443, socket.gaierror(-2, "Name or service not known"))
    assert isinstance(error, ConnectionFailedError) and "cannot be resolved" in str(error)


def test_plain_http_for_the_lab(vcsim_factory: Callable[..., VcsimProcess]) -> None:
    sim = vcsim_factory(tls=False)
    src = connect(sim, protocol="http", expected_fingerprint="")
    try:
        assert src.fingerprint == ""
        vm = src.inventory().vms[0]
        snap = src.create_snapshot(vm.vm_id, "xtract-lab")
        reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
        assert reader.read(0, 4096) == sim.flat_file(vm.name).read_bytes()[:4096]
        reader.close()
    finally:
        src.close()


def test_terminated_session_logs_in_again_transparently(vcsim: VcsimProcess) -> None:
    src = connect(vcsim)
    admin = connect(vcsim)
    try:
        vm = src.inventory().vms[0]
        key = src.session.call("who am i", lambda: src.session.content.sessionManager.currentSession.key)
        sm = admin.session.content.sessionManager
        admin.session.call("terminate", lambda: sm.TerminateSession(sessionId=[key]))
        assert src.session.relogins == 0
        snap = src.create_snapshot(vm.vm_id, "xtract-after-expiry")  # NotAuthenticated → login → retried
        assert src.session.relogins == 1
        assert [s.snapshot_id for s in src.list_snapshots(vm.vm_id)] == [snap.snapshot_id]
        new_key = src.session.call("who am i", lambda: src.session.content.sessionManager.currentSession.key)
        assert new_key != key
        # Disk reads pick up the new session cookie as well.
        reader = src.open_disk_reader(vm.vm_id, snap.snapshot_id, vm.disks[0].key)
        assert reader.read(0, 16) == vcsim.flat_file(vm.name).read_bytes()[:16]
        reader.close()
    finally:
        src.close()
        admin.close()


def test_close_logs_out(vcsim: VcsimProcess) -> None:
    src = connect(vcsim)
    admin = connect(vcsim)
    try:
        sm = admin.session.content.sessionManager
        key = src.session.call("who am i", lambda: src.session.content.sessionManager.currentSession.key)
        assert key in admin.session.call("sessions", lambda: [s.key for s in sm.sessionList])
        src.close()
        assert key not in admin.session.call("sessions", lambda: [s.key for s in sm.sessionList])
        with pytest.raises(XtractError):
            src.inventory()
    finally:
        admin.close()


def test_keep_alive_touches_the_session(vcsim: VcsimProcess) -> None:
    src = connect(vcsim, keepalive=0.05)
    try:
        start = src.round_trips
        deadline = time.monotonic() + 10
        while src.round_trips == start and time.monotonic() < deadline:
            time.sleep(0.05)
        assert src.round_trips > start  # CurrentTime calls made by the keep-alive thread alone
    finally:
        src.close()
