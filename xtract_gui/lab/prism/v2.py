"""The Prism Element surface of the lab: v2.0 (``/PrismGateway/services/rest/v2.0`` and ``/api/nutanix/v2.0``)
and the v0.8 image upload."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from . import v2_render as render
from . import v2_schema as schema
from .http import ApiError, Request, Response
from .ops import Cluster, Invalid, Missing, Refused, answering

V2_BASES = ("/PrismGateway/services/rest/v2.0", "/api/nutanix/v2.0")
V08_BASE = "/api/nutanix/v0.8"
Route = tuple[str, re.Pattern[str], Callable[..., Response]]
_UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"


def _refusal(req: Request, exc: Refused) -> ApiError:
    if isinstance(exc, Missing):
        return ApiError(404, render.error_body(f"Entity {exc.kind} {exc.uuid} does not exist",
                                               render.ERR_NOT_FOUND, f"kNotFound: {exc}"))
    return ApiError(500, render.error_body(str(exc), render.ERR_INVALID))


def _truthy(value: str | None) -> bool:
    return (value or "").lower() in ("true", "1", "yes")


class V2Api:
    def __init__(self, ops: Cluster, *, upload_drop: Callable[[], bool]) -> None:
        self.ops = ops
        self.state = ops.state
        self.upload_drop = upload_drop

    def routes(self) -> list[Route]:
        table: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", "/cluster", self.get_cluster),
            ("GET", "/cluster/nfs_whitelist", self.get_whitelist),
            ("POST", "/cluster/nfs_whitelist", self.add_whitelist),
            ("DELETE", "/cluster/nfs_whitelist/(?P<entry>.+)", self.remove_whitelist),
            ("GET", "/storage_containers", self.list_containers),
            ("GET", f"/storage_containers/{_UUID}", self.get_container),
            ("GET", "/networks", self.list_networks),
            ("GET", "/vms", self.list_vms),
            ("POST", "/vms", self.create_vm),
            ("GET", f"/vms/{_UUID}", self.get_vm),
            ("DELETE", f"/vms/{_UUID}", self.delete_vm),
            ("POST", f"/vms/{_UUID}/set_power_state", self.set_power_state),
            ("POST", "/snapshots", self.create_snapshot),
            ("GET", "/images", self.list_images),
            ("POST", "/images", self.create_image),
            ("GET", f"/images/{_UUID}", self.get_image),
            ("DELETE", f"/images/{_UUID}", self.delete_image),
            ("GET", f"/tasks/{_UUID}", self.get_task),
        ]
        routes: list[Route] = [(m, re.compile(f"^{re.escape(base)}{p}/?$"), fn)
                               for base in V2_BASES for m, p, fn in table]
        routes.append(("PUT", re.compile(f"^{V08_BASE}/images/{_UUID}/upload$"), self.upload_image))
        return [(m, pattern, answering(fn, _refusal)) for m, pattern, fn in routes]

    def _submit(self, operation: str, entities: list[dict[str, str]], work: Callable[[], None]) -> Response:
        return Response(201, {"task_uuid": self.ops.tasks.submit(operation, entities, work)})

    @staticmethod
    def _body(req: Request, model: schema.Model) -> Any:
        """The JSON body, refused as PE refuses a body its v2.0 DTO does not describe (an unknown field, a wrong
        type, a value outside an enum): before any task starts."""
        body = req.json()
        found = schema.problems(model, body)
        if found:
            raise Invalid(found[0])
        return body

    # -- cluster, whitelist, containers, networks ----------------------------------------------

    def get_cluster(self, req: Request) -> Response:
        with self.state.lock:
            return Response(200, render.cluster(self.state))

    def get_whitelist(self, req: Request) -> Response:
        with self.state.lock:
            return Response(200, list(self.state.data["nfs_whitelist"]))

    def add_whitelist(self, req: Request) -> Response:
        body = self._body(req, schema.WHITELIST_ADD)
        entry = body.get("value", "") if isinstance(body, dict) else ""
        self.ops.whitelist_add(entry)
        return Response(200, {"value": True})

    def remove_whitelist(self, req: Request, entry: str) -> Response:
        # ``{name:.+}`` in the real path template: the entry's "/" arrives as a path separator (an encoded
        # "%2F" never gets here: the server refuses it first, see server.py).
        self.ops.whitelist_remove(unquote(entry))
        return Response(200, {"value": True})

    def list_containers(self, req: Request) -> Response:
        with self.state.lock:
            ents = [render.container(self.state, c) for c in self.state.data["containers"].values()]
        return Response(200, render.page_by_number(ents, req.query))

    def get_container(self, req: Request, uuid: str) -> Response:
        with self.state.lock:
            return Response(200, render.container(self.state, self.ops.container(uuid)))

    def list_networks(self, req: Request) -> Response:
        with self.state.lock:
            ents = [render.network(s) for s in self.state.data["subnets"].values()]
        return Response(200, render.everything(ents))  # networks.json: GET /networks/ has no paging parameter

    # -- VMs ----------------------------------------------------------------------------------

    def list_vms(self, req: Request) -> Response:
        disks, nics = _truthy(req.query.get("include_vm_disk_config")), _truthy(req.query.get("include_vm_nic_config"))
        expr = req.query.get("filter", "")
        attr, op, value = expr.partition("==")
        with self.state.lock:
            every = list(self.state.data["vms"].values())
            ents = [render.vm(self.state, v, disks=disks, nics=nics) for v in every
                    if not op or attr != "vm_name" or v["name"] == unquote(value)]
        # vms.json: GET /vms/ takes offset/length (count/page are not its parameters and are ignored);
        # grand_total_entities counts every VM, total_entities the ones the filter matched.
        return Response(200, render.page_by_offset(ents, req.query, grand_total=len(every)))

    def get_vm(self, req: Request, uuid: str) -> Response:
        with self.state.lock:
            vm = self.ops.vm(uuid)
            return Response(200, render.vm(self.state, vm, disks=_truthy(req.query.get("include_vm_disk_config")),
                                           nics=_truthy(req.query.get("include_vm_nic_config"))))

    def _neutral_vm(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not body.get("name"):
            raise Invalid("name is required")
        boot = body.get("boot") or {}
        boot_type = "SECURE_BOOT" if boot.get("secure_boot") else "UEFI" if boot.get("uefi_boot") else "LEGACY"
        disks = []
        for i, d in enumerate(body.get("vm_disks") or []):
            addr = d.get("disk_address") or {}
            clone = d.get("vm_disk_clone") or {}
            create = d.get("vm_disk_create") or {}
            src = clone.get("disk_address") or {}
            kind, source = ("ndfs", src["ndfs_filepath"]) if src.get("ndfs_filepath") else (
                ("image", src["vmdisk_uuid"]) if src.get("vmdisk_uuid") else ("", ""))
            disks.append({"adapter_type": str(addr.get("device_bus", "scsi")).upper(),
                          "device_index": addr.get("device_index", i),
                          "device_type": "CDROM" if d.get("is_cdrom") else "DISK",
                          "size_bytes": clone.get("minimum_size") or create.get("size") or 0,
                          "source_kind": kind, "source": source,
                          "container_uuid": clone.get("storage_container_uuid") or create.get("storage_container_uuid")
                          or ""})
        nics = [{"subnet_uuid": n.get("network_uuid", ""), "mac_address": (n.get("mac_address") or "").lower(),
                 "model": (n.get("model") or "virtio").upper(), "is_connected": n.get("is_connected", True)}
                for n in body.get("vm_nics") or []]
        return {"name": body["name"], "description": body.get("description", ""),
                "num_sockets": body.get("num_vcpus", 1), "num_vcpus_per_socket": body.get("num_cores_per_vcpu", 1),
                "memory_mib": body.get("memory_mb", 0), "boot_type": boot_type,
                "machine_type": "PC", "power_state": "OFF",  # v2.0 create has no machine_type: always PC
                "disks": disks, "nics": nics}

    def create_vm(self, req: Request) -> Response:
        vm = self._neutral_vm(self._body(req, schema.VM_CREATE))
        work = self.ops.create_vm(vm)
        return self._submit("kVmCreate", [{"kind": "vm", "uuid": vm["uuid"], "name": vm["name"]}], work)

    def delete_vm(self, req: Request, uuid: str) -> Response:
        work = self.ops.delete_vm(uuid)
        return self._submit("kVmDelete", [{"kind": "vm", "uuid": uuid}], work)

    def set_power_state(self, req: Request, uuid: str) -> Response:
        body = self._body(req, schema.POWER_STATE)
        transition = str(body.get("transition", "") if isinstance(body, dict) else "").upper()
        target = {"ON": "ON", "OFF": "OFF", "ACPI_SHUTDOWN": "OFF", "POWERCYCLE": "ON", "RESET": "ON"}.get(transition)
        if target is None:
            raise Invalid(f"Invalid transition {transition!r}")
        self.ops.vm(uuid)
        return self._submit("kVmSetPowerState", [{"kind": "vm", "uuid": uuid}],
                            lambda: self.ops.apply_power(uuid, target))

    def create_snapshot(self, req: Request) -> Response:
        body = self._body(req, schema.SNAPSHOT_CREATE)
        specs = body.get("snapshot_specs") if isinstance(body, dict) else None
        if not specs:
            raise Invalid("snapshot_specs is required")
        spec = specs[0]
        snap_uuid, work = self.ops.snapshot_vm(spec.get("vm_uuid", ""), spec.get("snapshot_name", ""))
        return self._submit("kSnapshotCreate", [{"kind": "snapshot", "uuid": snap_uuid},
                                                {"kind": "vm", "uuid": spec["vm_uuid"]}], work)

    # -- images -------------------------------------------------------------------------------

    def list_images(self, req: Request) -> Response:
        with self.state.lock:
            ents = [render.image(i, active=self.ops.images.active(i)) for i in self.state.data["images"].values()]
        return Response(200, render.everything(ents))  # images.json: GET /images/ has no paging parameter

    def get_image(self, req: Request, uuid: str) -> Response:
        with self.state.lock:
            image = self.ops.image(uuid)
            return Response(200, render.image(image, active=self.ops.images.active(image)))

    def create_image(self, req: Request) -> Response:
        body = self._body(req, schema.IMAGE_CREATE)
        spec = body.get("image_import_spec") or {}
        ctr_uuid = spec.get("storage_container_uuid", "")
        if not ctr_uuid and spec.get("storage_container_name"):
            ctr_uuid = (self.state.container_by_name(spec["storage_container_name"]) or {}).get("uuid", "")
        ctr = self.ops.container(ctr_uuid) if ctr_uuid else self.state.default_container()
        image = self.ops.images.new(body.get("name", ""), container=ctr, description=body.get("annotation", ""),
                                    image_type=body.get("image_type") or "DISK_IMAGE", source_uri=spec.get("url", ""))
        # Without a URL the image stays INACTIVE until its bytes arrive through v0.8.
        work = self.ops.images.register(image, spec.get("url", ""), await_bytes=not spec.get("url"))
        return self._submit("kImageCreate", [{"kind": "image", "uuid": image["uuid"], "name": image["name"]}], work)

    def delete_image(self, req: Request, uuid: str) -> Response:
        work = self.ops.images.delete(self.ops.image(uuid))
        return self._submit("kImageDelete", [{"kind": "image", "uuid": uuid}], work)

    def upload_image(self, req: Request, uuid: str) -> Response:
        image = self.ops.image(uuid)
        ctr_uuid = req.headers.get("X-Nutanix-Destination-Container", "")
        ctr = self.ops.container(ctr_uuid) if ctr_uuid else self.state.default_container()
        if req.content_length is None and not req.chunked:
            raise ApiError(411, render.error_body("Content-Length is required", render.ERR_INVALID))
        with self.state.lock:
            image.update(container_uuid=ctr["uuid"], path=f"containers/{ctr['name']}/.acropolis/image/{uuid}")
        drop_after = max(1, (req.content_length or 2 << 20) // 2) if self.upload_drop() else None
        self.ops.images.receive(image, req.stream(), drop_after=drop_after)
        # The upload task ends SUCCEEDED, then the image may still read INACTIVE for a while (images.py).
        return self._submit("kImageUpload", [{"kind": "image", "uuid": uuid, "name": image["name"]}],
                            self.ops.images.complete_upload(image, settles=True))

    # -- tasks --------------------------------------------------------------------------------

    def get_task(self, req: Request, uuid: str) -> Response:
        task = self.ops.tasks.get(uuid)
        if task is None:
            raise ApiError(404, render.error_body(f"Task {uuid} does not exist", render.ERR_NOT_FOUND))
        return Response(200, render.task(task))
