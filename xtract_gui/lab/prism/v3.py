"""The Prism Central v3 surface of the lab (``/api/nutanix/v3``): lists, intentful CRUD, image bytes, tasks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from . import v3_render as render
from .http import ApiError, Request, Response
from .ops import Cluster, Invalid, Missing, Refused, answering
from .state import PrismState, now_usecs

BASE = "/api/nutanix/v3"
Route = tuple[str, re.Pattern[str], Callable[..., Response]]
_UUID = r"(?P<uuid>[0-9a-fA-F-]{36})"
_MAX_LENGTH = 500
_NAME_ATTRS = {"name", "vm_name", "image_name", "subnet_name", "cluster_name"}


def _error(status: int, kind: str, message: str, reason: str) -> ApiError:
    return ApiError(status, render.error_body(status, kind, message, reason))


def path_kind(path: str) -> str:
    """The entity kind a v3 path is about (``/api/nutanix/v3/vms/…`` → ``vm``), as error bodies name it."""
    return path[len(BASE) + 1:].split("/")[0].rstrip("s") or "entity"


def _refusal(req: Request, exc: Refused) -> ApiError:
    if isinstance(exc, Missing):
        return _error(404, exc.kind, f"{exc.kind.upper()} {exc.uuid} not found", "ENTITY_NOT_FOUND")
    return _error(422, path_kind(req.raw_path), str(exc), "INVALID_REQUEST")


def _filter_matches(expr: str, name: str) -> bool:
    for clause in filter(None, expr.split(";")):
        attr, op, value = clause.partition("==")
        if op and attr.strip() in _NAME_ATTRS and unquote(value) != name:
            return False
    return True


class V3Api:
    def __init__(self, ops: Cluster, *, pc: bool, upload_drop: Callable[[], bool],
                 members: list[PrismState] | None = None) -> None:
        self.ops = ops
        self.state = ops.state
        self.pc = pc
        self.upload_drop = upload_drop
        # Prism Central's further clusters: each one's state is its Prism Element's own (read live, so a
        # change made through that element shows here at once, as PC's sync would a moment later).
        self.members = members if members is not None else []

    def _member(self, cluster_uuid: str) -> PrismState | None:
        return next((m for m in self.members if m.cluster["uuid"] == cluster_uuid), None)

    def routes(self) -> list[Route]:
        table: list[tuple[str, str, Callable[..., Response]]] = [
            ("GET", "/versions", self.versions),
        ]
        if self.pc:
            table += [
                ("GET", "/prism_central", self.prism_central),
                ("POST", "/clusters/list", self.list_clusters),
                ("GET", f"/clusters/{_UUID}", self.get_cluster),
                ("POST", "/subnets/list", self.list_subnets),
                ("GET", f"/subnets/{_UUID}", self.get_subnet),
                ("POST", "/vms/list", self.list_vms),
                ("POST", "/vms", self.create_vm),
                ("GET", f"/vms/{_UUID}", self.get_vm),
                ("PUT", f"/vms/{_UUID}", self.update_vm),
                ("DELETE", f"/vms/{_UUID}", self.delete_vm),
                ("POST", f"/vms/{_UUID}/snapshot", self.snapshot_vm),
                ("POST", "/images/list", self.list_images),
                ("POST", "/images", self.create_image),
                ("GET", f"/images/{_UUID}", self.get_image),
                ("DELETE", f"/images/{_UUID}", self.delete_image),
                ("PUT", f"/images/{_UUID}/file", self.upload_image),
                ("GET", f"/tasks/{_UUID}", self.get_task),
            ]
        else:
            # Prism Element answers /versions but not intentful CRUD: it cannot read v3 entities.
            table.append(("*", "/.+", self.element_refuses))
        return [(m, re.compile(f"^{BASE}{p}$"), answering(fn, _refusal)) for m, p, fn in table]

    # -- misc ---------------------------------------------------------------------------------

    def versions(self, req: Request) -> Response:
        return Response(200, {"major_version": "3", "minor_version": "1"})

    def element_refuses(self, req: Request) -> Response:
        req.drain()
        raise _error(500, path_kind(req.raw_path), "Failed to read entity: intentful APIs are served by Prism Central",
                     "ENTITY_READ_ERROR")

    def prism_central(self, req: Request) -> Response:
        pc = self.state.data["pc"]
        return Response(200, {"resources": {"version": pc["version"], "type": "PC", "pc_size": "kSmall",
                                            "virtual_ip": "127.0.0.1", "cluster_uuid": pc["uuid"],
                                            "is_registered_to_hosting_pe": True, "pc_vm_list": []}})

    def _list(self, req: Request, kind: str, entities: list[tuple[str, dict[str, Any]]]) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            raise Invalid("Request body must be a JSON object")
        length = body.get("length", 20)
        offset = body.get("offset", 0)
        if not isinstance(length, int) or length < 1 or not isinstance(offset, int) or offset < 0:
            raise Invalid("length must be >= 1 and offset >= 0")
        length = min(length, _MAX_LENGTH)
        expr = body.get("filter") or ""
        matched = [e for name, e in entities if _filter_matches(expr, name)]
        for e in matched:
            e.pop("api_version", None)  # the list states it once, its entities do not repeat it
        metadata: dict[str, Any] = {"kind": kind, "total_matches": len(matched), "length": length, "offset": offset}
        if expr:
            metadata["filter"] = expr
        return Response(200, {"api_version": render.API_VERSION, "metadata": metadata,
                              "entities": matched[offset:offset + length]})

    # -- clusters, subnets ----------------------------------------------------------------------

    def list_clusters(self, req: Request) -> Response:
        with self.state.lock:
            ents = [(self.state.data["pc"]["name"], render.prism_central_entity(self.state)),
                    (self.state.cluster["name"], render.cluster(self.state))]
        for member in list(self.members):
            with member.lock:
                ents.append((member.cluster["name"], render.cluster(member)))
        return self._list(req, "cluster", ents)

    def get_cluster(self, req: Request, uuid: str) -> Response:
        if uuid == self.state.cluster["uuid"]:
            return Response(200, {"api_version": render.API_VERSION, **render.cluster(self.state)})
        if uuid == self.state.data["pc"]["uuid"]:
            return Response(200, {"api_version": render.API_VERSION, **render.prism_central_entity(self.state)})
        member = self._member(uuid)
        if member is not None:
            with member.lock:
                return Response(200, {"api_version": render.API_VERSION, **render.cluster(member)})
        raise Missing("cluster", uuid)

    def list_subnets(self, req: Request) -> Response:
        ents: list[tuple[str, dict[str, Any]]] = []
        for state in [self.state, *self.members]:
            with state.lock:
                ents += [(s["name"], render.subnet(state, s)) for s in state.data["subnets"].values()]
        return self._list(req, "subnet", ents)

    def get_subnet(self, req: Request, uuid: str) -> Response:
        for member in list(self.members):
            with member.lock:
                if uuid in member.data["subnets"]:
                    return Response(200, render.subnet(member, member.data["subnets"][uuid]))
        return Response(200, render.subnet(self.state, self.ops.subnet(uuid)))

    # -- VMs ----------------------------------------------------------------------------------

    def list_vms(self, req: Request) -> Response:
        with self.state.lock:
            ents = [(v["name"], render.vm(self.state, v)) for v in self.state.data["vms"].values()]
        return self._list(req, "vm", ents)

    def get_vm(self, req: Request, uuid: str) -> Response:
        with self.state.lock:
            return Response(200, render.vm(self.state, self.ops.vm(uuid)))

    @staticmethod
    def _intent(req: Request, kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
        body = req.json()
        if not isinstance(body, dict) or not isinstance(body.get("spec"), dict) or not isinstance(
                body.get("metadata"), dict):
            raise Invalid("Request must have 'metadata' and 'spec'")
        if body["metadata"].get("kind") != kind:
            raise Invalid(f"metadata.kind must be {kind!r}")
        return body["metadata"], body["spec"]

    def _neutral_vm(self, spec: dict[str, Any]) -> dict[str, Any]:
        res = spec.get("resources")
        if not isinstance(res, dict) or not spec.get("name"):
            raise Invalid("spec.name and spec.resources are required")
        disks = []
        for i, d in enumerate(res.get("disk_list") or []):
            props = d.get("device_properties") or {}
            addr = props.get("disk_address") or {}
            src = d.get("data_source_reference") or {}
            size = d.get("disk_size_bytes") or (d.get("disk_size_mib") or 0) * 2**20
            ctr = ((d.get("storage_config") or {}).get("storage_container_reference") or {}).get("uuid", "")
            if src.get("kind") == "image":
                # v3 ignores storage_config on a disk cloned from an image: it lands in the image's container
                # (terraform-provider-nutanix issues #223, #686: the disk ends up in SelfServiceContainer).
                ctr = ""
            disks.append({"adapter_type": addr.get("adapter_type", "SCSI"), "device_index": addr.get("device_index", i),
                          "device_type": props.get("device_type", "DISK"), "size_bytes": size,
                          "source_kind": src.get("kind", ""), "source": src.get("uuid", ""),
                          "container_uuid": ctr})
        nics = [{"subnet_uuid": (n.get("subnet_reference") or {}).get("uuid", ""),
                 "mac_address": (n.get("mac_address") or "").lower(), "model": n.get("model", "VIRTIO"),
                 "is_connected": n.get("is_connected", True)} for n in res.get("nic_list") or []]
        return {"name": spec["name"], "description": spec.get("description", ""),
                "num_sockets": res.get("num_sockets", 1), "num_vcpus_per_socket": res.get("num_vcpus_per_socket", 1),
                "memory_mib": res.get("memory_size_mib", 0),
                "boot_type": (res.get("boot_config") or {}).get("boot_type", "LEGACY"),
                "machine_type": res.get("machine_type", "PC"), "power_state": res.get("power_state", "ON"),
                "power_mechanism": (res.get("power_state_mechanism") or {}).get("mechanism", "HARD"),
                "disks": disks, "nics": nics}

    def create_vm(self, req: Request) -> Response:
        _meta, spec = self._intent(req, "vm")
        target = (spec.get("cluster_reference") or {}).get("uuid", "")
        member = self._member(target) if target else None
        if member is not None:
            # A deviation (see the package docstring): real PC would place the VM on that cluster.
            raise Invalid(f"The lab Prism Central creates VMs only on its own cluster "
                          f"'{self.state.cluster['name']}', not on '{member.cluster['name']}'; "
                          "connect to that cluster's Prism Element to create VMs there")
        vm = self._neutral_vm(spec)
        work = self.ops.create_vm(vm)
        task = self.ops.tasks.submit("VmCreate", [{"kind": "vm", "uuid": vm["uuid"], "name": vm["name"]}], work)
        vm["task_uuid"] = task
        return Response(202, render.pending("vm", vm["uuid"], spec, task))

    def update_vm(self, req: Request, uuid: str) -> Response:
        meta, spec = self._intent(req, "vm")
        with self.state.lock:
            vm = self.ops.vm(uuid)
            sent = meta.get("spec_version")
            if not isinstance(sent, int) or sent < vm["spec_version"]:
                raise _error(409, "vm", f"Edit conflict: spec_version {sent} is older than {vm['spec_version']}; "
                             "read the VM again and re-apply the change", "CONCURRENT_REQUESTS_NOT_ALLOWED")
            new = self._neutral_vm(spec)
            self.ops.check_vm({**vm, **{k: new[k] for k in ("name", "num_sockets", "num_vcpus_per_socket",
                                                          "memory_mib", "boot_type", "machine_type")}})
            previous = vm["spec_version"]
            vm["spec_version"] = previous + 1
            self.state.save()
        power = new["power_state"]

        def work() -> None:
            with self.state.lock:
                for key in ("name", "description", "num_sockets", "num_vcpus_per_socket", "memory_mib", "boot_type",
                            "machine_type", "power_mechanism"):
                    vm[key] = new[key]
                vm["update_usecs"] = now_usecs()
            self.ops.apply_power(uuid, power)
        task = self.ops.tasks.submit("VmUpdate", [{"kind": "vm", "uuid": uuid, "name": new["name"]}], work)
        with self.state.lock:
            vm["task_uuid"] = task
        return Response(202, render.pending("vm", uuid, spec, task, previous))

    def delete_vm(self, req: Request, uuid: str) -> Response:
        work = self.ops.delete_vm(uuid)
        task = self.ops.tasks.submit("VmDelete", [{"kind": "vm", "uuid": uuid}], work)
        return Response(202, {"api_version": render.API_VERSION, "metadata": {"kind": "vm", "uuid": uuid},
                              "status": {"state": "DELETE_PENDING", "execution_context": {"task_uuid": task}}})

    def snapshot_vm(self, req: Request, uuid: str) -> Response:
        body = req.json()
        name = body.get("name") if isinstance(body, dict) else None
        snap_uuid, work = self.ops.snapshot_vm(uuid, name or f"snapshot-{uuid[:8]}")
        task = self.ops.tasks.submit("VmSnapshotCreate", [{"kind": "vm", "uuid": uuid},
                                                         {"kind": "vm_snapshot", "uuid": snap_uuid}], work)
        return Response(202, {"task_uuid": task})

    # -- images -------------------------------------------------------------------------------

    def list_images(self, req: Request) -> Response:
        with self.state.lock:
            ents = [(i["name"], render.image(self.state, i)) for i in self.state.data["images"].values()]
        return self._list(req, "image", ents)

    def get_image(self, req: Request, uuid: str) -> Response:
        with self.state.lock:
            return Response(200, render.image(self.state, self.ops.image(uuid)))

    def create_image(self, req: Request) -> Response:
        _meta, spec = self._intent(req, "image")
        res = spec.get("resources") or {}
        source = res.get("source_uri", "")
        # Without initial_placement_ref_list PC places the image on every registered cluster (images.py).
        placement = [str((r or {}).get("uuid", "")) for r in res.get("initial_placement_ref_list") or []]
        self.ops.images.check_placement(placement, self.members)
        every = [self.state.cluster["uuid"], *(m.cluster["uuid"] for m in self.members)]
        image = self.ops.images.new(spec.get("name", ""), container=self.state.default_container(),
                                    description=spec.get("description", ""),
                                    image_type=res.get("image_type", "DISK_IMAGE"), source_uri=source,
                                    placement=placement or every)
        work = self.ops.images.register(image, source, await_bytes=not source, members=self.members)
        task = self.ops.tasks.submit("ImageCreate", [{"kind": "image", "uuid": image["uuid"],
                                                      "name": image["name"]}], work)
        with self.state.lock:
            image["task_uuids"].append(task)
        return Response(202, render.pending("image", image["uuid"], spec, task))

    def delete_image(self, req: Request, uuid: str) -> Response:
        work = self.ops.images.delete(self.ops.image(uuid))
        task = self.ops.tasks.submit("ImageDelete", [{"kind": "image", "uuid": uuid}], work)
        return Response(202, {"api_version": render.API_VERSION, "metadata": {"kind": "image", "uuid": uuid},
                              "status": {"state": "DELETE_PENDING", "execution_context": {"task_uuid": task}}})

    def upload_image(self, req: Request, uuid: str) -> Response:
        image = self.ops.image(uuid)
        drop_after = None
        if self.upload_drop():
            drop_after = max(1, (req.content_length or 2 << 20) // 2)
        self.ops.images.receive(image, req.stream(), checksum_type=req.headers.get(
            "X-Nutanix-Checksum-Type", ""), checksum_hex=req.headers.get("X-Nutanix-Checksum-Bytes", ""),
            drop_after=drop_after)
        # The bytes are in; PC's own upload task places them (on every cluster the image is placed on) and only
        # then is the image COMPLETE.  The task is listed in the image's status.execution_context (images.py).
        task = self.ops.tasks.submit("ImageUpload", [{"kind": "image", "uuid": uuid, "name": image["name"]}],
                                     self.ops.images.complete_upload(image, self.members))
        with self.state.lock:
            image.setdefault("task_uuids", []).append(task)
        return Response(200, None)

    # -- tasks --------------------------------------------------------------------------------

    def get_task(self, req: Request, uuid: str) -> Response:
        task = self.ops.tasks.get(uuid)
        if task is None:
            raise Missing("task", uuid)
        return Response(200, render.task(task))
