"""Opening a snapshot's disk for reading: which disks can be read, from where, with which credentials.

A disk is read from its base flat file, frozen by our snapshot, either through vCenter's ``/folder``
(session cookie; ``dcPath`` is the datacenter of the disk's datastore, by inventory path) or straight
from the ESXi host running the VM (a service ticket per request).  Disks without a readable flat file
are refused with what to do: encrypted disks (``/folder`` serves the stored ciphertext), RDMs, vSAN
and vVol disks, and disks still on delta files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from ..domain.errors import UnsupportedError, XtractError
from ..domain.inventory import NO_FLAT_FILE_DATASTORES
from ..esxi_address import NET_CONFIG, host_address
from .mapping import Topology, disk_capacity, props_of
from .reader import Access, DatastoreFiles, VSphereDiskReader, open_reader
from .session import VSphereSession

HostAccess = Callable[[str], "str | None"]

DECRYPT_HINT = ("Decrypt the VM in the vSphere Client (VM Policies > Edit VM Storage Policies: a policy without "
                "encryption) and check again; AHV encrypts at rest on its own.")


def refuse_unreadable(vm_id: str, disk: Any, vm_props: dict[str, Any], topology: Topology) -> None:
    """UnsupportedError when this snapshot disk has no flat file we can read as plain data."""
    key, backing = disk.key, disk.backing
    if isinstance(backing, vim.vm.device.VirtualDisk.RawDiskMappingVer1BackingInfo):
        raise UnsupportedError(f"Disk {key} of {vm_id} is a raw device mapping (RDM); its data is on a LUN, not "
                               "in a flat file.", hint="Storage vMotion the RDM to a virtual disk (VMDK), then retry.")
    if not hasattr(backing, "fileName"):
        raise UnsupportedError(f"Disk {key} of {vm_id} has no file backing.")
    if getattr(backing, "keyId", None) is not None or vm_props.get("config.keyId") is not None:
        raise UnsupportedError(f"Disk {key} of {vm_id} is encrypted: its files hold ciphertext, which would land "
                               "on AHV as a disk that never boots.", hint=DECRYPT_HINT)
    ds = getattr(backing, "datastore", None)
    kind = topology.datastore_types.get(ds._moId, "") if ds is not None else ""
    if kind.lower() in NO_FLAT_FILE_DATASTORES:
        raise UnsupportedError(f"Disk {key} of {vm_id} is on a {kind} datastore, which keeps no flat file to read.",
                               hint="Storage vMotion the VM to a VMFS or NFS datastore, then retry.")
    if getattr(backing, "parent", None) is not None:
        # The snapshot's disk is itself a delta: the data "as of" our snapshot is spread over the chain.
        if vm_props.get("runtime.consolidationNeeded"):
            raise UnsupportedError(f"{vm_id} needs its disks consolidated: a snapshot removal left delta files "
                                   f"behind, so disk {key} is not all in its base file.",
                                   hint="Run Snapshots > Consolidate on the VM in the vSphere Client, then retry.")
        raise UnsupportedError(f"{vm_id} had other snapshots when this snapshot was taken; disk {key} cannot be "
                               "read from its base file.",
                               hint="Delete or consolidate the VM's other snapshots, then retry.")


def management_address(session: VSphereSession, host: Any) -> str:
    """Where the ESXi host answers: its one management IP, else its inventory name (esxi_address.py)."""
    pc = vmodl.query.PropertyCollector
    spec = pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=host, skip=False)],
                         propSet=[pc.PropertySpec(type=vim.HostSystem, pathSet=["name", NET_CONFIG])])
    try:
        found = session.retrieve(f"read the management address of {host._moId}", [spec])
    except XtractError:
        return ""
    props = props_of(found[0]) if found else {}
    return host_address(str(props.get("name") or ""), props.get(NET_CONFIG) or [])


def open_snapshot_disk(session: VSphereSession, disk: Any, *, vm_id: str, host: Any, dc_path: str,
                       fingerprint: str, host_access: HostAccess | None) -> VSphereDiskReader:
    """A reader of ``disk``'s base flat file: from the ESXi host when ``host_access`` reaches it, else vCenter."""
    file_name: str = disk.backing.fileName
    datastore, _, path = file_name.partition("] ")
    datastore = datastore.lstrip("[")
    folder, _, descriptor = path.rpartition("/")
    files = None
    if host is not None and host_access is not None:
        address = management_address(session, host)
        base = host_access(address) if address else None
        if base:
            files = _host_files(session, base, address, datastore, folder)
    if files is None:
        base_url = f"{session.protocol}://{session.host}:{session.port}"
        files = DatastoreFiles(base_url, dc_path, datastore, folder,
                               lambda url: Access({"vmware_soap_session": session.session_cookie()}, fingerprint),
                               renew=session.ensure_logged_in)
    return open_reader(files, descriptor, disk_capacity(disk))


def _host_files(session: VSphereSession, base: str, address: str, datastore: str, folder: str) -> DatastoreFiles:
    sm = session.content.sessionManager

    def ticket(url: str) -> Access:
        spec = vim.SessionManager.HttpServiceRequestSpec(method="httpGet", url=url)
        t = session.call(f"get a service ticket for {address}", lambda: sm.AcquireGenericServiceTicket(spec))
        return Access({"vmware_cgi_ticket": t.id}, t.sslThumbprint or "", single_use=True)

    # No dcPath: ESXi has one datacenter, and vCenter's path means nothing there (govmomi drops it too).
    return DatastoreFiles(base, "", datastore, folder, ticket)
