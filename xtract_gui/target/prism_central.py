"""``TargetPlatform`` over the Prism Central v3 API (intentful: specs, spec_version, tasks)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from ..domain.errors import ConfigurationError, ConflictError, NotFoundError, UnsupportedError
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
from . import v3_parse as parse
from .common import MIB, best_effort, check_cancel, fiql_value
from .pc_images import PcImages
from .tasks import CLEANUP_TIMEOUT, DEFAULT_TASK_TIMEOUT, PrismTaskError, TaskState, wait_task
from .transport import PrismTransport

V3 = "/api/nutanix/v3"
PAGE = 100
_CONFLICT_RETRIES = 5
ElementFactory = Callable[[TargetCluster], Any]  # → a PrismElement for that cluster's own address


class PrismCentral:
    """Prism Central (v3).  Storage containers and the NFS whitelist are not in v3: they are read from the
    cluster's Prism Element at its external IP with the same account, through ``element_factory``."""

    def __init__(self, transport: PrismTransport, *, version: str, fingerprint: str,
                 element_factory: ElementFactory | None = None) -> None:
        self.t = transport
        self._version = version
        self._fingerprint = fingerprint
        self._element_factory = element_factory
        self._elements: dict[str, Any] = {}
        self._listed: dict[str, TargetCluster] = {}  # the last clusters() answer, by uuid
        self._subnets: dict[str, list[Subnet]] | None = None  # one subnets listing, by cluster uuid
        self._subnets_lock = threading.Lock()
        self._elements_lock = threading.Lock()
        self._element_locks: dict[str, threading.Lock] = {}
        self._container_clusters: dict[str, str] = {}  # container uuid → its cluster, from containers()
        self.images = PcImages(transport)

    @property
    def kind(self) -> TargetKind:
        return TargetKind.PRISM_CENTRAL

    @property
    def version(self) -> str:
        return self._version

    @property
    def fingerprint(self) -> str:
        return self._fingerprint

    def close(self) -> None:
        for element in self._elements.values():
            element.close()
        self.t.close()

    # -- plumbing -----------------------------------------------------------------------------

    def _list(self, kind: str, action: str, filter_expr: str = "") -> list[dict[str, Any]]:
        entities: list[dict[str, Any]] = []
        offset = 0
        while True:
            body: dict[str, Any] = {"kind": kind, "length": PAGE, "offset": offset}
            if filter_expr:
                body["filter"] = filter_expr
            page = self.t.json("POST", f"{V3}/{kind}s/list", action=action, json=body)
            batch = page.get("entities") or []
            entities += batch
            total = int((page.get("metadata") or {}).get("total_matches") or 0)
            offset += len(batch)
            if not batch or offset >= total:
                return entities

    def _task(self, task_uuid: str) -> TaskState:
        return parse.task(self.t.json("GET", f"{V3}/tasks/{task_uuid}", action="read a task"))

    def _wait(self, answer: dict[str, Any], action: str, progress: ProgressFn = no_progress,
              cancel: Cancellation | None = None, timeout: float = DEFAULT_TASK_TIMEOUT) -> TaskState:
        task_uuid = parse.task_uuid(answer)
        if not task_uuid:
            return TaskState(uuid="", status="SUCCEEDED", percentage=100)
        return wait_task(lambda: self._task(task_uuid), action=action, progress=progress, cancel=cancel,
                         timeout=timeout)

    # -- inventory ----------------------------------------------------------------------------

    def clusters(self) -> list[TargetCluster]:
        found = [parse.cluster(e) for e in self._list("cluster", "list clusters") if parse.is_ahv_cluster(e)]
        self._listed = {c.uuid: c for c in found}
        with self._subnets_lock:  # after a listing still running, not before it (it would put the old one back)
            self._subnets = None  # a new look at the inventory (the wizard's refresh, readiness) sees new subnets
        return found

    def _cluster(self, cluster_uuid: str) -> TargetCluster:
        # Reading containers cluster by cluster right after clusters() must not list them all again each
        # time; a cluster not in the last listing (new, or never listed) costs one fresh listing.
        cluster = self._listed.get(cluster_uuid)
        if cluster is None:
            cluster = next((c for c in self.clusters() if c.uuid == cluster_uuid), None)
        if cluster is None:
            raise NotFoundError(f"Prism Central manages no AHV cluster with uuid {cluster_uuid}.",
                                hint="Refresh the list of clusters and pick one again.")
        return cluster

    def _element(self, cluster: TargetCluster) -> Any:
        if self._element_factory is None:
            raise UnsupportedError(
                f"Prism Central has no API for storage containers or the NFS whitelist of '{cluster.name}'.",
                hint=f"Connect to that cluster's Prism Element at {cluster.external_ip or 'its address'} instead.")
        # Readiness and the whitelist may ask at once: one session per element, and one lock per cluster so
        # that an element that does not answer holds up only the calls for its own cluster.
        with self._elements_lock:
            lock = self._element_locks.setdefault(cluster.uuid, threading.Lock())
        with lock:
            if cluster.uuid not in self._elements:
                self._elements[cluster.uuid] = self._element_factory(cluster)
            return self._elements[cluster.uuid]

    def containers(self, cluster_uuid: str) -> list[StorageContainer]:
        """Read through the cluster's Prism Element (v2 ``/storage_containers``), same account."""
        found = list(self._element(self._cluster(cluster_uuid)).containers(cluster_uuid))
        self._container_clusters.update({c.uuid: cluster_uuid for c in found})
        return found

    def subnets(self, cluster_uuid: str) -> list[Subnet]:
        """The cluster's subnets, from one listing of all subnets per ``clusters()`` call.

        v3 documents no filter by cluster for ``subnets/list``, so every call would page through all of
        them; callers ask cluster by cluster right after ``clusters()``, which starts a fresh listing.
        """
        with self._subnets_lock:
            if self._subnets is None:
                by_cluster: dict[str, list[Subnet]] = {}
                for e in self._list("subnet", "list subnets"):
                    by_cluster.setdefault(parse.subnet_cluster(e), []).append(parse.subnet(e))
                self._subnets = by_cluster
            return list(self._subnets.get(cluster_uuid, ()))

    def vms(self) -> list[TargetVM]:
        return [parse.vm(e) for e in self._list("vm", "list VMs")]

    def find_vms(self, name: str) -> list[TargetVM]:
        found = self._list("vm", f"find VM '{name}'", f"vm_name=={fiql_value(name)}")
        # The server's filter matches loosely (regular expressions); only exact names count.
        return [v for v in map(parse.vm, found) if v.name == name]

    def get_vm(self, vm_uuid: str) -> TargetVM:
        return parse.vm(self.t.json("GET", f"{V3}/vms/{vm_uuid}", action=f"read VM {vm_uuid}"))

    # -- VMs ----------------------------------------------------------------------------------

    def _vm_body(self, spec: TargetVMSpec, image_for_disk: dict[int, str]) -> dict[str, Any]:
        disks = []
        for i, d in enumerate(spec.disks):
            disk: dict[str, Any] = {"device_properties": {"device_type": "DISK", "disk_address": {
                "adapter_type": d.bus.upper(), "device_index": d.index}}}
            image = d.image_uuid or image_for_disk.get(i, "")
            if image:
                disk["data_source_reference"] = {"kind": "image", "uuid": image}
            if d.size_bytes:
                disk["disk_size_mib"] = math.ceil(d.size_bytes / MIB)
            if d.container_uuid:
                disk["storage_config"] = {"storage_container_reference": {"kind": "storage_container",
                                                                          "uuid": d.container_uuid}}
            disks.append(disk)
        nics = []
        for n in spec.nics:
            nic: dict[str, Any] = {"subnet_reference": {"kind": "subnet", "uuid": n.subnet_uuid},
                                   "model": n.model.upper(), "is_connected": n.connected}
            if n.mac:
                nic["mac_address"] = n.mac.lower()
            nics.append(nic)
        resources: dict[str, Any] = {
            "num_sockets": spec.num_sockets, "num_vcpus_per_socket": spec.cores_per_socket,
            "num_threads_per_core": 1, "memory_size_mib": spec.memory_mib, "power_state": "OFF",
            "machine_type": "Q35" if spec.boot_type is BootType.SECURE_BOOT else "PC",
            "boot_config": {"boot_type": spec.boot_type.value}, "disk_list": disks, "nic_list": nics}
        body_spec: dict[str, Any] = {"name": spec.name, "resources": resources,
                                     "cluster_reference": {"kind": "cluster", "uuid": spec.cluster_uuid}}
        if spec.description:
            body_spec["description"] = spec.description
        return {"metadata": {"kind": "vm"}, "spec": body_spec}

    def _stage_images(self, spec: TargetVMSpec, cancel: Cancellation | None) -> dict[int, str]:
        """v3 disks clone only from images: a file written over NFS becomes an image first."""
        staged: dict[int, str] = {}
        files = [(i, d) for i, d in enumerate(spec.disks) if d.ndfs_path and not d.image_uuid]
        if not files:
            return staged
        cluster = self._cluster(spec.cluster_uuid)
        # An earlier attempt whose create answer was lost may have left its staging image: those are ours by name.
        self._sweep_staging_images(spec)
        try:
            for i, d in files:
                url = f"nfs://{cluster.external_ip}/{d.ndfs_path.lstrip('/')}"
                check_cancel(cancel, f"import image '{_staging_image_name(spec, i)}'")
                staged[i] = self.images.create(_staging_image_name(spec, i),
                                               {"image_type": "DISK_IMAGE", "source_uri": url}, cluster.uuid,
                                               cancel=cancel)
        except BaseException:
            for image_uuid in staged.values():
                best_effort("remove a staging image", lambda u=image_uuid: self.delete_image(u))
            # The image whose create answer was lost has no uuid here: find it by its name.
            best_effort("remove staging images", lambda: self._sweep_staging_images(spec))
            raise
        return staged

    def _sweep_staging_images(self, spec: TargetVMSpec) -> None:
        for i, d in enumerate(spec.disks):
            if d.ndfs_path and not d.image_uuid:
                for image_uuid in self.find_images(_staging_image_name(spec, i)):
                    best_effort("remove a staging image", lambda u=image_uuid: self.delete_image(u))

    def create_vm(self, spec: TargetVMSpec, *, progress: ProgressFn = no_progress,
                  cancel: Cancellation | None = None) -> str:
        """Disks from ``ndfs_path`` go through a staging image (``nfs://<cluster ip>/<path>``), removed after."""
        check_cancel(cancel, f"create VM '{spec.name}'")
        staged = self._stage_images(spec, cancel)
        vm_uuid = ""
        answer: dict[str, Any] = {}
        try:
            answer = self.t.json("POST", f"{V3}/vms", action=f"create VM '{spec.name}'",
                                 json=self._vm_body(spec, staged))
            vm_uuid = str((answer.get("metadata") or {}).get("uuid", ""))
            self._wait(answer, f"create VM '{spec.name}'", lambda f, m: progress(f * 0.8, m), cancel)
            if spec.power_on:
                self.set_power_state(vm_uuid, "on", progress=lambda f, m: progress(0.8 + f * 0.2, m), cancel=cancel)
        except BaseException:
            if vm_uuid:
                self._remove_half_vm(vm_uuid, answer)
            raise
        finally:
            for image_uuid in staged.values():
                best_effort("remove a staging image", lambda u=image_uuid: self.delete_image(u))
            if staged:  # a delete whose answer was lost, retried by name
                best_effort("remove staging images", lambda: self._sweep_staging_images(spec))
        progress(1.0, f"VM '{spec.name}' created")
        return vm_uuid

    def _remove_half_vm(self, vm_uuid: str, answer: dict[str, Any]) -> None:
        # Let the create task end first (cancel only stopped our wait), then delete whatever it made.
        best_effort("wait for the create task",
                    lambda: self._wait(answer, "finish creating the VM", timeout=CLEANUP_TIMEOUT))
        best_effort(f"delete the half-created VM {vm_uuid}", lambda: self.delete_vm(vm_uuid))

    def _update_vm(self, vm_uuid: str, change: Callable[[dict[str, Any]], None], action: str,
                   progress: ProgressFn, cancel: Cancellation | None) -> None:
        """GET, change the spec, PUT it back with the spec_version read; on an edit conflict read again."""
        for attempt in range(_CONFLICT_RETRIES):
            check_cancel(cancel, action)
            current = self.t.json("GET", f"{V3}/vms/{vm_uuid}", action=action)
            body = {"metadata": current["metadata"], "spec": current["spec"]}
            change(body["spec"])
            try:
                answer = self.t.json("PUT", f"{V3}/vms/{vm_uuid}", action=action, json=body)
                self._wait(answer, action, progress, cancel)
                return
            except ConflictError:
                if attempt == _CONFLICT_RETRIES - 1:
                    raise
            except PrismTaskError as exc:
                # Since pc.2022.1 a stale spec_version may come back as a FAILED task instead of a 409.
                if "CONCURRENT" not in exc.error_code.upper() and "spec_version" not in exc.error_detail:
                    raise
                if attempt == _CONFLICT_RETRIES - 1:
                    raise
            time.sleep(0.2 * (attempt + 1))  # someone else is editing the VM: give them a moment

    def set_power_state(self, vm_uuid: str, transition: str, *, progress: ProgressFn = no_progress,
                        cancel: Cancellation | None = None) -> None:
        wanted = {"on": ("ON", "HARD"), "off": ("OFF", "HARD"), "acpi_shutdown": ("OFF", "ACPI")}.get(transition)
        if wanted is None:
            raise ConfigurationError(f"Unknown power transition {transition!r}.",
                                     hint="Use on, off or acpi_shutdown.")

        def change(spec: dict[str, Any]) -> None:
            spec["resources"]["power_state"] = wanted[0]
            spec["resources"]["power_state_mechanism"] = {"mechanism": wanted[1]}
        self._update_vm(vm_uuid, change, f"power {transition.replace('_', ' ')} VM {vm_uuid}", progress, cancel)

    def delete_vm(self, vm_uuid: str, *, cancel: Cancellation | None = None) -> None:
        try:
            answer = self.t.json("DELETE", f"{V3}/vms/{vm_uuid}", action=f"delete VM {vm_uuid}")
            self._wait(answer, f"delete VM {vm_uuid}", cancel=cancel)
        except NotFoundError:
            return
        except PrismTaskError as exc:
            if "NOT_FOUND" not in exc.error_code.upper():
                raise

    def snapshot_vm(self, vm_uuid: str, name: str, *, cancel: Cancellation | None = None) -> str:
        answer = self.t.json("POST", f"{V3}/vms/{vm_uuid}/snapshot", action=f"snapshot VM {vm_uuid}",
                             json={"name": name})
        state = self._wait(answer, f"snapshot VM {vm_uuid}", cancel=cancel)
        return state.entity("vm_snapshot", "snapshot", "vm_recovery_point") or state.uuid

    # -- images (pc_images.py) -------------------------------------------------------------------

    def _cluster_of_container(self, container_uuid: str) -> str:
        """The cluster that holds ``container_uuid``: where an image for it is placed (never on every cluster)."""
        cluster = self._container_clusters.get(container_uuid)
        if cluster:
            return cluster
        clusters = list(self._listed.values()) or self.clusters()
        if len(clusters) == 1:
            return clusters[0].uuid
        if container_uuid:
            for candidate in clusters:
                self.containers(candidate.uuid)  # fills _container_clusters
                if container_uuid in self._container_clusters:
                    return self._container_clusters[container_uuid]
        names = ", ".join(c.name for c in clusters) or "none"
        raise ConfigurationError(f"Prism Central manages several AHV clusters ({names}) and no storage container "
                                 f"{container_uuid or '(none given)'} tells on which one the image belongs.",
                                 hint="Choose the plan's storage container again on the Target page.")

    def upload_image(self, name: str, container_uuid: str, stream: Iterable[bytes], *,
                     size: int | None = None, disk_format: str = "raw", sha256: str = "",
                     progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        """Placed on the cluster of ``container_uuid`` only.  v3 puts images in that cluster's image container
        (SelfServiceContainer), not in ``container_uuid``; AOS detects ``disk_format`` itself."""
        check_cancel(cancel, f"upload image '{name}'")
        return self.images.upload(name, self._cluster_of_container(container_uuid), stream, size=size,
                                  sha256=sha256, progress=progress, cancel=cancel)

    def create_image_from_url(self, name: str, container_uuid: str, url: str, *,
                              progress: ProgressFn = no_progress, cancel: Cancellation | None = None) -> str:
        check_cancel(cancel, f"import image '{name}'")
        return self.images.create(name, {"image_type": "DISK_IMAGE", "source_uri": url},
                                  self._cluster_of_container(container_uuid), progress, cancel)

    def find_images(self, name: str) -> list[str]:
        """Uuids of the images named exactly ``name`` (the server's filter matches loosely)."""
        found = self._list("image", f"find image '{name}'", f"name=={fiql_value(name)}")
        return [str(e["metadata"]["uuid"]) for e in found
                if ((e.get("status") or {}).get("name") or (e.get("spec") or {}).get("name")) == name]

    def delete_image(self, image_uuid: str) -> None:
        self.images.delete(image_uuid)

    # -- NFS whitelist (through the Prism Element) ---------------------------------------------

    def _only_element(self) -> Any:
        clusters = self.clusters()
        if len(clusters) != 1:
            names = ", ".join(f"{c.name} ({c.external_ip})" for c in clusters) or "none"
            raise UnsupportedError("The NFS whitelist belongs to one cluster, and this Prism Central manages "
                                   f"{len(clusters)} AHV clusters: {names}.",
                                   hint="Connect to the Prism Element of the target cluster for the NFS transfer.")
        return self._element(clusters[0])

    def _whitelist_element(self, cluster_uuid: str) -> Any:
        return self._element(self._cluster(cluster_uuid)) if cluster_uuid else self._only_element()

    def nfs_whitelist(self, cluster_uuid: str = "") -> list[str]:
        return list(self._whitelist_element(cluster_uuid).nfs_whitelist())

    def add_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        self._whitelist_element(cluster_uuid).add_nfs_whitelist(entry)

    def remove_nfs_whitelist(self, entry: str, cluster_uuid: str = "") -> None:
        self._whitelist_element(cluster_uuid).remove_nfs_whitelist(entry)


def _staging_image_name(spec: TargetVMSpec, index: int) -> str:
    """The staging image of one disk: the target name is unique in a plan (readiness), and ``xtract-`` marks it ours."""
    return f"xtract-{spec.name}-disk{index}"
