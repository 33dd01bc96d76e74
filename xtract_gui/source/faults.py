"""pyVmomi faults and socket errors become the project's errors here, with a sentence a person can act on."""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterable
from xml.parsers.expat import ExpatError

from pyVmomi import vim, vmodl

from ..domain.errors import (
    AuthenticationError,
    ConflictError,
    ConnectionFailedError,
    NotFoundError,
    PermissionDeniedError,
    RemoteTaskError,
    TransientError,
    UnsupportedError,
    XtractError,
)
from ..domain.redact import scrub
from .tls import PinMismatch, connection_error, mismatch_error


def fault_text(fault: BaseException) -> str:
    msg = getattr(fault, "msg", "") or ""
    if not msg:
        for lm in getattr(fault, "faultMessage", None) or []:
            msg = getattr(lm, "message", "") or msg
    return msg or type(fault).__name__


def translate(exc: BaseException, *, action: str, host: str = "", port: int = 443,
              secrets: Iterable[str] = ()) -> XtractError:
    """The project error for ``exc`` raised while doing ``action`` ("create a snapshot of vm-12")."""
    if isinstance(exc, XtractError):
        return exc
    text = scrub(fault_text(exc) if isinstance(exc, vmodl.MethodFault) else str(exc), secrets)
    detail = f"{type(exc).__name__}: {text}"
    if isinstance(exc, PinMismatch):
        return mismatch_error(host, exc.expected, exc.actual)
    if isinstance(exc, vim.fault.InvalidLogin):
        return AuthenticationError("vCenter rejected the user name or password.",
                                   hint="Check both (user names usually look like administrator@vsphere.local) "
                                        "and that the account is not locked.", detail=detail)
    if isinstance(exc, vim.fault.NotAuthenticated):
        return AuthenticationError(f"The vCenter session ended while trying to {action}.",
                                   hint="Connect again; if it keeps happening, check vCenter's session timeout.",
                                   detail=detail)
    if isinstance(exc, vim.fault.NoPermission):
        privilege = getattr(exc, "privilegeId", "") or "?"
        obj = getattr(getattr(exc, "object", None), "_moId", "") or "the object"
        return PermissionDeniedError(f"The vCenter account lacks the privilege {privilege} on {obj} to {action}.",
                                     hint=f"Grant the account a role with {privilege} (propagated to the VMs), "
                                          "or use an account that has it.", detail=detail)
    if isinstance(exc, vmodl.fault.ManagedObjectNotFound):
        return NotFoundError(f"vCenter no longer has the object needed to {action}.",
                             hint="Refresh the inventory; the VM or snapshot was removed or re-registered.",
                             detail=detail)
    if isinstance(exc, vim.fault.TaskInProgress | vim.fault.InvalidState | vim.fault.ConcurrentAccess):
        return ConflictError(f"vCenter could not {action}: the VM is busy or in the wrong state ({text}).",
                             hint="Wait for the VM's running tasks to finish in the vSphere Client, then retry.",
                             detail=detail)
    if isinstance(exc, vim.fault.ToolsUnavailable):
        return UnsupportedError(f"Cannot {action}: VMware Tools is not running in the guest.",
                                hint="Start VMware Tools in the guest, or power the VM off instead.", detail=detail)
    if isinstance(exc, vmodl.fault.NotSupported):
        return UnsupportedError(f"vCenter does not support this: cannot {action}.", detail=detail)
    if isinstance(exc, vmodl.fault.HostCommunication):
        return TransientError(f"vCenter could not reach the ESXi host to {action}.",
                              hint="Retry in a moment; check the host's connection state in vCenter.", detail=detail)
    if isinstance(exc, vmodl.MethodFault):
        return RemoteTaskError(f"vCenter failed to {action}: {text}",
                               hint="See the task in the vSphere Client for details, fix the cause, then retry.",
                               detail=detail)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConnectionFailedError(f"The certificate of {host} could not be verified ({text}).",
                                     hint="Probe the server's certificate fingerprint and pin it.", detail=detail)
    if isinstance(exc, ConnectionRefusedError | socket.gaierror):
        return connection_error(host, port, exc) if host else ConnectionFailedError(
            f"Cannot reach vCenter to {action}.", hint="Check the network path to vCenter.", detail=detail)
    if isinstance(exc, http.client.HTTPException | ConnectionError | ExpatError | ssl.SSLError):
        # Reset, broken pipe, an answer that ended early (pyVmomi parses the SOAP body as it arrives, so a
        # body cut short is an XML error), a TLS record cut in two: the request may have been carried out.
        return TransientError(f"The connection to vCenter dropped while trying to {action}.",
                              hint="Retry; if it persists, check the network path to vCenter.", detail=detail)
    if isinstance(exc, TimeoutError):
        return TransientError(f"vCenter did not answer in time while trying to {action}.",
                              hint="Retry; if it persists, check vCenter's load and the network path to it.",
                              detail=detail)
    if isinstance(exc, OSError):
        return connection_error(host, port, exc) if host else ConnectionFailedError(
            f"Cannot reach vCenter to {action}.", hint="Check the network path to vCenter.", detail=detail)
    return XtractError(f"Unexpected error while trying to {action}: {text}", detail=detail)
