"""Opening an SSH transport to a guest: the host key pin, the handshake restricted to the pinned key type,
private keys from the keyring.  Used by the SSH channel and by the wizard's host key probe."""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import socket

import paramiko

from ..domain.errors import ConfigurationError
from ..engine.ports import GuestTarget
from . import ssh_faults as faults

# Every paramiko failure becomes one of our errors with a hint (ssh_faults); paramiko's own ERROR lines
# with tracebacks (a guest still booting resets each attempt) would only repeat them in the app's log.
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)

# The handshake negotiates a signature algorithm, not a key type: an RSA key signs with any of these
# (SHA-1 "ssh-rsa" signatures only where this paramiko still offers them).
_KEY_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}
_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


def key_pin(key: paramiko.PKey) -> str:
    """"<type> SHA256:<base64 without padding>", as ``ssh-keygen -lf`` prints a host key's fingerprint."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode("ascii").rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def split_pin(pin: str) -> tuple[str, str]:
    kind, _, fingerprint = pin.strip().rpartition(" ")
    return kind, fingerprint


def connect(target: GuestTarget, timeout: float) -> paramiko.Transport:
    """A started (not yet authenticated) transport; with a pin, only the pinned key type may be offered."""
    host, port = target.host, target.port or 22
    kind = split_pin(target.host_key)[0]
    key_types = _KEY_ALGORITHMS.get(kind, (kind,)) if kind else ()
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise faults.connect_failed(host, port, exc) from None
    transport = paramiko.Transport(sock)
    transport.banner_timeout = transport.handshake_timeout = timeout
    if key_types:
        try:
            offered = [k for k in key_types if k in transport.preferred_keys]
            transport.get_security_options().key_types = offered or key_types
        except ValueError:
            transport.close()
            sock.close()
            raise ConfigurationError(f"The pinned SSH host key type {key_types[0]!r} of {host} is not supported.",
                                     hint="Pin the guest's Ed25519, ECDSA or RSA host key instead.") from None
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as exc:
        transport.close()
        sock.close()
        if key_types and "host key" in str(exc).lower():  # the pinned key type is not offered any more
            raise faults.key_changed(host, port, target.host_key, "") from None
        raise faults.handshake_failed(host, port, exc) from None
    return transport


def probe_host_key(host: str, port: int = 22, *, timeout: float = 15.0) -> str:
    """The pin of the host key a guest offers (the key type paramiko prefers), for the wizard to show."""
    transport = connect(GuestTarget(vm_id=host, os_family="linux", channel="ssh", host=host, user="",
                                     password="", port=port), timeout)
    try:
        return key_pin(transport.get_remote_server_key())
    finally:
        transport.close()


def load_private_key(text: str, passphrase: str) -> paramiko.PKey:
    for cls in _KEY_CLASSES:
        try:
            return cls.from_private_key(io.StringIO(text), password=passphrase or None)
        except paramiko.PasswordRequiredException:
            raise faults.bad_key("it is encrypted and no password was stored to unlock it") from None
        except paramiko.SSHException as exc:
            if "passphrase" in str(exc).lower() or "decrypt" in str(exc).lower():
                raise faults.bad_key("the stored password does not unlock it") from None
            continue
        except ValueError:
            continue
    raise faults.bad_key("it is not an Ed25519, ECDSA or RSA private key in OpenSSH or PEM form")
