"""Lab only: a ``DiskWriterFactory`` that writes raw disks straight into the Prism simulator's
container directory (``<state dir>/containers/<container>/``).

It stands in for NFS where ganesha is not available (the frozen demo app, machines without root):
the bytes land in the same file an NFS write would have created, and the ndfs path it returns is
the one Prism resolves to that file.  A real migration writes over NFSv3 (``target/nfs``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from ...engine.ports import WorkerDisk
from ...transfer.local import LocalFileWriter, LocalWriterSpec
from ...wiring import staging_file, staging_folder


class LocalContainerWriters:
    whitelist_entry = ""  # a local directory needs no NFS whitelist

    def __init__(self, containers_dir: Path, container_name: str, *, folder: str = "xtract") -> None:
        self.root = Path(containers_dir) / container_name
        self.container = container_name
        self.folder = folder

    def relative(self, vm_name: str, disk_key: int) -> str:
        return staging_file(vm_name, disk_key, self.folder)

    def path(self, vm_name: str, disk_key: int) -> Path:
        return self.root / self.relative(vm_name, disk_key)

    def open(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> LocalFileWriter:
        return self.worker_writer(vm_name, disk_key, capacity, fresh=fresh).spec.open(None)  # type: ignore[no-any-return]

    def worker_writer(self, vm_name: str, disk_key: int, capacity: int, *, fresh: bool) -> WorkerDisk:
        """The writer as a copy worker opens it: the same file, the ndfs path Prism resolves to it."""
        path = self.path(vm_name, disk_key)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not fresh and not path.exists():
            fresh = True  # nothing to update yet: a resume before the first byte landed
        return WorkerDisk(LocalWriterSpec(str(path), capacity, fresh,
                                          finish_as=f"/{self.container}/{self.relative(vm_name, disk_key)}"))

    def discard(self, vm_name: str, disk_key: int) -> None:
        self.path(vm_name, disk_key).unlink(missing_ok=True)

    def discard_vm(self, vm_name: str) -> None:
        """The VM's whole staging folder, once its AHV VM has its own cloned disks."""
        shutil.rmtree(self.root / staging_folder(vm_name, self.folder), ignore_errors=True)

    def close(self) -> None:
        """Nothing to release."""
