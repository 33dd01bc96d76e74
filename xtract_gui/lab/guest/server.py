"""Start and stop the lab's WinRM listeners: one loopback port per simulated guest."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ...tlspin import format_fingerprint
from .ntlm import cert_hash_of, register
from .state import WindowsGuest
from .wsman import Endpoint, _Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-request or refusing our certificate (a pin mismatch) is routine here


_HOST_NAME = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*")  # letters, digits, hyphens (RFC 1123)


def _dns_names(host: str) -> list[x509.GeneralName]:
    """The host name as a DNS SAN: a dNSName is IA5 (ASCII), so a non-ASCII name goes in as its IDNA A-label
    ("xn--…", RFC 5280 7.2); a name IDNA refuses (a space, say) is left out and the IP SAN names the guest."""
    try:
        label = host.encode("idna").decode("ascii")
    except UnicodeError:
        return []
    return [x509.DNSName(label)] if _HOST_NAME.fullmatch(label) else []


def self_signed(common_name: str, workdir: Path) -> tuple[Path, Path, str]:
    """A throw-away certificate like the one ``winrm quickconfig -transport:https`` wants; (cert, key, sha256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([*_dns_names(common_name),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = workdir / "winrm.crt", workdir / "winrm.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path, format_fingerprint(cert.public_bytes(serialization.Encoding.DER))


class WinRmLab:
    """Hosts any number of simulated Windows guests, each on its own 127.0.0.1 port."""

    def __init__(self) -> None:
        self.endpoints: list[Endpoint] = []
        self._tmp = tempfile.TemporaryDirectory(prefix="xtract-winrm-lab-")

    def add_guest(self, guest: WindowsGuest, *, https: bool = False, port: int = 0,
                  cert_dir: Path | None = None) -> Endpoint:
        """``port`` 0: any free one; ``cert_dir`` keeps the guest's certificate, so a lab started again there
        presents the same one (and the fingerprint a plan pinned still holds)."""
        handler = type("GuestHandler", (_Handler,), {})
        server = _Server(("127.0.0.1", port), handler)
        fingerprint = ""
        cert_hash = None
        register(guest.accounts)
        if https:
            workdir = cert_dir or Path(self._tmp.name) / f"guest{len(self.endpoints)}"
            workdir.mkdir(parents=True, exist_ok=True)
            if (workdir / "winrm.crt").exists() and (workdir / "winrm.key").exists():
                cert, key = workdir / "winrm.crt", workdir / "winrm.key"
                fingerprint = format_fingerprint(x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(
                    serialization.Encoding.DER))
            else:
                cert, key, fingerprint = self_signed(guest.hostname.lower(), workdir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            # The handshake happens in the connection's own thread (_Handler.setup), not in accept().
            server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
            cert_hash = cert_hash_of(cert)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                  name=f"winrm-lab-{guest.hostname}", daemon=True)
        endpoint = Endpoint(guest=guest, server=server, thread=thread, https=https, fingerprint=fingerprint,
                            cert_hash=cert_hash)
        handler.endpoint = endpoint
        thread.start()
        self.endpoints.append(endpoint)
        return endpoint

    def close(self) -> None:
        for endpoint in self.endpoints:
            with endpoint.lock:
                for shell in endpoint.shells.values():
                    for cmd in shell.commands.values():
                        cmd.terminated.set()
            endpoint.server.shutdown()
            endpoint.server.server_close()
            endpoint.thread.join(timeout=5)
        self.endpoints.clear()
        self._tmp.cleanup()

    def __enter__(self) -> WinRmLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
