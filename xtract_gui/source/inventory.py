"""Reading the inventory with the PropertyCollector: a constant number of round trips for any VM count.

One ContainerView over the root folder and one RetrievePropertiesEx (plus ContinueRetrievePropertiesEx
pages of 1,000 objects) fetch every VM with its devices together with the folders, hosts, clusters
and networks needed to name things; never one call per VM.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from pyVmomi import vim, vmodl

from ..domain.errors import NotFoundError, XtractError
from ..domain.inventory import SourceHost, SourceInventory
from . import privileges
from .mapping import TOPOLOGY_PROPERTIES, VM_PROPERTIES, Topology, map_vm, props_of
from .session import VSphereSession

log = logging.getLogger(__name__)

_NETWORK_KINDS = ("Network", "DistributedVirtualPortgroup", "OpaqueNetwork")


def _view_specs(view: Any, types: dict[type, list[str]]) -> list[Any]:
    pc = vmodl.query.PropertyCollector
    traverse = pc.TraversalSpec(name="view", path="view", skip=False, type=vim.view.ContainerView)
    return [pc.FilterSpec(
        objectSet=[pc.ObjectSpec(obj=view, skip=True, selectSet=[traverse])],
        propSet=[pc.PropertySpec(type=t, pathSet=paths) for t, paths in types.items()],
    )]


def _session_specs(content: Any) -> list[Any]:
    """The session's key and the privileges this vCenter knows, read along with the inventory."""
    pc = vmodl.query.PropertyCollector
    return [pc.FilterSpec(
        objectSet=[pc.ObjectSpec(obj=content.sessionManager, skip=False),
                   pc.ObjectSpec(obj=content.authorizationManager, skip=False)],
        propSet=[pc.PropertySpec(type=vim.SessionManager, pathSet=["currentSession"]),
                 pc.PropertySpec(type=vim.AuthorizationManager, pathSet=["privilegeList"])])]


def collect(session: VSphereSession, action: str, types: dict[type, list[str]], *,
            with_session: bool = False) -> list[Any]:
    """Every object of ``types`` below the root folder: 3 round trips + 1 per further 1,000 objects."""
    content = session.content
    view = session.call(action, lambda: content.viewManager.CreateContainerView(content.rootFolder, list(types), True))
    try:
        extra = _session_specs(content) if with_session else []
        return session.retrieve(action, _view_specs(view, types) + extra)
    finally:
        try:
            session.call("destroy a container view", view.DestroyView)
        except XtractError as exc:
            log.debug("DestroyView: %s", exc)


def topology_of(objects: list[Any]) -> Topology:
    topology = Topology()
    for oc in objects:
        if not isinstance(oc.obj, vim.VirtualMachine):
            topology.add(oc.obj, props_of(oc))
    return topology


def read_topology(session: VSphereSession) -> Topology:
    return topology_of(collect(session, "read the inventory", TOPOLOGY_PROPERTIES))


def read_inventory(session: VSphereSession) -> tuple[SourceInventory, Topology]:
    types = dict(TOPOLOGY_PROPERTIES)
    types[vim.VirtualMachine] = VM_PROPERTIES
    objects = collect(session, "read the inventory", types, with_session=True)
    topology = topology_of([oc for oc in objects if not _session_object(oc.obj)])
    session_key, available = "", []
    vms, entities = [], []
    for oc in objects:
        p = props_of(oc)
        if isinstance(oc.obj, vim.SessionManager):
            session_key = str(getattr(p.get("currentSession"), "key", "") or "")
        elif isinstance(oc.obj, vim.AuthorizationManager):
            available = [priv.privId for priv in p.get("privilegeList") or []]
        elif isinstance(oc.obj, vim.VirtualMachine) and not p.get("config.template"):
            vm = map_vm(oc.obj._moId, p, topology)
            vms.append(vm)
            entities.append(privileges.vm_entities(oc.obj, vm.name, p, vm.encrypted or any(
                d.encrypted for d in vm.disks)))
    missing = privileges.check(session, session_key, available, entities, topology)
    vms = [replace(v, missing_privileges=missing[v.vm_id]) if v.vm_id in missing else v for v in vms]
    kinds = topology.kinds
    hosts = sorted((SourceHost(name=topology.names[h], host_id=h, cluster=topology.cluster_of_host(h),
                               datacenter=topology.names.get(topology.ancestor(h, "Datacenter"), ""),
                               connected=topology.host_connected.get(h, True))
                    for h, k in kinds.items() if k == "HostSystem"), key=lambda h: h.name)
    about = session.content.about
    inventory = SourceInventory(
        about=str(about.fullName),
        api_version=str(about.apiVersion),
        datacenters=tuple(sorted(topology.names[m] for m, k in kinds.items() if k == "Datacenter")),
        clusters=tuple(sorted(topology.names[m] for m, k in kinds.items() if k == "ClusterComputeResource")),
        hosts=tuple(hosts),
        networks=tuple(sorted({topology.names[m] for m, k in kinds.items() if k in _NETWORK_KINDS})),
        vms=tuple(sorted(vms, key=lambda v: v.name)),
    )
    return inventory, topology


def _session_object(obj: Any) -> bool:
    return isinstance(obj, vim.SessionManager | vim.AuthorizationManager)


def vm_props(session: VSphereSession, vm_id: str, paths: list[str], action: str) -> dict[str, Any]:
    """Some properties of one VM in one round trip."""
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=vim.VirtualMachine(vm_id, session.stub), skip=False)],
                         propSet=[pc.PropertySpec(type=vim.VirtualMachine, pathSet=paths)])
    objects = session.retrieve(action, [spec])
    if not objects:
        raise NotFoundError(f"vCenter has no VM {vm_id}.", hint="Refresh the inventory.")
    return props_of(objects[0])
