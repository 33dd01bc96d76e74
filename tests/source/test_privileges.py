"""Privileges: readiness names what the account lacks before anything is changed
(HasPrivilegeOnEntities against the simulator's permission model, xtract_gui/lab/vcsim/go/privileges.go)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pyVmomi import vim

from tests.domain.factories import plan, target
from xtract_gui.domain.errors import PermissionDeniedError
from xtract_gui.domain.inventory import MissingPrivilege
from xtract_gui.domain.plan import GuestChannelKind
from xtract_gui.domain.readiness import Severity, check_vm
from xtract_gui.source import VSphereSource

pytestmark = pytest.mark.vcsim

DROPPED = {"VirtualMachine.State.RemoveSnapshot", "Datastore.Browse", "VirtualMachine.GuestOperations.Execute"}


def restrict(source: VSphereSource, user: str) -> None:
    """What an administrator does in the vSphere Client: a role without three privileges, on the root."""
    content = source.session.content
    auth = content.authorizationManager

    def setup() -> None:
        base = next(r for r in auth.roleList if r.name == "Admin")
        role = auth.AddAuthorizationRole(name="xtract-restricted", privIds=[
            p for p in base.privilege if p not in DROPPED and not p.startswith("Cryptographer.")])
        auth.SetEntityPermissions(entity=content.rootFolder, permission=[vim.AuthorizationManager.Permission(
            principal=user, group=False, roleId=role, propagate=True)])

    source.session.call("restrict the account", setup)


def test_everything_granted_means_no_finding(source: VSphereSource) -> None:
    inv = source.inventory()
    assert all(v.missing_privileges == () for v in inv.vms)


def test_readiness_names_the_missing_privileges_per_vm_host_and_datastore(source: VSphereSource) -> None:
    restrict(source, source.session.user)
    vm = source.inventory().vms[0]
    assert set(vm.missing_privileges) == {
        MissingPrivilege("VirtualMachine.State.RemoveSnapshot", "VM", vm.name),
        MissingPrivilege("VirtualMachine.GuestOperations.Execute", "VM", vm.name),
        MissingPrivilege("Datastore.Browse", "datastore", "LocalDS_0"),
    }
    finding = {f.code: f for f in check_vm(vm, plan(vm), target())}["missing_privileges"]
    assert finding.severity is Severity.BLOCKER
    assert "VirtualMachine.State.RemoveSnapshot on VM" in finding.message
    assert "Datastore.Browse on datastore LocalDS_0" in finding.message
    assert "GuestOperations" not in finding.message  # the default plan prepares the guest over WinRM
    p = plan(vm)
    tools = replace(p, vms=(replace(p.vms[0], guest=replace(p.vms[0].guest, channel=GuestChannelKind.VMTOOLS)),))
    assert "VirtualMachine.GuestOperations.Execute" in {f.code: f for f in check_vm(vm, tools, target())}[
        "missing_privileges"].message
    # Without readiness, the job would find out only here: after a snapshot it cannot remove.
    snap = source.create_snapshot(vm.vm_id, "xtract-seed")
    with pytest.raises(PermissionDeniedError, match=r"VirtualMachine\.State\.RemoveSnapshot"):
        source.remove_snapshot(vm.vm_id, snap.snapshot_id)


def test_a_more_specific_permission_wins(source: VSphereSource) -> None:
    vms = source.inventory().vms
    content = source.session.content
    auth = content.authorizationManager
    read_only = next(r.roleId for r in auth.roleList if r.name == "ReadOnly")
    target_vm = vim.VirtualMachine(vms[1].vm_id, source.session.stub)
    source.session.call("read-only on one VM", lambda: auth.SetEntityPermissions(
        entity=target_vm, permission=[vim.AuthorizationManager.Permission(
            principal=source.session.user, group=False, roleId=read_only, propagate=False)]))
    after = {v.vm_id: v for v in source.inventory().vms}
    assert after[vms[0].vm_id].missing_privileges == ()
    lacking = {m.privilege for m in after[vms[1].vm_id].missing_privileges}
    assert {"VirtualMachine.State.CreateSnapshot", "VirtualMachine.Interact.PowerOff"} <= lacking
    assert all(m.entity_kind == "VM" for m in after[vms[1].vm_id].missing_privileges)
