"""``VSphereSource``: the SourcePlatform port over pyVmomi."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from ..domain.errors import (
    CancelledError,
    ConflictError,
    NotFoundError,
    RemoteTaskError,
)
from ..domain.extents import Extent
from ..domain.inventory import PowerState, SnapshotRef, SourceInventory, SourceVM
from ..engine.ports import Cancellation, ProgressFn, no_progress
from .cbt import query_changed_areas
from .disks import HostAccess, open_snapshot_disk, refuse_unreadable
from .inventory import read_inventory, read_topology, vm_props
from .mapping import VM_PROPERTIES, Topology, map_vm, props_of
from .reader import VSphereDiskReader
from .session import TaskCancelled, VSphereSession

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = "xtract-"


class VSphereSource:
    """vCenter as the migration source.  Safe to call from several threads (see session.py)."""

    def __init__(self, session: VSphereSession, fingerprint: str, *, host_access: HostAccess | None = None) -> None:
        self._s = session
        self._fingerprint = fingerprint
        self._host_access = host_access
        self._topology = Topology()

    # -- basics ---------------------------------------------------------------------------------

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def round_trips(self) -> int:
        return self._s.round_trips

    @property
    def session(self) -> VSphereSession:
        return self._s

    def _vm(self, vm_id: str) -> Any:
        return vim.VirtualMachine(vm_id, self._s.stub)

    def _snapshot(self, snapshot_id: str) -> Any:
        return vim.vm.Snapshot(snapshot_id, self._s.stub)

    def close(self) -> None:
        self._s.close()

    # -- inventory ------------------------------------------------------------------------------

    def inventory(self) -> SourceInventory:
        inventory, self._topology = read_inventory(self._s)
        return inventory

    def _vm_props(self, vm_id: str, paths: list[str], action: str) -> dict[str, Any]:
        return vm_props(self._s, vm_id, paths, action)

    def get_vm(self, vm_id: str) -> SourceVM:
        p = vm_props(self._s, vm_id, VM_PROPERTIES, f"read VM {vm_id}")
        refs = [p.get("runtime.host"), p.get("parent"), p.get("parentVApp")]
        if any(r is not None and not self._topology.knows(r._moId) for r in refs):
            self._topology = read_topology(self._s)  # a VM we have not seen the surroundings of
        return map_vm(vm_id, p, self._topology)

    def _snapshot_devices(self, snapshot_ids: list[str], action: str) -> dict[str, list[Any]]:
        if not snapshot_ids:
            return {}
        pc = vmodl.query.PropertyCollector
        spec = pc.FilterSpec(objectSet=[pc.ObjectSpec(obj=self._snapshot(s), skip=False) for s in snapshot_ids],
                             propSet=[pc.PropertySpec(type=vim.vm.Snapshot, pathSet=["config.hardware.device"])])
        return {oc.obj._moId: list(props_of(oc).get("config.hardware.device") or [])
                for oc in self._s.retrieve(action, [spec])}

    @staticmethod
    def _change_ids(devices: list[Any]) -> dict[int, str]:
        return {d.key: getattr(d.backing, "changeId", "") or "" for d in devices
                if isinstance(d, vim.vm.device.VirtualDisk) and getattr(d.backing, "changeId", "")}

    def list_snapshots(self, vm_id: str) -> list[SnapshotRef]:
        info = self._vm_props(vm_id, ["snapshot"], f"list the snapshots of {vm_id}").get("snapshot")
        trees: list[Any] = []
        stack = list(getattr(info, "rootSnapshotList", None) or [])
        while stack:
            t = stack.pop(0)
            trees.append(t)
            stack.extend(t.childSnapshotList or [])
        devices = self._snapshot_devices([t.snapshot._moId for t in trees], f"read the snapshots of {vm_id}")
        return [SnapshotRef(vm_id=vm_id, snapshot_id=t.snapshot._moId, name=t.name,
                            disk_change_ids=self._change_ids(devices.get(t.snapshot._moId, [])),
                            created_at=t.createTime.timestamp() if t.createTime else 0.0) for t in trees]

    def create_snapshot(self, vm_id: str, name: str, *, description: str = "", quiesce: bool = False,
                        progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> SnapshotRef:
        if not name.startswith(SNAPSHOT_PREFIX):
            name = SNAPSHOT_PREFIX + name  # so that cleanup can tell ours from the customer's
        action = f"create snapshot {name} of {vm_id}"
        if cancel is not None and cancel.is_set():
            raise CancelledError(f"Cancelled before: {action}.")
        vm = self._vm(vm_id)
        task = self._s.call(action, lambda: vm.CreateSnapshot_Task(name=name, description=description,
                                                                    memory=False, quiesce=quiesce))
        try:
            ref = self._s.wait_task(task, action, progress=progress, cancel=cancel)
        except TaskCancelled as exc:
            if exc.result is not None:  # finished despite the cancel: leave nothing behind
                self.remove_snapshot(vm_id, exc.result._moId)
            raise
        devices = self._snapshot_devices([ref._moId], action).get(ref._moId, [])
        return SnapshotRef(vm_id=vm_id, snapshot_id=ref._moId, name=name,
                           disk_change_ids=self._change_ids(devices), created_at=time.time())

    def remove_snapshot(self, vm_id: str, snapshot_id: str, *, progress: ProgressFn = no_progress,
                        cancel: Cancellation | None = None) -> None:
        action = f"remove snapshot {snapshot_id} of {vm_id}"
        snap = self._snapshot(snapshot_id)
        try:
            task = self._s.call(action, lambda: snap.RemoveSnapshot_Task(removeChildren=False, consolidate=True))
            self._s.wait_task(task, action, progress=progress, cancel=cancel)
        except NotFoundError:
            log.info("snapshot %s of %s was already gone", snapshot_id, vm_id)
        # A removal whose consolidation failed still "succeeds": the snapshot leaves the tree, the delta
        # files stay and the VM runs on them.  Say so now, not at the next read of a stale base disk.
        if self._vm_props(vm_id, ["runtime.consolidationNeeded"], f"read {vm_id}").get("runtime.consolidationNeeded"):
            raise RemoteTaskError(f"vCenter removed snapshot {snapshot_id} of {vm_id} but could not consolidate its "
                                  "disks: the VM still runs on delta files.",
                                  hint="Run Snapshots > Consolidate on the VM in the vSphere Client (check that "
                                       "no backup tool holds its disks), then retry.")

    def revert_snapshot(self, vm_id: str, snapshot_id: str, *, progress: ProgressFn = no_progress) -> None:
        action = f"revert {vm_id} to snapshot {snapshot_id}"
        snap = self._snapshot(snapshot_id)
        task = self._s.call(action, lambda: snap.RevertToSnapshot_Task())
        self._s.wait_task(task, action, progress=progress)

    # -- CBT ------------------------------------------------------------------------------------

    def enable_cbt(self, vm_id: str) -> None:
        p = self._vm_props(vm_id, ["config.changeTrackingEnabled", "runtime.powerState"], f"read CBT of {vm_id}")
        if p.get("config.changeTrackingEnabled"):
            return
        self._reconfigure(vm_id, vim.vm.ConfigSpec(changeTrackingEnabled=True), "turn on changed block tracking")
        if str(p.get("runtime.powerState")) == "poweredOn":
            # A running VM picks up changeTracking at its next stun: a snapshot create/remove.
            ref = self.create_snapshot(vm_id, f"{SNAPSHOT_PREFIX}cbt-enable")
            self.remove_snapshot(vm_id, ref.snapshot_id)

    def _disk(self, vm_id: str, snapshot_id: str, disk_key: int) -> Any:
        devices = self._snapshot_devices([snapshot_id], f"read snapshot {snapshot_id} of {vm_id}")
        if snapshot_id not in devices:
            raise NotFoundError(f"Snapshot {snapshot_id} of {vm_id} no longer exists.",
                                hint="Take a new snapshot and start this step again.")
        disk = next((d for d in devices[snapshot_id]
                     if isinstance(d, vim.vm.device.VirtualDisk) and d.key == disk_key), None)
        if disk is None:
            raise NotFoundError(f"{vm_id} has no disk {disk_key} in snapshot {snapshot_id}.",
                                hint="Refresh the inventory; the VM's disks changed.")
        return disk

    def query_changed_areas(self, vm_id: str, snapshot_id: str, disk_key: int, change_id: str) -> list[Extent]:
        disk = self._disk(vm_id, snapshot_id, disk_key)
        return query_changed_areas(self._s, self._vm(vm_id), self._snapshot(snapshot_id), disk, vm_id, change_id)

    # -- disk reads -----------------------------------------------------------------------------

    def open_disk_reader(self, vm_id: str, snapshot_id: str, disk_key: int, *,
                         host_access: HostAccess | bool | None = True) -> VSphereDiskReader:
        """``host_access``: True reads from the ESXi host when this adapter's ``host_access`` reaches it;
        None reads through vCenter; a callable maps the host's address to the base URL to read from."""
        if host_access is True:
            host_access = self._host_access
        disk = self._disk(vm_id, snapshot_id, disk_key)
        p = self._vm_props(vm_id, ["config.keyId", "runtime.consolidationNeeded", "runtime.host"],
                           f"read VM {vm_id}")
        ds = getattr(disk.backing, "datastore", None)
        if ds is not None and not self._topology.knows(ds._moId):
            self._topology = read_topology(self._s)  # the datastore's type and datacenter
        refuse_unreadable(vm_id, disk, p, self._topology)
        dc_path = self._topology.datacenter_path(ds._moId) if ds is not None else ""
        if not dc_path:  # no datastore reference: the VM's own datacenter (a vApp VM's too)
            vm = self.get_vm(vm_id)
            dc_path = next((self._topology.datacenter_path(m) for m, k in self._topology.kinds.items()
                            if k == "Datacenter" and self._topology.names[m] == vm.datacenter), vm.datacenter)
        return open_snapshot_disk(self._s, disk, vm_id=vm_id, host=p.get("runtime.host"), dc_path=dc_path,
                                  fingerprint=self._fingerprint,
                                  host_access=host_access if callable(host_access) else None)

    # -- power, NICs, annotation ----------------------------------------------------------------

    def _run(self, vm_id: str, action: str, start: Callable[[Any], Any], *, idempotent_state: str = "") -> None:
        vm = self._vm(vm_id)
        try:
            task = self._s.call(action, lambda: start(vm))
            self._s.wait_task(task, action)
        except ConflictError:
            if idempotent_state and self.get_vm(vm_id).power_state.value == idempotent_state:
                return  # already there: nothing to do
            raise

    def power_on(self, vm_id: str) -> None:
        self._run(vm_id, f"power on {vm_id}", lambda vm: vm.PowerOnVM_Task(), idempotent_state="on")

    def power_off(self, vm_id: str) -> None:
        self._run(vm_id, f"power off {vm_id}", lambda vm: vm.PowerOffVM_Task(), idempotent_state="off")

    def shutdown_guest(self, vm_id: str) -> None:
        vm = self._vm(vm_id)
        try:
            self._s.call(f"shut down the guest of {vm_id}", vm.ShutdownGuest)
        except ConflictError:
            if self.get_vm(vm_id).power_state is not PowerState.OFF:
                raise

    def wait_for_power_state(self, vm_id: str, state: str, *, timeout: float,
                             cancel: Cancellation | None = None) -> bool:
        deadline = time.monotonic() + timeout
        delay = 0.1
        while True:
            p = self._vm_props(vm_id, ["runtime.powerState"], f"read the power state of {vm_id}")
            current = {"poweredOn": "on", "poweredOff": "off", "suspended": "suspended"}.get(
                str(p.get("runtime.powerState")), "")
            if current == state:
                return True
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"Cancelled while waiting for {vm_id} to be {state}.")
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(2.0, delay * 2)

    def _reconfigure(self, vm_id: str, spec: Any, what: str) -> None:
        self._run(vm_id, f"{what} ({vm_id})", lambda vm: vm.ReconfigVM_Task(spec=spec))

    def set_nics_connected(self, vm_id: str, connected: bool) -> None:
        devices = self._vm_props(vm_id, ["config.hardware.device"], f"read the NICs of {vm_id}").get(
            "config.hardware.device") or []
        changes = []
        for d in devices:
            if isinstance(d, vim.vm.device.VirtualEthernetCard):
                d.connectable = d.connectable or vim.vm.device.VirtualDevice.ConnectInfo()
                d.connectable.connected = connected
                d.connectable.startConnected = connected
                changes.append(vim.vm.device.VirtualDeviceSpec(operation="edit", device=d))
        if changes:
            self._reconfigure(vm_id, vim.vm.ConfigSpec(deviceChange=changes),
                              "connect the NICs" if connected else "disconnect the NICs")

    def set_annotation(self, vm_id: str, text: str) -> None:
        self._reconfigure(vm_id, vim.vm.ConfigSpec(annotation=text), "set the annotation")
