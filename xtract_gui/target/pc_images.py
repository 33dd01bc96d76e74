"""Prism Central's image service (v3): images placed on one cluster, uploads followed until PC says COMPLETE.

Two behaviours of real Prism Central shape this module:

- Without ``initial_placement_ref_list`` PC places an image on every registered cluster: an upload is copied to
  all of them and an ``nfs://`` staging import runs on each, where the other clusters are not in the NFS
  whitelist.  Every image here is placed on one cluster (packer-plugin-nutanix did the same,
  builder/nutanix/driver.go at daf84280).
- After ``PUT /images/{uuid}/file`` PC runs its own upload tasks; the image reads PENDING until they end.  The
  tasks are listed in ``status.execution_context.task_uuid`` and a FAILED one carries the reason in
  ``error_detail`` (terraform-provider-nutanix nutanix/services/vmm/resource_nutanix_image.go at 5d035f75 reads
  them after its uploads).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain.errors import NotFoundError, RemoteTaskError, XtractError
from ..engine.ports import Cancellation, ProgressFn, no_progress
from . import v3_parse as parse
from .common import best_effort, check_cancel, upload_failed
from .tasks import DEFAULT_TASK_TIMEOUT, PrismTaskError, TaskState, wait_task, wait_until
from .transport import PrismTransport
from .upload import StreamBody, UnsizedStreamBody, UploadCancelled

V3 = "/api/nutanix/v3"
UPLOAD_TIMEOUT = DEFAULT_TASK_TIMEOUT  # PC's own upload tasks copy the image to its cluster: as long as a task


class PcImages:
    def __init__(self, transport: PrismTransport) -> None:
        self.t = transport

    def _task(self, task_uuid: str) -> TaskState:
        return parse.task(self.t.json("GET", f"{V3}/tasks/{task_uuid}", action="read a task"))

    def _wait(self, answer: dict[str, Any], action: str, progress: ProgressFn = no_progress,
              cancel: Cancellation | None = None) -> TaskState:
        task_uuid = parse.task_uuid(answer)
        if not task_uuid:
            return TaskState(uuid="", status="SUCCEEDED", percentage=100)
        return wait_task(lambda: self._task(task_uuid), action=action, progress=progress, cancel=cancel)

    def create(self, name: str, resources: dict[str, Any], cluster_uuid: str, progress: ProgressFn = no_progress,
               cancel: Cancellation | None = None) -> str:
        """A new image placed on ``cluster_uuid`` only; waits for its create (and, with a source_uri, import) task."""
        placed = {**resources, "initial_placement_ref_list": [{"kind": "cluster", "uuid": cluster_uuid}]}
        body = {"metadata": {"kind": "image"}, "spec": {"name": name, "resources": placed}}
        answer = self.t.json("POST", f"{V3}/images", action=f"create image '{name}'", json=body)
        image_uuid = str((answer.get("metadata") or {}).get("uuid", ""))
        try:
            self._wait(answer, f"create image '{name}'", progress, cancel)
        except BaseException:
            best_effort(f"remove image '{name}'", lambda: self.delete(image_uuid))
            raise
        return image_uuid

    def upload(self, name: str, cluster_uuid: str, stream: Iterable[bytes], *, size: int | None, sha256: str,
               progress: ProgressFn, cancel: Cancellation | None) -> str:
        check_cancel(cancel, f"upload image '{name}'")
        image_uuid = self.create(name, {"image_type": "DISK_IMAGE"}, cluster_uuid, cancel=cancel)
        headers = {"Content-Type": "application/octet-stream"}
        if sha256:
            headers.update({"X-Nutanix-Checksum-Type": "SHA_256", "X-Nutanix-Checksum-Bytes": sha256.lower()})
        body = StreamBody(stream, size, progress, cancel)
        try:
            self.t.request("PUT", f"{V3}/images/{image_uuid}/file", action=f"upload image '{name}'",
                           data=body if size is not None else UnsizedStreamBody(body), headers=headers,
                           timeout=max(self.t.timeout, 300))
            self.wait_complete(image_uuid, name, progress, cancel)
        except BaseException as exc:
            best_effort(f"remove the partial image '{name}'", lambda: self.delete(image_uuid))
            if isinstance(exc, UploadCancelled):
                raise upload_failed(exc, name) from None
            raise
        return image_uuid

    def wait_complete(self, image_uuid: str, name: str, progress: ProgressFn = no_progress,
                      cancel: Cancellation | None = None, timeout: float = UPLOAD_TIMEOUT) -> None:
        """Until the image is COMPLETE: PENDING is not an answer, a FAILED task of the image is (its reason)."""
        finished: set[str] = set()

        def look() -> bool | None:
            image = self.t.json("GET", f"{V3}/images/{image_uuid}", action=f"read image '{name}'")
            status = image.get("status") or {}
            if status.get("state") == "COMPLETE":
                return True
            ctx = (status.get("execution_context") or {}).get("task_uuid") or []
            for task_uuid in [ctx] if isinstance(ctx, str) else ctx:
                if task_uuid in finished:
                    continue
                task = self._task(str(task_uuid))
                if task.status == "SUCCEEDED":
                    finished.add(task_uuid)
                elif task.done:
                    said = task.error_detail or task.error_code or task.status.lower()
                    raise PrismTaskError(f"Prism Central could not store image '{name}': {said}",
                                         task_uuid=task.uuid, error_code=task.error_code,
                                         error_detail=task.error_detail,
                                         hint="Fix the cause Prism names (space, the cluster's health), then retry.")
                else:
                    progress(1.0, task.message or f"Prism Central is storing image '{name}' ({task.percentage}%)")
            if status.get("state") == "ERROR":
                said = "; ".join(str(m.get("message", "")) for m in status.get("message_list") or []) or "ERROR"
                raise XtractError(f"Prism Central could not store image '{name}': {said}",
                                  hint="Check the image in Prism Central, then retry.")
            return None

        def timed_out(seconds: float) -> XtractError:
            return RemoteTaskError(f"Image '{name}' was not complete {int(seconds)} s after its upload.",
                                   hint="Check the image's tasks in Prism Central; retry the upload.")

        wait_until(look, action=f"store image '{name}'", timed_out=timed_out, cancel=cancel, timeout=timeout)

    def delete(self, image_uuid: str) -> None:
        try:
            answer = self.t.json("DELETE", f"{V3}/images/{image_uuid}", action=f"delete image {image_uuid}")
            self._wait(answer, f"delete image {image_uuid}")
        except NotFoundError:
            return
