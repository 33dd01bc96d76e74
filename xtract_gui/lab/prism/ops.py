"""What the lab cluster does (VMs, power, snapshots, NFS whitelist; images in ``images.py``), independent of the
API surface.

Synchronous checks raise ``Invalid``/``Missing`` (each surface renders them its own way, through
``answering``); work that a real cluster does in a task runs in a ``TaskEngine`` task and raises
``TaskFailure``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .http import ApiError, Request, Response
from .images import Images
from .state import PrismState, new_uuid, now_usecs
from .tasks import TaskEngine, TaskFailure
from .vdisk import VMDISK_DIR, clone_to, new_empty


class Refused(Exception):
    """A request the cluster turns down before it starts any task; each API surface words it its own way."""


class Invalid(Refused):
    """A request Prism refuses before starting any task (422 INVALID_REQUEST / v2 error)."""


class Missing(Refused):
    """The named entity does not exist (404 ENTITY_NOT_FOUND / v2 error_code 1202)."""

    def __init__(self, kind: str, uuid: str) -> None:
        super().__init__(f"{kind} {uuid} does not exist")
        self.kind = kind
        self.uuid = uuid


Handler = Callable[..., Response]


def answering(handler: Handler, refusal: Callable[[Request, Refused], ApiError]) -> Handler:
    """``handler`` with the cluster's refusals answered in its surface's shape (``refusal``): the one place a
    surface translates them.  The rest of the body is read first (an upload refused before its bytes), so
    the connection stays usable, and a client that stops sending midway is dropped, as mid-upload."""

    @functools.wraps(handler)
    def answer(req: Request, **params: str) -> Response:
        try:
            return handler(req, **params)
        except Refused as exc:
            req.drain()
            raise refusal(req, exc) from None
    return answer


class Cluster:
    def __init__(self, state: PrismState, tasks: TaskEngine,
                 on_power_change: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.state = state
        self.tasks = tasks
        self.on_power_change = on_power_change
        self.images = Images(state, tasks, Invalid)

    # -- lookups ------------------------------------------------------------------------------

    def vm(self, vm_uuid: str) -> dict[str, Any]:
        vm = self.state.data["vms"].get(vm_uuid)
        if vm is None:
            raise Missing("vm", vm_uuid)
        return vm

    def image(self, image_uuid: str) -> dict[str, Any]:
        image = self.state.data["images"].get(image_uuid)
        if image is None:
            raise Missing("image", image_uuid)
        return image

    def container(self, ctr_uuid: str) -> dict[str, Any]:
        ctr = self.state.data["containers"].get(ctr_uuid)
        if ctr is None:
            raise Missing("storage_container", ctr_uuid)
        return ctr

    def subnet(self, subnet_uuid: str) -> dict[str, Any]:
        subnet = self.state.data["subnets"].get(subnet_uuid)
        if subnet is None:
            raise Missing("subnet", subnet_uuid)
        return subnet

    # -- VMs ----------------------------------------------------------------------------------

    def check_vm(self, vm: dict[str, Any]) -> None:
        """Synchronous checks of a VM (neutral shape) that real Prism makes before it queues the task."""
        if not vm["name"]:
            raise Invalid("VM name is required")
        if vm["num_sockets"] < 1 or vm["num_vcpus_per_socket"] < 1 or vm["memory_mib"] < 1:
            raise Invalid("num_sockets, num_vcpus_per_socket and memory_size_mib must be at least 1")
        if vm["boot_type"] not in ("LEGACY", "UEFI", "SECURE_BOOT"):
            raise Invalid(f"Invalid boot_type {vm['boot_type']!r}")
        if vm["boot_type"] == "SECURE_BOOT" and vm["machine_type"] != "Q35":
            raise Invalid("Secure boot requires machine_type Q35")
        for disk in vm["disks"]:
            if vm["machine_type"] == "Q35" and disk["adapter_type"] == "IDE":
                raise Invalid("IDE disks are not supported with machine_type Q35")
            if disk["adapter_type"] not in ("SCSI", "SATA", "IDE", "PCI"):
                raise Invalid(f"Invalid adapter_type {disk['adapter_type']!r}")
        seen = set()
        for nic in vm["nics"]:
            mac = nic["mac_address"]
            if mac and (mac in seen or len(mac.split(":")) != 6):
                raise Invalid(f"Invalid or duplicate MAC address {mac!r}")
            seen.add(mac)

    def create_vm(self, vm: dict[str, Any]) -> Callable[[], None]:
        """``vm`` is neutral: name, description, num_sockets, num_vcpus_per_socket, memory_mib, boot_type,
        machine_type, power_state, disks[{adapter_type, device_index, size_bytes, source_kind, source,
        container_uuid}], nics[{subnet_uuid, mac_address, model, is_connected}]."""
        self.check_vm(vm)
        vm.update(uuid=vm.get("uuid") or new_uuid(), spec_version=0, creation_usecs=now_usecs(),
                  update_usecs=now_usecs(), cluster_uuid=self.state.cluster["uuid"], snapshots=[])

        def work() -> None:
            with self.state.lock:
                sources = [self._resolve_disk(disk) for disk in vm["disks"]]
            # Clone outside the lock (a few hundred MiB take a moment) and before the VM exists, so a
            # failed clone leaves neither a VM nor a vdisk behind.
            self._clone_disks(vm["disks"], sources)
            with self.state.lock:
                for i, nic in enumerate(vm["nics"]):
                    if nic["subnet_uuid"] not in self.state.data["subnets"]:
                        self._remove_vdisks(vm)
                        raise TaskFailure("ENTITY_NOT_FOUND", f"Subnet {nic['subnet_uuid']} does not exist")
                    nic.setdefault("uuid", new_uuid())
                    nic["mac_address"] = nic["mac_address"] or (
                        f"50:6b:8d:{vm['uuid'][:2]}:{vm['uuid'][2:4]}:{i:02x}")
                    nic.setdefault("ip_addresses", [])
                power = vm.pop("power_state", "OFF")
                vm["power_state"] = "OFF"
                self.state.data["vms"][vm["uuid"]] = vm
                self.state.save()
            if power == "ON":
                self.apply_power(vm["uuid"], "ON")
        return work

    def _resolve_disk(self, disk: dict[str, Any]) -> Path | None:
        """Check the disk's source and fill in size and container; returns the file to clone (None: empty)."""
        disk.setdefault("uuid", new_uuid())
        src: Path | None = None
        kind, source = disk.get("source_kind", ""), disk.get("source", "")
        if kind == "image":
            image = self.state.data["images"].get(source) or next(
                (i for i in self.state.data["images"].values() if i["vmdisk_uuid"] == source), None)
            if image is None or image["state"] != "COMPLETE" or not self.state.image_file(image).exists():
                raise TaskFailure("ENTITY_NOT_FOUND", f"Image {source} does not exist or has no data")
            disk["size_bytes"] = max(disk.get("size_bytes") or 0, image["size_bytes"])
            disk["source"] = image["uuid"]
            src = self.state.image_file(image)
            disk["container_uuid"] = disk.get("container_uuid") or image["container_uuid"]
        elif kind == "ndfs":
            path = self.state.resolve_ndfs(source)
            if path is None:
                raise TaskFailure("ENTITY_NOT_FOUND", f"File {source} does not exist on the cluster")
            disk["size_bytes"] = max(disk.get("size_bytes") or 0, path.stat().st_size)
            src = path
            ctr = self.state.container_by_name(source.strip("/").split("/")[0])
            disk["container_uuid"] = disk.get("container_uuid") or (ctr or {}).get("uuid", "")
        elif not disk.get("size_bytes"):
            raise TaskFailure("INVALID_ARGUMENT", "A new empty disk needs a size")
        disk["container_uuid"] = disk.get("container_uuid") or self.state.default_container()["uuid"]
        ctr = self.state.data["containers"].get(disk["container_uuid"])
        if ctr is None:
            raise TaskFailure("ENTITY_NOT_FOUND", f"Storage container {disk['container_uuid']} does not exist")
        disk["vmdisk_path"] = f"containers/{ctr['name']}/{VMDISK_DIR}/{disk['uuid']}"
        return src

    def _clone_disks(self, disks: list[dict[str, Any]], sources: list[Path | None]) -> None:
        """Each disk gets its own vdisk file, as AHV clones a file or an image into a new vmdisk."""
        done: list[Path] = []
        try:
            for disk, src in zip(disks, sources, strict=True):
                dst = self.state.state_dir / disk["vmdisk_path"]
                if src is None:
                    new_empty(dst, disk["size_bytes"])
                else:
                    clone_to(src, dst, disk["size_bytes"])
                done.append(dst)
        except BaseException as exc:
            for path in done:
                path.unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise TaskFailure("INTERNAL_ERROR", f"Could not clone a disk: {exc}") from exc
            raise

    def _remove_vdisks(self, vm: dict[str, Any]) -> None:
        for disk in vm["disks"]:
            if disk.get("vmdisk_path"):
                (self.state.state_dir / disk["vmdisk_path"]).unlink(missing_ok=True)

    def vdisk_file(self, disk: dict[str, Any]) -> Path:
        """The file holding a VM disk's bytes (its own vmdisk, cloned at create)."""
        return self.state.state_dir / disk["vmdisk_path"]

    def apply_power(self, vm_uuid: str, power: str) -> None:
        with self.state.lock:
            vm = self.state.data["vms"].get(vm_uuid)
            if vm is None:
                raise TaskFailure("ENTITY_NOT_FOUND", f"VM {vm_uuid} does not exist")
            changed = vm["power_state"] != power
            vm["power_state"] = power
            vm["update_usecs"] = now_usecs()
            if power == "OFF":
                for nic in vm["nics"]:
                    nic["ip_addresses"] = []
            self.state.save()
            snapshot = dict(vm)
        if changed and self.on_power_change:
            self.on_power_change(snapshot)

    def delete_vm(self, vm_uuid: str) -> Callable[[], None]:
        self.vm(vm_uuid)

        def work() -> None:
            with self.state.lock:
                vm = self.state.data["vms"].pop(vm_uuid, None)
                self.state.save()
            if vm is not None:
                self._remove_vdisks(vm)  # AHV deletes a VM's vmdisks with it
        return work

    def snapshot_vm(self, vm_uuid: str, name: str) -> tuple[str, Callable[[], None]]:
        vm = self.vm(vm_uuid)
        snap_uuid = new_uuid()

        def work() -> None:
            with self.state.lock:
                vm["snapshots"].append({"uuid": snap_uuid, "name": name, "creation_usecs": now_usecs()})
                self.state.save()
        return snap_uuid, work

    # -- NFS whitelist -------------------------------------------------------------------------

    def whitelist_add(self, entry: str) -> None:
        addr, _, mask = entry.partition("/")
        if not addr or not mask or len(addr.split(".")) != 4:
            raise Invalid(f"Whitelist entry {entry!r} must be <ip>/<netmask>")
        with self.state.lock:
            if entry not in self.state.data["nfs_whitelist"]:
                self.state.data["nfs_whitelist"].append(entry)
                self.state.save()

    def whitelist_remove(self, entry: str) -> None:
        with self.state.lock:
            if entry not in self.state.data["nfs_whitelist"]:
                raise Missing("nfs_whitelist", entry)
            self.state.data["nfs_whitelist"].remove(entry)
            self.state.save()
