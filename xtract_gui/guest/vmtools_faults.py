"""vSphere guest-operations faults turned into the project's errors, each saying what to do."""

from __future__ import annotations

import http.client
import ssl
from xml.parsers.expat import ExpatError

import requests
from pyVmomi import vim, vmodl

from ..domain.errors import (
    AuthenticationError,
    CertificateMismatchError,
    ConnectionFailedError,
    GuestError,
    NotFoundError,
    PermissionDeniedError,
    TransientError,
    UnsupportedError,
    XtractError,
)
from ..domain.redact import scrub
from ..netfaults import broken_tls_stream, never_sent

TOOLS_HINT = ("Power the VM on and make sure VMware Tools is running in the guest (the VM's Summary shows "
              "\"VMware Tools: Running\"), then try again; or use WinRM for a Windows guest.")


NO_CERT_HINT = ("In vCenter, refresh or renew the ESXi host's certificate (Configure > System > Certificate) so "
                "that vCenter knows it, or use the WinRM channel for a Windows guest.")


def no_host_certificate(vm: str, host: str) -> ConnectionFailedError:
    """vCenter knows no certificate for the host: the transfer cannot be checked, so it is not made."""
    return ConnectionFailedError(
        f"vCenter has no certificate for ESXi host {host}, which runs {vm}, so the guest file transfer "
        "cannot be verified and was not made.", hint=NO_CERT_HINT)


def host_certificate_mismatch(vm: str, host: str, expected: str, actual: str, detail: str) -> CertificateMismatchError:
    error = CertificateMismatchError(
        f"ESXi host {host} (running {vm}) presented a certificate ({actual or 'unreadable'}) that is not the one "
        f"vCenter lists for it ({expected}); the guest file transfer was refused.",
        expected=expected, actual=actual,
        hint="If the host's certificate was just renewed, refresh it in vCenter and try again; otherwise something "
             "between this computer and the host intercepts TLS: ask the network team.")
    error.detail = detail
    return error


def _fault_text(exc: BaseException, secrets: list[str]) -> str:
    msg = getattr(exc, "msg", "") or str(exc)
    return scrub(f"{type(exc).__name__}: {msg}", secrets)


def translate(exc: BaseException, *, vm: str, secrets: list[str]) -> XtractError:
    detail = _fault_text(exc, secrets)
    if isinstance(exc, XtractError):
        return exc
    if isinstance(exc, vim.fault.InvalidGuestLogin):
        return AuthenticationError(f"The guest of {vm} rejected the user name or password (VMware Tools).",
                                   hint="Check the guest account and its password (DOMAIN\\user for a domain "
                                        "account) and that it is not locked.", detail=detail)
    if isinstance(exc, vim.fault.GuestPermissionDenied):
        return PermissionDeniedError(f"The guest account may not do this in {vm}.",
                                     hint="Use an administrator (Windows) or root (Linux) account for guest "
                                          "preparation.", detail=detail)
    if isinstance(exc, vim.fault.GuestComponentsOutOfDate):
        return UnsupportedError(f"VMware Tools in {vm} is too old for guest operations.",
                                hint="Upgrade VMware Tools in the guest, or use WinRM for a Windows guest.",
                                detail=detail)
    if isinstance(exc, vim.fault.GuestOperationsUnavailable | vim.fault.InvalidPowerState |
                  vim.fault.InvalidState):
        return GuestError(f"VMware Tools guest operations are not available in {vm} right now.", hint=TOOLS_HINT,
                          detail=detail)
    if isinstance(exc, vim.fault.GuestProcessNotFound):
        return GuestError(f"The guest process in {vm} disappeared before its result was read.",
                          hint="Run the task again; the guest may have restarted.", detail=detail)
    if isinstance(exc, vim.fault.FileNotFound):
        return NotFoundError(f"A file or folder is missing in {vm}: {getattr(exc, 'file', '') or '?'}.",
                             hint="Check the path, and that the guest account may read and write its temp folder.",
                             detail=detail)
    if isinstance(exc, vim.fault.GuestOperationsFault):
        return GuestError(f"A VMware Tools guest operation failed in {vm}.",
                          hint="See the log for the guest's own words.", detail=detail)
    if isinstance(exc, vim.fault.NoPermission | vmodl.fault.SecurityError):
        return PermissionDeniedError(
            f"The vCenter account may not run guest operations on {vm}.",
            hint="Grant it VirtualMachine.GuestOperations.Execute, .Modify and .Query on the VM.", detail=detail)
    if isinstance(exc, vmodl.fault.ManagedObjectNotFound):
        return NotFoundError(f"VM {vm} no longer exists in vCenter.", hint="Refresh the inventory.", detail=detail)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
                  | requests.exceptions.ReadTimeout) or (
            isinstance(exc, requests.exceptions.ConnectionError) and not never_sent(exc)
            and (not isinstance(exc, requests.exceptions.SSLError) or broken_tls_stream(exc))):
        return TransientError(f"A file transfer to or from {vm} broke off.",
                              hint="Run the task again; if it keeps happening, check the network path to the ESXi "
                                   "hosts.", detail=detail)
    if isinstance(exc, http.client.HTTPException | ConnectionError | ExpatError | ssl.SSLError | TimeoutError):
        # The SOAP call to vCenter (pyVmomi parses the answer as it arrives: cut short, it is an XML error).
        return TransientError(f"The connection to vCenter dropped during a guest operation on {vm}.",
                              hint="Run the task again (guest tasks are safe to repeat); if it keeps happening, check "
                                   "the network path to vCenter.", detail=detail)
    if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
        return ConnectionFailedError(f"Cannot reach the ESXi host that serves file transfers for {vm}.",
                                     hint="Allow HTTPS (443) from this computer to the ESXi hosts, or use WinRM.",
                                     detail=detail)
    if isinstance(exc, requests.exceptions.HTTPError):
        return TransientError(f"A file transfer to or from {vm} failed ({detail}).", hint="Try again.",
                              detail=detail)
    if isinstance(exc, vmodl.MethodFault):
        return GuestError(f"vCenter refused a guest operation on {vm}.", hint="See the log for details.",
                          detail=detail)
    return GuestError(f"A guest operation on {vm} failed unexpectedly ({type(exc).__name__}).",
                      hint="See the log for details.", detail=detail)
