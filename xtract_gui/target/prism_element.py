"""``TargetPlatform`` over the Prism Element v2.0 API (plus v0.8 for image bytes)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from ..domain.errors import ConfigurationError, NotFoundError, RemoteTaskError, UnsupportedError, XtractError
from ..domain.inventory import (
    BootType,
    StorageContainer,
    Subnet,
    TargetCluster,
    TargetKind,
    TargetVM,
    TargetVMSpec,
)
from ..engine.ports import Cancellation, ProgressFn, no_progress
from . import v2_parse as parse
from .common import best_effort, check_cancel, fiql_value, upload_failed
from .tasks import CLEANUP_TIMEOUT, DEFAULT_TASK_TIMEOUT, PrismTaskError, TaskState, wait_task, wait_until
from .transport import PrismTransport
from .upload import StreamBody, UnsizedStreamBody, UploadCancelled
from .v2_paging import paged

V2 = "/PrismGateway/services/rest/v2.0"
V08 = "/api/nutanix/v0.8"
PAGE = 100
IMAGE_ACTIVE_TIMEOUT = 300.0  # how long an uploaded image may read INACTIVE before the upload counts as failed


class PrismElement:
    """One AHV cluster through its own Prism (v2.0)."""

    def __init__(self, transport: PrismTransport, *, cluster_json: dict[str, Any], fingerprint: str) -> None:
        self.t = transport
        self._cluster_json = cluster_json
        self._fingerprint = fingerprint

    @property
    def kind(self) -> TargetKind:
        return TargetKind.PRISM_ELEMENT

    @property
    def version(self) -> str:
        return str(self._cluster_json.get("version", ""))

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    @property
    def cluster_uuid(self) -> str:
        return str(self._cluster_json["uuid"])

    def close(self) -> None:
        self.t.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _list(self, path: str, action: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every entity of a v2.0 list call, each call paged its own way (v2_paging) and each entity once."""
        return paged(lambda query: self.t.json("GET", f"{V2}{path}", action=action, params={**(params or {}), **query}),
                     path, PAGE)

    def _task(self, task_uuid: str) -> TaskState:
        return parse.task(self.t.json("GET", f"{V2}/tasks/{task_uuid}", action="read a task"))

    def _wait(self, answer: dict[str, Any], action: str, progress: ProgressFn = no_progress,
              cancel: Cancellation | None = None, timeout: float = DEFAULT_TASK_TIMEOUT) -> TaskState:
        task_uuid = str(answer.get("task_uuid", ""))
        if not task_uuid:
            return TaskState(uuid="", status="SUCCEEDED", percentage=100)
        return wait_task(lambda: self._task(task_uuid), action=action, progress=progress, cancel=cancel,
                         timeout=timeout)

    # -- inventory ----------------------------------------------------------------------------

    def _refresh_cluster(self) -> dict[str, Any]:
        self._cluster_json = self.t.json("GET", f"{V2}/cluster", action="read the cluster")
        return self._cluster_json

    def clusters(self) -> list[TargetCluster]:
        c = self._refresh_cluster()
        return [parse.cluster(c)] if parse.is_ahv(c) else []

    def containers(self, cluster_uuid: str) -> list[StorageContainer]:
        return [parse.container(c, self.cluster_uuid) for c in self._list("/storage_containers",
                                                                          "list storage containers")
                if (c.get("cluster_uuid") or self.cluster_uuid) == cluster_uuid]

    def subnets(self, cluster_uuid: str) -> list[Subnet]:
        if cluster_uuid != self.cluster_uuid:
            return []
        return [parse.network(n, self.cluster_uuid) for n in self._list("/networks", "list networks")]

    _VM_DETAIL = {"include_vm_disk_config": "true", "include_vm_nic_config": "true"}

    def vms(self) -> list[TargetVM]:
        return [parse.vm(v, self.cluster_uuid) for v in self._list("/vms", "list VMs", self._VM_DETAIL)]

    def find_vms(self, name: str) -> list[TargetVM]:
        query = {**self._VM_DETAIL, "filter": f"vm_name=={fiql_value(name)}"}
        found = self._list("/vms", f"find VM '{name}'", query)
        return [v for v in (parse.vm(x, self.cluster_uuid) for x in found) if v.name == name]

    def get_vm(self, vm_uuid: str) -> TargetVM:
        return parse.vm(self.t.json("GET", f"{V2}/vms/{vm_uuid}", action=f"read VM {vm_uuid}",
                                    params=self._VM_DETAIL), self.cluster_uuid)

    # -- VMs ----------------------------------------------------------------------------------

    def _vm_body(self, spec: TargetVMSpec) -> dict[str, Any]:
        """``create.dto.uhura.VmConfigDTO``: only fields the v2.0 schema has (see lab/prism/v2_schema.py)."""
        disks = []
        for d in spec.disks:
            disk: dict[str, Any] = {"is_cdrom": False, "disk_address": {"device_bus": d.bus.upper(),
                                                                        "device_index": d.index}}
            if d.image_uuid or d.ndfs_path:
                source = {"ndfs_filepath": d.ndfs_path} if d.ndfs_path else {"vmdisk_uuid": self._vmdisk_of(
                    d.image_uuid)}
                clone: dict[str, Any] = {"disk_address": source}
                if d.size_bytes:
                    clone["minimum_size"] = d.size_bytes
                if d.container_uuid:
                    clone["storage_container_uuid"] = d.container_uuid
                disk["vm_disk_clone"] = clone
            else:
                disk["vm_disk_create"] = {"storage_container_uuid": d.container_uuid, "size": d.size_bytes}
            disks.append(disk)
        nics = []
        for n in spec.nics:
            nic: dict[str, Any] = {"network_uuid": n.subnet_uuid, "model": n.model.lower(),
                                   "is_connected": n.connected}
            if n.mac:
                nic["mac_address"] = n.mac.lower()
            nics.append(nic)
        body: dict[str, Any] = {
            "name": spec.name, "description": spec.description, "memory_mb": spec.memory_mib,
            "num_vcpus": spec.num_sockets, "num_cores_per_vcpu": spec.cores_per_socket,
            "boot": {"uefi_boot": spec.boot_type is not BootType.LEGACY}, "vm_disks": disks, "vm_nics": nics}
        return body

    @staticmethod
    def _refuse_secure_boot(spec: TargetVMSpec) -> None:
        # Secure Boot needs machine type Q35, and machine_type is not a field of the v2.0 create DTO (it exists
        # only on GET): Prism Element cannot make such a VM.  Readiness says so first (secure_boot_needs_pc).
        if spec.boot_type is BootType.SECURE_BOOT:
            raise UnsupportedError(
                f"VM '{spec.name}' needs UEFI Secure Boot, which needs machine type Q35, and Prism Element's API "
                "(v2.0) cannot create a VM with a machine type.",
                hint="Connect the plan to the Prism Central that manages this cluster: it creates Q35 VMs with "
                     "Secure Boot.")

    def _vmdisk_of(self, image_uuid: str) -> str:
        image = self.t.json("GET", f"{V2}/images/{image_uuid}", action=f"read image {image_uuid}")
        vmdisk = image.get("vm_disk_id")
        if not vmdisk:
            raise XtractError(f"Image {image.get('name', image_uuid)} has no disk data yet.",
                              hint="Wait for its upload or import to finish, or upload it again.")
        return str(vmdisk)

    def create_vm(self, spec: TargetVMSpec, *, progress: ProgressFn = no_progress,
                  cancel: Cancellation | None = None) -> str:
        check_cancel(cancel, f"create VM '{spec.name}'")
        self._refuse_secure_boot(spec)
        answer = self.t.json("POST", f"{V2}/vms", action=f"create VM '{spec.name}'", json=self._vm_body(spec))
        vm_uuid = ""
        try:
            state = self._wait(answer, f"create VM '{spec.name}'", lambda f, m: progress(f * 0.8, m), cancel)
            vm_uuid = state.entity("vm")
            if spec.power_on:
                self.set_power_state(vm_uuid, "on", progress=lambda f, m: progress(0.8 + f * 0.2, m), cancel=cancel)
        except BaseException:
            self._remove_half_vm(answer, vm_uuid)
            raise
        progress(1.0, f"VM '{spec.name}' created")
        return vm_uuid

    def _remove_half_vm(self, answer: dict[str, Any], vm_uuid: str) -> None:
        if not vm_uuid:
            # Cancelled while the task ran: let it end to learn the VM's uuid, then delete that VM.
            try:
                vm_uuid = self._wait(answer, "finish creating the VM", timeout=CLEANUP_TIMEOUT).entity("vm")
            except XtractError:
                return  # the create failed: there is nothing to remove
        if vm_uuid:
            best_effort(f"delete the half-created VM {vm_uuid}", lambda: self.delete_vm(vm_uuid))

    def set_power_state(self, vm_uuid: str, transition: str, *, progress: ProgressFn = no_progress,
                        cancel: Cancellation | None = None) -> None:
        if transition not in ("on", "off", "acpi_shutdown"):
            raise ConfigurationError(f"Unknown power transition {transition!r}.",
                                     hint="Use on, off or acpi_shutdown.")
        action = f"power {transition.replace('_', ' ')} VM {vm_uuid}"
        answer = self.t.json("POST", f"{V2}/vms/{vm_uuid}/set_power_state", action=action,
                             json={"transition": transition.upper()})
        self._wait(answer, action, progress, cancel)

    def delete_vm(self, vm_uuid: str, *, cancel: Cancellation | None = None) -> None:
        try:
            answer = self.t.json("DELETE", f"{V2}/vms/{vm_uuid}", action=f"delete VM {vm_uuid}")
            self._wait(answer, f"delete VM {vm_uuid}", cancel=cancel)
        except NotFoundError:
            return

    def snapshot_vm(self, vm_uuid: str, name: str, *, cancel: Cancellation | None = None) -> str:
        answer = self.t.json("POST", f"{V2}/snapshots", action=f"snapshot VM {vm_uuid}",
                             json={"snapshot_specs": [{"vm_uuid": vm_uuid, "snapshot_name": name}]})
        state = self._wait(answer, f"snapshot VM {vm_uuid}", cancel=cancel)
        return state.entity("snapshot") or state.uuid

    # -- images -------------------------------------------------------------------------------

    def upload_image(self, name: str, container_uuid: str, stream: Iterable[bytes], *,
                     size: int | None = None, disk_format: str = "raw", sha256: str = "",
                     progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        """v2 create, then the bytes through v0.8 into ``container_uuid``.  v0.8 has no checksum header,
        so ``sha256`` is not sent; AOS detects ``disk_format`` from the bytes.  Real AOS wants a
        Content-Length: pass ``size`` (without it the body goes chunked)."""
        check_cancel(cancel, f"upload image '{name}'")
        answer = self.t.json("POST", f"{V2}/images", action=f"create image '{name}'",
                             json={"name": name, "annotation": "xtract-gui", "image_type": "DISK_IMAGE"})
        image_uuid = ""
        try:
            image_uuid = self._wait(answer, f"create image '{name}'", cancel=cancel).entity("image")
            body = StreamBody(stream, size, progress, cancel)
            upload = self.t.json("PUT", f"{V08}/images/{image_uuid}/upload", action=f"upload image '{name}'",
                                 data=body if size is not None else UnsizedStreamBody(body),
                                 headers={"Content-Type": "application/octet-stream",
                                          "X-Nutanix-Destination-Container": container_uuid},
                                 timeout=max(self.t.timeout, 300))
            self._wait(upload, f"store image '{name}'", cancel=cancel)
            self._wait_active(image_uuid, name, progress, cancel)
        except BaseException as exc:
            if image_uuid:
                best_effort(f"remove the partial image '{name}'", lambda: self.delete_image(image_uuid))
            if isinstance(exc, UploadCancelled):
                raise upload_failed(exc, name) from None
            raise
        return image_uuid

    def _wait_active(self, image_uuid: str, name: str, progress: ProgressFn, cancel: Cancellation | None) -> None:
        """After its upload task SUCCEEDED an image can still read INACTIVE for a while (nutanix/curie
        curie/acropolis_cluster.py at e25691f4 re-reads it: "possible AHV bug. See XRAY-225"): read again with
        growing pauses, for a bounded time, before calling the upload failed."""
        def look() -> bool | None:
            image = self.t.json("GET", f"{V2}/images/{image_uuid}", action=f"read image '{name}'")
            if image.get("image_state") == "ACTIVE":
                return True
            progress(1.0, f"waiting for Prism to activate image '{name}'")
            return None

        def timed_out(seconds: float) -> XtractError:
            return RemoteTaskError(f"Image '{name}' was still INACTIVE {int(seconds)} s after its upload finished; "
                                   "it was removed.", hint="Check the cluster's image service in Prism, then retry.")

        wait_until(look, action=f"activate image '{name}'", timed_out=timed_out, cancel=cancel,
                   timeout=IMAGE_ACTIVE_TIMEOUT, first_interval=0.05, max_interval=5.0)

    def create_image_from_url(self, name: str, container_uuid: str, url: str, *,
                              progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        check_cancel(cancel, f"import image '{name}'")
        answer = self.t.json("POST", f"{V2}/images", action=f"import image '{name}'",
                             json={"name": name, "annotation": "xtract-gui", "image_type": "DISK_IMAGE",
                                   "image_import_spec": {"storage_container_uuid": container_uuid, "url": url}})
        try:
            return self._wait(answer, f"import image '{name}' from {url}", progress, cancel).entity("image")
        except PrismTaskError:
            raise
        except BaseException:
            best_effort(f"remove image '{name}'", lambda: self._remove_imported(answer))
            raise

    def _remove_imported(self, answer: dict[str, Any]) -> None:
        image_uuid = self._wait(answer, "finish importing the image", timeout=CLEANUP_TIMEOUT).entity("image")
        if image_uuid:
            self.delete_image(image_uuid)

    def find_images(self, name: str) -> list[str]:
        """Uuids of the images named exactly ``name`` (v2 lists images without a name filter)."""
        return [str(i["uuid"]) for i in self._list("/images", f"find image '{name}'") if i.get("name") == name]

    def delete_image(self, image_uuid: str) -> None:
        try:
            answer = self.t.json("DELETE", f"{V2}/images/{image_uuid}", action=f"delete image {image_uuid}")
            self._wait(answer, f"delete image {image_uuid}")
        except NotFoundError:
            return

    # -- NFS whitelist ------------------------------------------------------------------------

    # A Prism Element manages one cluster: ``cluster_uuid`` names it (or is ""), so it chooses nothing here.

    def nfs_whitelist(self, cluster_uuid: str = "") -> list[str]:
        return list(self._refresh_cluster().get("global_nfs_white_list") or [])

    def add_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        if entry in self.nfs_whitelist():
            return
        self.t.json("POST", f"{V2}/cluster/nfs_whitelist", action=f"add {entry} to the NFS whitelist",
                    json={"value": entry})

    def remove_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        if entry not in self.nfs_whitelist():
            return
        # The path template is /cluster/nfs_whitelist/{name:.+} (v2.0 schema, cluster.json): the entry's own "/"
        # goes unencoded.  An encoded "%2F" is refused by Prism's servlet container (Tomcat rejects encoded
        # slashes by default) before Prism sees it.
        self.t.json("DELETE", f"{V2}/cluster/nfs_whitelist/{quote(entry, safe='/')}",
                    action=f"remove {entry} from the NFS whitelist")
