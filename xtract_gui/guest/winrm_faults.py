"""WinRM, requests and TLS faults turned into the project's errors, each saying what to do."""

from __future__ import annotations

import http.client
import ssl
import traceback

import requests
import urllib3
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError, WSManFaultError

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    ConnectionFailedError,
    GuestError,
    PermissionDeniedError,
    TransientError,
    XtractError,
)
from ..domain.redact import scrub
from ..netfaults import broken_tls_stream, never_sent
from ..tlspin import read_peer_fingerprint

ACCESS_DENIED = 5  # WSManFault code (Win32 ERROR_ACCESS_DENIED) when the token is not an admin's

ENABLE_WINRM_HINT = (
    "Enable WinRM in the guest (run 'winrm quickconfig' as an administrator; for HTTPS add a listener with "
    "'winrm quickconfig -transport:https') and allow TCP {port} in the Windows firewall and on any firewall "
    "between this computer and the guest; or use VMware Tools guest operations instead."
)
TOKEN_FILTER_HINT = (
    "Use an account in the local Administrators group. A local (non-domain) administrator gets a filtered "
    "token over WinRM unless HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System\\"
    "LocalAccountTokenFilterPolicy is set to 1 (DWORD); the built-in Administrator is filtered only when "
    "FilterAdministratorToken is 1. Use a domain admin account, or set the policy and try again."
)


def server_fingerprint(host: str, port: int, timeout: float = 10.0) -> str:
    """SHA-256 fingerprint of the certificate the server presents, or '' when it cannot be read."""
    try:
        return read_peer_fingerprint(host, port, timeout)
    except (OSError, ssl.SSLError):
        return ""


def _broken(where: str, detail: str) -> TransientError:
    return TransientError(f"The connection to {where} broke during the request.",
                          hint="Retry; guest tasks are safe to run again. If it keeps happening, check the network "
                               "path to the guest (VPN, firewall, a proxy that drops long connections).",
                          detail=detail)


def translate(exc: BaseException, *, host: str, port: int, https: bool, expected_fingerprint: str,
              secrets: list[str], timeout: float) -> XtractError:
    """One WinRM-side failure as an error a person can act on; remote words go to ``detail``, scrubbed."""
    where = f"WinRM on {host}:{port}"
    detail = scrub(repr(exc), secrets)
    if isinstance(exc, XtractError):
        return exc
    if isinstance(exc, requests.exceptions.SSLError) and broken_tls_stream(exc):
        return _broken(where, detail)
    if isinstance(exc, requests.exceptions.SSLError):
        actual = server_fingerprint(host, port)
        if expected_fingerprint:
            return CertificateMismatchError(
                f"The certificate of {where} does not match the pinned fingerprint.",
                expected=expected_fingerprint, actual=actual,
                hint=(f"The guest presented {actual or 'a certificate that could not be read'}. If the guest's "
                      "WinRM certificate was renewed on purpose, check it on the guest (Get-ChildItem "
                      "WSMan:\\localhost\\Listener) and pin the new fingerprint; otherwise someone may be "
                      "intercepting the connection."),
            )
        return ConnectionFailedError(
            f"The certificate of {where} is not trusted by this computer.",
            hint=(f"Pin it: enter its SHA-256 fingerprint ({actual or 'read it on the guest'}) in the guest "
                  "credentials page after checking it on the guest (Get-ChildItem Cert:\\LocalMachine\\My)."),
            detail=detail,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ConnectionFailedError(f"{where} did not answer within {timeout:.0f} s.",
                                     hint=ENABLE_WINRM_HINT.format(port=port), detail=detail)
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return TransientError(f"{where} accepted the connection but did not reply within {timeout:.0f} s.",
                              hint="The guest may be overloaded; try again, or raise the WinRM timeout.",
                              detail=detail)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError | \
                  http.client.HTTPException | urllib3.exceptions.HTTPError | ConnectionResetError | BrokenPipeError):
        return _broken(where, detail)
    if isinstance(exc, requests.exceptions.ConnectionError) and not never_sent(exc):
        return _broken(where, detail)  # the connection was made: WinRM is there, the network dropped it
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ConnectionFailedError(f"Cannot connect to {where} (connection refused or reset).",
                                     hint=ENABLE_WINRM_HINT.format(port=port), detail=detail)
    if isinstance(exc, InvalidCredentialsError):
        scheme = "HTTPS" if https else "HTTP"
        return AuthenticationError(
            f"{where} rejected the user name or password ({scheme}).",
            hint=("Check the guest account (DOMAIN\\user, or .\\user for a local account), its password, and "
                  "that it is not locked out."),
            detail=detail,
        )
    if isinstance(exc, WSManFaultError):
        if exc.wsman_fault_code == ACCESS_DENIED or exc.code == 403:
            return PermissionDeniedError(f"{where} accepted the password but denied access to the account.",
                                         hint=TOKEN_FILTER_HINT, detail=scrub(str(exc.reason), secrets))
        return GuestError(f"{where} refused the request: {scrub(str(exc.reason), secrets)}",
                          hint="Check the WinRM service configuration on the guest (winrm get winrm/config).",
                          detail=detail)
    if isinstance(exc, WinRMTransportError):
        if exc.code == 403:
            return PermissionDeniedError(f"{where} denied access to the account.", hint=TOKEN_FILTER_HINT,
                                         detail=detail)
        return GuestError(f"{where} answered HTTP {exc.code}.",
                          hint="Check the WinRM service on the guest (winrm get winrm/config) and try again.",
                          detail=detail)
    if isinstance(exc, WinRMError):
        return GuestError(f"{where} failed: {scrub(str(exc), secrets)}", hint="Check the WinRM settings.",
                          detail=detail)
    if isinstance(exc, OSError):
        return ConnectionFailedError(f"Cannot reach {where}: {exc.strerror or exc}.",
                                     hint=ENABLE_WINRM_HINT.format(port=port), detail=detail)
    # Not a failure we know: keep where it happened (the innermost frames), so the log can say more than its name.
    trace = "".join(traceback.format_exception(exc)[-4:])
    return GuestError(f"{where} failed unexpectedly ({type(exc).__name__}).", hint="See the log for details.",
                      detail=scrub(trace, secrets))
