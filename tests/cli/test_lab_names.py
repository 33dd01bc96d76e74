"""``xtract-gui lab serve`` with Windows VMs whose names are not ASCII, and what it leaves on disk."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from cryptography import x509

from tests.cli.test_cli import ROOT, env  # noqa: F401 - fixture
from xtract_gui.lab.source import LabSource

JAPANESE = ("会計サーバー01", "営業サーバー01")


def japanese_lab(state_dir: Path, names: tuple[str, ...] = JAPANESE, *, family: str = "windows") -> LabSource:
    """A lab source whose VMs carry ``names`` (``lab serve`` and ``Lab`` keep a lab that is already there)."""
    source = LabSource.create(state_dir, vms=len(names), guest_os_mix=(family,))
    with source.state.edit() as st:
        for raw, name in zip(sorted(st["vms"].values(), key=lambda v: v["name"]), names, strict=True):
            raw["name"] = name
    return source


def test_lab_serve_with_non_ascii_windows_names_starts_and_keeps_its_passwords_private(
        tmp_path: Path, env: dict[str, str]) -> None:  # noqa: F811
    state = tmp_path / "served"
    japanese_lab(state)
    proc = subprocess.Popen([sys.executable, "-m", "xtract_gui", "lab", "serve", "--state-dir", str(state)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (state / "endpoints.json").exists():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "lab serve did not start"
            time.sleep(0.1)
        endpoints = json.loads((state / "endpoints.json").read_text())
        assert stat.S_IMODE((state / "endpoints.json").stat().st_mode) == 0o600
        assert endpoints["passwords"]["guests"]  # what the file holds is why it is private
        assert len(endpoints["guests"]) == 2
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err


def test_a_guest_certificate_names_a_non_ascii_host_by_its_a_label(tmp_path: Path) -> None:
    from xtract_gui.lab.guest.server import self_signed

    cert_path, _, _ = self_signed("会計サーバー01", tmp_path)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["会計サーバー01".encode("idna").decode()]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    spaced, _, _ = self_signed("web server", tmp_path)  # not a host name IDNA takes: the IP SAN alone
    san = x509.load_pem_x509_certificate(spaced.read_bytes()).extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == []
