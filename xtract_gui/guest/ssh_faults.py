"""SSH (paramiko) faults as our own errors, each with a sentence a person can act on.

Kept apart from the channel so that the channel module reads as the protocol it runs.
"""

from __future__ import annotations

import socket

import paramiko

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    ConnectionFailedError,
    GuestError,
    PermissionDeniedError,
    XtractError,
)
from ..domain.redact import scrub

KEYGEN_HINT = ("Compare it with what the guest's console shows for 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub' "
               "(or the key type named)")


def connect_failed(host: str, port: int, exc: BaseException) -> ConnectionFailedError:
    if isinstance(exc, ConnectionRefusedError):
        return ConnectionFailedError(f"{host}:{port} refused the SSH connection.",
                                     hint="Start sshd in the guest, or check the SSH port in the guest options.")
    if isinstance(exc, TimeoutError | socket.timeout):
        return ConnectionFailedError(f"No SSH answer from {host}:{port} in time.",
                                     hint="Check that this computer can reach the guest (firewall, routing, VPN).")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailedError(f"The guest address {host!r} does not resolve.",
                                     hint="Enter the guest's IP address in the guest options.")
    return ConnectionFailedError(f"Could not open an SSH connection to {host}:{port} ({type(exc).__name__}: {exc}).",
                                 hint="Check the address, the port and that sshd runs in the guest.")


def not_pinned(host: str, port: int, offered: str) -> CertificateMismatchError:
    """No pin in the plan: never trust on first use silently; the wizard shows the key and stores the pin."""
    return CertificateMismatchError(
        f"The SSH host key of {host}:{port} is not pinned in the plan; it offered {offered}.", expected="",
        actual=offered, hint=f"{KEYGEN_HINT}, then accept it in the wizard or put it in guest.ssh_host_key.")


def key_changed(host: str, port: int, expected: str, actual: str) -> CertificateMismatchError:
    return CertificateMismatchError(
        f"The SSH host key of {host}:{port} changed: the plan pins {expected}, the guest offered "
        f"{actual or 'no key of that type'}. Someone may be in the middle, or the guest was reinstalled.",
        expected=expected, actual=actual,
        hint=f"{KEYGEN_HINT}; only if it is the guest's new key, pin it again in the wizard.")


def handshake_failed(host: str, port: int, exc: BaseException) -> ConnectionFailedError:
    return ConnectionFailedError(f"The SSH handshake with {host}:{port} failed ({exc}).",
                                 hint="Check that the port is the guest's sshd and that it allows modern algorithms.",
                                 detail=repr(exc))


def auth_failed(host: str, user: str, how: str, exc: BaseException | None = None) -> AuthenticationError:
    return AuthenticationError(f"The guest {host} refused the SSH login of {user!r} with {how}.",
                               hint="Check the user name and the password or key stored for this guest; the "
                                    "account must be allowed to log in over SSH (sshd AllowUsers, PermitRootLogin).",
                               detail=repr(exc) if exc is not None else "")


def bad_key(why: str) -> XtractError:
    return AuthenticationError(f"The SSH private key stored for this guest cannot be used: {why}.",
                               hint="Store the private key (OpenSSH or PEM text) again with 'xtract-gui secret set'; "
                                    "an encrypted key is unlocked with the guest password.")


def sudo_refused(host: str, user: str, stderr: str, secrets: list[str]) -> PermissionDeniedError:
    words = scrub(stderr.strip(), secrets).splitlines()
    said = f" sudo said: {words[-1]}" if words else ""
    return PermissionDeniedError(
        f"{user!r} on {host} is not root and sudo refused to run the preparation as root.{said}",
        hint="Give the account sudo rights for all commands (e.g. a line 'USER ALL=(ALL) ALL' in "
             "/etc/sudoers.d/), store its password for sudo, or use the root account.",
        detail=scrub(stderr, secrets))


def unsafe_run_folder(host: str, path: str, why: str) -> PermissionDeniedError:
    return PermissionDeniedError(
        f"Refused to run anything in {host}: the run folder {path} is not safe ({why}). Another account could "
        "replace the script before it runs as root.",
        hint="Remove the folder or fix its owner and mode (owned by root or the guest account, not writable by "
             "group or others), then run the preparation again.")


def lost(host: str, what: str, exc: BaseException) -> XtractError:
    """The connection broke in the middle of an operation."""
    if isinstance(exc, XtractError):
        return exc
    if isinstance(exc, paramiko.SSHException | EOFError | OSError):
        return ConnectionFailedError(f"The SSH connection to {host} broke while {what} ({type(exc).__name__}: "
                                     f"{exc}).", hint="Check the network to the guest and run the step again.")
    return GuestError(f"SSH to {host} failed while {what} ({type(exc).__name__}: {exc}).",
                      hint="Run the step again; if it persists, check sshd's log in the guest.")
