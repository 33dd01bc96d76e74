"""The vCenter privileges a migration needs, checked before anything is changed.

A missing privilege otherwise shows mid-job, possibly after a snapshot the account cannot remove.
``AuthorizationManager.HasPrivilegeOnEntities`` answers, for the logged-in session, which privileges it
holds on each VM, host and datastore; one call covers the whole inventory (in batches).  Privileges
this vCenter does not know (``privilegeList``, older versions) are not asked for, as forklift does
(kubev2v/forklift pkg/controller/provider/container/vsphere/permissions.go, commit
d42511bb28a605af9303b097333baa61d6c74a00).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import vim

from ..domain.inventory import MissingPrivilege
from .mapping import Topology
from .session import VSphereSession

VM_PRIVILEGES = (
    "VirtualMachine.State.CreateSnapshot",  # migration and guest-prep snapshots
    "VirtualMachine.State.RemoveSnapshot",
    "VirtualMachine.State.RevertToSnapshot",  # offered when guest preparation fails
    "VirtualMachine.Config.ChangeTracking",
    "VirtualMachine.Config.EditDevice",  # NICs disconnected at cutover (connected again on rollback)
    "VirtualMachine.Config.Annotation",
    "VirtualMachine.Interact.PowerOn",  # rollback
    "VirtualMachine.Interact.PowerOff",  # guest shutdown and power-off at cutover
    "VirtualMachine.GuestOperations.Query",  # the VMware Tools guest channel (readiness ignores these
    "VirtualMachine.GuestOperations.Modify",  # for VMs prepared over WinRM)
    "VirtualMachine.GuestOperations.Execute",
)
ENCRYPTED_VM_PRIVILEGES = ("Cryptographer.Decrypt",)  # an encrypted VM must be decrypted first
HOST_PRIVILEGES = ("System.Read",)
DATASTORE_PRIVILEGES = ("Datastore.Browse", "Datastore.FileManagement")  # /folder reads of the disks
BATCH = 500  # entities per HasPrivilegeOnEntities call


@dataclass
class VmEntities:
    """What one VM's migration touches."""

    vm: Any  # vim.VirtualMachine
    name: str
    host: Any | None
    datastores: list[Any] = field(default_factory=list)
    encrypted: bool = False


def vm_entities(vm: Any, name: str, props: dict[str, Any], encrypted: bool) -> VmEntities:
    datastores: dict[str, Any] = {}
    for d in props.get("config.hardware.device") or []:
        ds = getattr(getattr(d, "backing", None), "datastore", None) if isinstance(d, vim.vm.device.VirtualDisk) \
            else None
        if ds is not None:
            datastores.setdefault(ds._moId, ds)
    return VmEntities(vm=vm, name=name, host=props.get("runtime.host"), datastores=list(datastores.values()),
                      encrypted=encrypted)


def check(session: VSphereSession, session_key: str, available: Iterable[str], vms: list[VmEntities],
          topology: Topology) -> dict[str, tuple[MissingPrivilege, ...]]:
    """Missing privileges per VM moref value (VMs lacking nothing are left out)."""
    known = set(available)

    def wanted(ids: tuple[str, ...]) -> list[str]:
        return [p for p in ids if not known or p in known]

    if not session_key or not vms:
        return {}
    entities: dict[str, Any] = {}
    for v in vms:
        entities.setdefault(v.vm._moId, v.vm)
        if v.host is not None:
            entities.setdefault(v.host._moId, v.host)
        for ds in v.datastores:
            entities.setdefault(ds._moId, ds)
    privileges = wanted(VM_PRIVILEGES + ENCRYPTED_VM_PRIVILEGES + HOST_PRIVILEGES + DATASTORE_PRIVILEGES)
    auth = session.content.authorizationManager
    denied: dict[str, set[str]] = {}
    refs = list(entities.values())
    for start in range(0, len(refs), BATCH):
        batch = refs[start:start + BATCH]
        answer = session.call("check the account's privileges", lambda b=batch: auth.HasPrivilegeOnEntities(
            entity=b, sessionId=session_key, privId=privileges))
        for ep in answer or []:
            denied[ep.entity._moId] = {a.privId for a in ep.privAvailability or [] if not a.isGranted}

    def lacking(obj: Any, ids: tuple[str, ...], kind: str, name: str = "") -> list[MissingPrivilege]:
        gone = denied.get(obj._moId, set())
        return [MissingPrivilege(p, kind, name or topology.names.get(obj._moId, obj._moId))
                for p in wanted(ids) if p in gone]

    out: dict[str, tuple[MissingPrivilege, ...]] = {}
    for v in vms:
        found = lacking(v.vm, VM_PRIVILEGES + (ENCRYPTED_VM_PRIVILEGES if v.encrypted else ()), "VM", v.name)
        if v.host is not None:
            found += lacking(v.host, HOST_PRIVILEGES, "host")
        for ds in v.datastores:
            found += lacking(ds, DATASTORE_PRIVILEGES, "datastore")
        if found:
            out[v.vm._moId] = tuple(found)
    return out
