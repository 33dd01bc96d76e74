"""The lab cluster's image service: images, their bytes, and where Prism Central places them.

What real Prism does and the lab copies (evidence in each place):

- Prism Central places a new image on every registered cluster unless ``initial_placement_ref_list`` names some
  (packer-plugin-nutanix placed its uploads with it, builder/nutanix/driver.go at daf84280): each cluster gets
  its own copy, in its ``SelfServiceContainer`` (terraform-provider-nutanix issue #249, packer-plugin-nutanix
  issue #36).  An ``nfs://`` import runs on every placed cluster, and a cluster the serving cluster's NFS
  whitelist does not name is refused.
- After ``PUT /images/{uuid}/file`` Prism Central still runs its own upload task: the image stays PENDING and the
  task is listed in ``status.execution_context.task_uuid`` (terraform-provider-nutanix
  nutanix/services/vmm/resource_nutanix_image.go at 5d035f75 reads those tasks after an upload for failures).
- On Prism Element, a v0.8 upload's task may succeed while the image still reads INACTIVE for a while (nutanix/curie
  curie/acropolis_cluster.py at e25691f4, "NB: Required due to possible AHV bug. See XRAY-225"): ``settle``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from .http import DropConnection
from .state import IMAGE_DIR, PrismState, new_uuid, now_usecs
from .tasks import TaskEngine, TaskFailure
from .vdisk import detect_format, sparse_copy

_ZERO = bytes(1 << 20)
_ZERO_VIEW = memoryview(_ZERO)  # compared without copying


class Images:
    def __init__(self, state: PrismState, tasks: TaskEngine, refuse: Callable[[str], Exception]) -> None:
        self.state = state
        self.tasks = tasks
        self._refuse = refuse  # builds the surface-neutral "invalid request" error (ops.Invalid)
        self.settle: float | None = None  # seconds an uploaded PE image reads INACTIVE; None: 2 task durations

    # -- creating -----------------------------------------------------------------------------

    def new(self, name: str, *, container: dict[str, Any], description: str = "", image_type: str = "DISK_IMAGE",
            source_uri: str = "", placement: Sequence[str] = ()) -> dict[str, Any]:
        if not name:
            raise self._refuse("Image name is required")
        if image_type not in ("DISK_IMAGE", "ISO_IMAGE"):
            raise self._refuse(f"Invalid image_type {image_type!r}")
        image_uuid = new_uuid()
        return {"uuid": image_uuid, "name": name, "description": description, "image_type": image_type,
                "container_uuid": container["uuid"], "vmdisk_uuid": new_uuid(), "size_bytes": 0,
                "disk_format": "", "state": "PENDING", "source_uri": source_uri, "spec_version": 0,
                "path": f"containers/{container['name']}/{IMAGE_DIR}/{image_uuid}",
                "creation_usecs": now_usecs(), "update_usecs": now_usecs(), "checksum": {},
                "placement": list(placement) or [self.state.cluster["uuid"]], "copies": [], "task_uuids": [],
                "settles_usecs": 0}

    def register(self, image: dict[str, Any], source_url: str = "", *, await_bytes: bool = False,
                 members: Sequence[PrismState] = ()) -> Callable[[], None]:
        """Store the new image; the returned work completes it (pulling ``source_url`` onto every cluster it is
        placed on), or leaves it pending for an upload (``await_bytes``)."""
        with self.state.lock:
            self.state.data["images"][image["uuid"]] = image
            self.state.save()

        def work() -> None:
            if image["uuid"] not in self.state.data["images"]:
                return  # deleted while its task was queued
            if source_url:
                self._import(image, source_url, members)
            elif not await_bytes:
                with self.state.lock:
                    image.update(state="COMPLETE", update_usecs=now_usecs())
        return work

    def _import(self, image: dict[str, Any], url: str, members: Sequence[PrismState]) -> None:
        parts = urlsplit(url)
        if parts.scheme != "nfs":
            raise TaskFailure("INVALID_ARGUMENT", f"The lab cluster can only import nfs:// URLs, not {url!r}")
        clusters = self._clusters(members)
        serving = next((s for s in clusters.values() if s.cluster["external_ip"] == parts.hostname), self.state)
        src = serving.resolve_ndfs(unquote(parts.path))
        if src is None:
            raise TaskFailure("ENTITY_NOT_FOUND", f"Could not access {url}: no such file on the cluster's containers")
        for cluster_uuid in image.get("placement") or [self.state.cluster["uuid"]]:
            importer = clusters.get(cluster_uuid, self.state)
            if importer is not serving and not _whitelisted(serving, importer.cluster["external_ip"]):
                raise TaskFailure("IMAGE_IMPORT_FAILED", (
                    f"Could not access {url} from cluster '{importer.cluster['name']}': the NFS server "
                    f"{parts.hostname} refused its address {importer.cluster['external_ip']} (NFS3ERR_ACCES: not in "
                    "that cluster's NFS whitelist)"))
        sparse_copy(src, self.state.image_file(image))
        fmt, vsize = detect_format(self.state.image_file(image))
        self._fan_out(image, members)
        with self.state.lock:
            image.update(disk_format=fmt, size_bytes=vsize, state="COMPLETE", update_usecs=now_usecs())

    def _clusters(self, members: Sequence[PrismState]) -> dict[str, PrismState]:
        return {s.cluster["uuid"]: s for s in (self.state, *members)}

    def check_placement(self, placement: Sequence[str], members: Sequence[PrismState]) -> None:
        known = self._clusters(members)
        for cluster_uuid in placement:
            if cluster_uuid not in known:
                raise self._refuse(f"Cluster {cluster_uuid} in initial_placement_ref_list is not registered "
                                   "to this Prism Central")

    def _fan_out(self, image: dict[str, Any], members: Sequence[PrismState]) -> None:
        """Every other cluster the image is placed on gets its own copy of the bytes, in its SelfServiceContainer."""
        by_uuid = {m.cluster["uuid"]: m for m in members}
        for cluster_uuid in image.get("placement") or ():
            member = by_uuid.get(cluster_uuid)
            if member is None:
                continue
            copy = member.container_dir(member.default_container()) / IMAGE_DIR / image["uuid"]
            copy.parent.mkdir(parents=True, exist_ok=True)
            sparse_copy(self.state.image_file(image), copy)
            with self.state.lock:
                image.setdefault("copies", []).append(str(copy))

    # -- bytes --------------------------------------------------------------------------------

    def receive(self, image: dict[str, Any], chunks: Iterable[bytes], *, checksum_type: str = "",
                checksum_hex: str = "", drop_after: int | None = None) -> None:
        """Store uploaded bytes as sent (zero blocks left as holes); a broken or wrong upload leaves no file.
        The image is complete only once the upload task that follows has run (``complete_upload``)."""
        path = self.state.image_file(image)
        digest = hashlib.sha256() if checksum_type.upper() == "SHA_256" else None
        received = 0
        try:
            with path.open("wb") as f:
                for piece in chunks:
                    if digest:
                        digest.update(piece)
                    if len(piece) <= len(_ZERO) and _ZERO_VIEW[:len(piece)] == piece:
                        f.seek(len(piece), os.SEEK_CUR)
                    else:
                        f.write(piece)
                    received += len(piece)
                    if drop_after is not None and received >= drop_after:
                        raise DropConnection()
                f.truncate(received)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        if digest and checksum_hex and digest.hexdigest().lower() != checksum_hex.lower():
            path.unlink(missing_ok=True)
            raise self._refuse(f"Checksum mismatch: computed {digest.hexdigest()}, expected {checksum_hex}")
        fmt, vsize = detect_format(path)
        with self.state.lock:
            image.update(disk_format=fmt, size_bytes=vsize, update_usecs=now_usecs(),
                         checksum={"checksum_algorithm": "SHA_256", "checksum_value": checksum_hex}
                         if checksum_hex else {})
            self.state.save()

    def complete_upload(self, image: dict[str, Any], members: Sequence[PrismState] = (), *,
                        settles: bool = False) -> Callable[[], None]:
        """The upload task's work: copy onto the other clusters the image is placed on, then COMPLETE.  With
        ``settles`` (Prism Element), it then reads INACTIVE for ``settle`` seconds more."""
        def work() -> None:
            if image["uuid"] not in self.state.data["images"] or not self.state.image_file(image).exists():
                raise TaskFailure("ENTITY_NOT_FOUND", f"Image {image['uuid']} has no uploaded data")
            self._fan_out(image, members)
            settle = self.settle if self.settle is not None else 2 * self.tasks.duration
            with self.state.lock:
                image.update(state="COMPLETE", update_usecs=now_usecs(),
                             settles_usecs=now_usecs() + int(settle * 1e6) if settles else 0)
                self.state.save()
        return work

    def active(self, image: dict[str, Any]) -> bool:
        """What Prism Element shows as image_state ACTIVE: complete, and settled."""
        return bool(image["state"] == "COMPLETE" and now_usecs() >= image.get("settles_usecs", 0))

    # -- removing -----------------------------------------------------------------------------

    def delete(self, image: dict[str, Any]) -> Callable[[], None]:
        def work() -> None:
            with self.state.lock:
                self.state.data["images"].pop(image["uuid"], None)
                self.state.image_file(image).unlink(missing_ok=True)
                for copy in image.get("copies", ()):
                    Path(copy).unlink(missing_ok=True)
        return work


def _whitelisted(serving: PrismState, address: str) -> bool:
    """Does the cluster-wide NFS whitelist of ``serving`` let ``address`` in?"""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in serving.data["nfs_whitelist"]:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False
