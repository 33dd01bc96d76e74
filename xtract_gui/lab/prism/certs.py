"""A self-signed certificate for the lab Prism, like the one a fresh cluster serves on 9440."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.x509 import GeneralName


def make_self_signed(directory: Path, common_name: str = "127.0.0.1") -> tuple[Path, Path]:
    """Write ``prism-cert.pem`` and ``prism-key.pem`` into ``directory`` (reused when present).

    The names are 127.0.0.1, localhost and ``common_name`` when it is another IP address (a lab element on
    127.0.0.2): the adapter pins fingerprints, but a browser or curl should see its own address named."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    cert_path, key_path = directory / "prism-cert.pem", directory / "prism-key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Nutanix (xtract-gui lab)")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName(_names(common_name)), critical=False)
            .sign(key, hashes.SHA256()))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def _names(common_name: str) -> list[GeneralName]:
    from cryptography import x509

    names: list[GeneralName] = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
    try:
        address = ipaddress.ip_address(common_name)
    except ValueError:
        return names
    if str(address) != "127.0.0.1":
        names.insert(0, x509.IPAddress(address))
    return names
