"""Faults the simulator cannot produce (it enforces no privileges): their translation, message and hint."""

from __future__ import annotations

from pyVmomi import vim, vmodl

from xtract_gui.domain.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RemoteTaskError,
    TransientError,
    UnsupportedError,
)
from xtract_gui.source.faults import translate


def test_no_permission_names_the_privilege() -> None:
    fault = vim.fault.NoPermission(privilegeId="VirtualMachine.State.CreateSnapshot",
                                   object=vim.VirtualMachine("vm-12"))
    error = translate(fault, action="create a snapshot of vm-12")
    assert isinstance(error, PermissionDeniedError)
    assert "VirtualMachine.State.CreateSnapshot" in str(error) and "vm-12" in str(error)
    assert error.hint


def test_vsphere_faults_map_to_project_errors() -> None:
    assert isinstance(translate(vim.fault.InvalidLogin(), action="log in"), AuthenticationError)
    assert isinstance(translate(vim.fault.NotAuthenticated(), action="x"), AuthenticationError)
    assert isinstance(translate(vmodl.fault.ManagedObjectNotFound(obj=vim.VirtualMachine("vm-1")), action="x"),
                      NotFoundError)
    assert isinstance(translate(vim.fault.TaskInProgress(), action="x"), ConflictError)
    assert isinstance(translate(vim.fault.InvalidPowerState(), action="x"), ConflictError)
    assert isinstance(translate(vim.fault.ToolsUnavailable(), action="shut down the guest"), UnsupportedError)
    assert isinstance(translate(vmodl.fault.HostCommunication(), action="x"), TransientError)
    assert isinstance(translate(vim.fault.FileFault(file="[ds] a.vmdk"), action="x"), RemoteTaskError)
    assert isinstance(translate(ConnectionResetError(), action="x"), TransientError)


def test_secrets_never_reach_messages() -> None:
    fault = vmodl.fault.SystemError(msg="login failed for password=Hunter2secret", reason="")
    error = translate(fault, action="log in", secrets=["Hunter2secret"])
    assert "Hunter2secret" not in str(error) + error.detail
