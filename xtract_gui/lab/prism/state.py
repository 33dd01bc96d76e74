"""The lab Prism's objects (one AHV cluster, containers, subnets, images, VMs, tasks), kept as JSON in state_dir.

Objects are stored in a neutral shape; ``v2``/``v3`` render them the way each API surface shows them.
Container bytes are real files under ``state_dir/containers/<name>/`` so that the NFS lab export and
Prism's ``ndfs_filepath`` see the same file.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATE_FILE = "prism-state.json"
IMAGE_DIR = ".acropolis/image"  # where AOS keeps image vdisks inside a container


@dataclass(frozen=True)
class ContainerSeed:
    name: str
    capacity_bytes: int = 10 * 2**40
    free_bytes: int | None = None  # None: capacity minus what the container directory holds
    uuid: str = ""
    nfs_whitelist: tuple[str, ...] = ()  # a list of its own: the cluster-wide one then does not apply to it


@dataclass(frozen=True)
class SubnetSeed:
    name: str
    vlan_id: int
    uuid: str = ""
    subnet_type: str = "VLAN"


@dataclass(frozen=True)
class ClusterSeed:
    name: str = "lab-ahv"
    uuid: str = ""
    external_ip: str = "127.0.0.1"
    version: str = "6.5.4.5"
    pc_name: str = "lab-pc"
    pc_version: str = "pc.2024.1.0.1"
    containers: tuple[ContainerSeed, ...] = (ContainerSeed("default-container"), ContainerSeed("SelfServiceContainer"))
    subnets: tuple[SubnetSeed, ...] = field(
        default_factory=lambda: (SubnetSeed("vlan0", 0), SubnetSeed("vlan100", 100)))


def new_uuid() -> str:
    return str(uuid.uuid4())


def now_usecs() -> int:
    return int(time.time() * 1_000_000)


def rfc3339(usecs: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(usecs / 1_000_000))


class PrismState:
    """Every object of the lab cluster; callers hold ``lock`` while they read-modify-write."""

    def __init__(self, state_dir: Path, seed: ClusterSeed) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        path = self.state_dir / STATE_FILE
        if path.exists():
            self.data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            self._fail_orphan_tasks()
        else:
            self.data = self._seeded(seed)
        for ctr in self.data["containers"].values():
            (self.container_dir(ctr) / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
        self.save()

    @staticmethod
    def _seeded(seed: ClusterSeed) -> dict[str, Any]:
        cluster_uuid = seed.uuid or new_uuid()
        containers = {}
        for c in seed.containers:
            cu = c.uuid or new_uuid()
            containers[cu] = {"uuid": cu, "name": c.name, "capacity_bytes": c.capacity_bytes,
                              "reserved_used": 0 if c.free_bytes is None else c.capacity_bytes - c.free_bytes,
                              "nfs_whitelist": list(c.nfs_whitelist), "cluster_uuid": cluster_uuid}
        subnets = {}
        for s in seed.subnets:
            su = s.uuid or new_uuid()
            subnets[su] = {"uuid": su, "name": s.name, "vlan_id": s.vlan_id, "subnet_type": s.subnet_type,
                           "cluster_uuid": cluster_uuid, "spec_version": 0}
        return {
            "cluster": {"uuid": cluster_uuid, "name": seed.name, "external_ip": seed.external_ip,
                        "version": seed.version},
            "pc": {"uuid": new_uuid(), "name": seed.pc_name, "version": seed.pc_version},
            "containers": containers, "subnets": subnets, "images": {}, "vms": {}, "tasks": {},
            "nfs_whitelist": [],
        }

    def _fail_orphan_tasks(self) -> None:
        # A task that was running when the simulator stopped never finishes: like a CVM restart.
        for task in self.data["tasks"].values():
            if task["status"] in ("QUEUED", "RUNNING"):
                task.update(status="FAILED", error_code="INTERNAL_ERROR",
                            error_detail="The task was interrupted by a restart of the Prism service.",
                            completion_usecs=now_usecs())

    def save(self) -> None:
        with self.lock:
            path = self.state_dir / STATE_FILE
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.data, indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, path)

    # -- lookups ------------------------------------------------------------------------------

    @property
    def cluster(self) -> dict[str, Any]:
        return self.data["cluster"]

    def container_dir(self, ctr: dict[str, Any]) -> Path:
        return self.state_dir / "containers" / ctr["name"]

    def container_by_name(self, name: str) -> dict[str, Any] | None:
        return next((c for c in self.data["containers"].values() if c["name"] == name), None)

    def default_container(self) -> dict[str, Any]:
        ctr = self.container_by_name("SelfServiceContainer")
        return ctr or next(iter(self.data["containers"].values()))

    def resolve_ndfs(self, ndfs_path: str) -> Path | None:
        """``/<container>/<path>`` → the file behind it, or None when the container or file is unknown."""
        parts = [p for p in ndfs_path.split("/") if p]
        if len(parts) < 2 or ".." in parts:
            return None
        ctr = self.container_by_name(parts[0])
        if ctr is None:
            return None
        path = self.container_dir(ctr).joinpath(*parts[1:])
        return path if path.is_file() else None

    def image_file(self, image: dict[str, Any]) -> Path:
        return self.state_dir / image["path"]

    def free_bytes(self, ctr: dict[str, Any]) -> int:
        used = 0
        for root, _dirs, files in os.walk(self.container_dir(ctr)):
            for f in files:
                try:
                    used += os.stat(os.path.join(root, f)).st_blocks * 512
                except OSError:
                    continue
        return max(0, ctr["capacity_bytes"] - ctr["reserved_used"] - used)
