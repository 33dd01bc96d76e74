"""The composition root's part of the copy workers: the target-side writers, described so that a worker
process opens them itself (``engine.ports.WorkerDisk``).

A spec is plain data pickled over the worker's pipe; ``open`` runs in the worker and imports the adapter
there (the engine and ``transfer/`` never import one).  A worker asks the engine for the secrets it needs
(``call("secret", service, user)``), so no password is in a spec that could end up anywhere else.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .domain.plan import TargetEndpoint
from .engine.ports import DiskWriter, ParentCall


class _Spec:
    """What a spec opens in the worker (its ``_`` fields) stays there: only the description is pickled."""

    def __getstate__(self) -> dict[str, Any]:
        return {k: (None if k.startswith("_") else v) for k, v in self.__dict__.items()}


@dataclass
class NfsWriterSpec(_Spec):
    """A raw file in the container over NFSv3: the worker mounts the export itself (the ports the engine found)."""

    host: str
    container: str
    nfs_port: int
    mount_port: int
    path: str
    capacity: int
    fresh: bool
    _nfs: Any = field(default=None, repr=False, compare=False)

    def open(self, call: ParentCall) -> DiskWriter:
        from .target.nfs import NfsContainer

        self._nfs = NfsContainer(self.host, f"/{self.container}", nfs_port=self.nfs_port, mount_port=self.mount_port)
        return self._nfs.open_disk(self.path, self.capacity, fresh=self.fresh)  # type: ignore[no-any-return]

    def release(self) -> None:
        if self._nfs is not None:
            self._nfs.close()
            self._nfs = None


@dataclass
class ImageUploadSpec(_Spec):
    """A disk streamed into Prism's image service as a streamOptimized VMDK made in the worker, uploaded by the
    worker's own Prism connection (same endpoint and pins as the plan's; the password asked of the engine)."""

    endpoint: TargetEndpoint
    container_uuid: str
    image_name: str
    file_name: str
    capacity: int
    _target: Any = field(default=None, repr=False, compare=False)

    def open(self, call: ParentCall) -> DiskWriter:
        from .transfer import ImageStreamWriter, VmdkStreamEncoder
        from .wiring import connect_target_endpoint

        ref = self.endpoint.password
        self._target = connect_target_endpoint(self.endpoint, str(call("secret", ref.service, ref.username)))
        encoder = VmdkStreamEncoder(self.capacity, file_name=self.file_name)
        target, name, container = self._target, self.image_name, self.container_uuid

        def upload(stream: Iterable[bytes]) -> str:
            return str(target.upload_image(name, container, stream, size=encoder.length,
                                           disk_format=encoder.disk_format))

        return ImageStreamWriter(encoder, upload)  # type: ignore[return-value]

    def release(self) -> None:
        if self._target is not None:
            with contextlib.suppress(Exception):
                self._target.close()
            self._target = None
