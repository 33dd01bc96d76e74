"""What a person reads when a connection fails (issue 15.11): the port really used, a plain-HTTP port named as
such instead of OpenSSL's WRONG_VERSION_NUMBER, and a missing keyring in words instead of an exception name."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from xtract_gui.domain.errors import ConfigurationError, ConnectionFailedError
from xtract_gui.source.tls import probe_certificate as probe_vcenter
from xtract_gui.target.tls import probe_certificate as probe_prism
from xtract_gui.tlspin import unreachable


@pytest.fixture
def http_port() -> Iterator[int]:
    """A plain HTTP server: what answers when someone types the wrong port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("probe", [probe_vcenter, probe_prism])
def test_a_plain_http_port_is_named_as_such(http_port: int, probe) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConnectionFailedError) as caught:
        probe("127.0.0.1", http_port, timeout=5)
    said = str(caught.value)
    assert f"127.0.0.1:{http_port} does not answer in HTTPS" in said
    assert "WRONG_VERSION_NUMBER" not in said and "SSLError" not in said


def test_a_timeout_names_the_port_that_was_used() -> None:
    said = str(unreachable("vc.example", 8443, TimeoutError("timed out"), product="vCenter"))
    assert "vc.example:8443 did not answer in time" in said and "TCP 8443)" in said and "TCP 443" not in said


def test_a_refused_port_and_an_unknown_name() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        with pytest.raises(ConnectionFailedError, match=f"127.0.0.1:{port} refused the connection"):
            probe_prism("127.0.0.1", port, timeout=5)
    assert "cannot be resolved" in str(unreachable("nowhere.invalid", 9440, socket.gaierror(-2, "x"), product="Prism"))


def test_no_keyring_is_said_in_words() -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    from xtract_gui.wiring import KeyringSecrets

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        with pytest.raises(ConfigurationError) as caught:
            KeyringSecrets().set("xtract-gui", "u@h", "pw")
    finally:
        keyring.set_keyring(previous)
    said = str(caught.value)
    assert "no keyring service" in said and "NoKeyringError" not in said
