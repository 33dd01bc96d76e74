"""What real vSphere does that the plain lab source did not: CBT resets that do not fault, disks that
grow, guests without VMware Tools.  Mixed into ``LabSource``; each control is for tests and demos.

- ``silent_cbt_reset``: the disk's tracking starts over under a new changeId UUID; a query with a changeId
  of the old UUID is not refused but answered with what changed since the reset, missing what changed
  before it (vexxhost/migratekit internal/target/util.go, commit 1c9a05e8c80fc876d9adf723139c7c3c803574d7,
  copies the whole disk when the UUID parts differ).
- ``extend_disk``: the disk grows and keeps its changeIds; queries since an older changeId report nothing in
  the added range (VMware KB 2090639).
- ``set_tools_running(False)``: ``shutdown_guest`` is refused as vSphere refuses ShutdownGuest without VMware
  Tools (ToolsUnavailable).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from ...domain.errors import UnsupportedError
from . import disks


def cbt_uuid(disk: dict[str, Any], epoch: int) -> str:
    """The UUID part of a disk's changeIds: new after every reset, silent or not."""
    return str(uuid.uuid5(uuid.UUID(disk["uuid"]), f"{epoch}:{disk.get('cbt_resets', 0)}"))


class FidelityControls:
    """Expects the host class's ``state``, ``dir``, ``_raw``, ``_live``, ``_cbt_path`` and ``_disk_lock``."""

    state: Any
    dir: Path

    def silent_cbt_reset(self, vm_id: str, disk_key: int) -> None:
        with self._disk_lock(vm_id):  # type: ignore[attr-defined]
            with self.state.edit() as st:
                raw = self._raw(st, vm_id)  # type: ignore[attr-defined]
                disk = next(d for d in raw["disks"] if d["key"] == disk_key)
                disk.setdefault("previous_cbt", []).append(cbt_uuid(disk, raw["cbt_epoch"]))
                disk["cbt_resets"] = disk.get("cbt_resets", 0) + 1
                live, capacity = self._live(vm_id, disk_key), disk["capacity"]  # type: ignore[attr-defined]
            baseline = disks.freeze(live, self.dir / "cbt" / vm_id / f"{disk_key}-reset.raw", capacity)
            self._baseline_path(vm_id, disk_key).write_bytes(baseline)

    def extend_disk(self, vm_id: str, disk_key: int, capacity: int) -> None:
        with self._disk_lock(vm_id):  # type: ignore[attr-defined]
            with self.state.edit() as st:
                disk = next(d for d in self._raw(st, vm_id)["disks"] if d["key"] == disk_key)  # type: ignore
                if capacity < disk["capacity"]:
                    raise UnsupportedError("vSphere does not shrink disks.")
                disk["capacity"] = capacity
            with open(self._live(vm_id, disk_key), "r+b") as f:  # type: ignore[attr-defined]
                f.truncate(capacity)

    def set_tools_running(self, vm_id: str, running: bool) -> None:
        with self.state.edit() as st:
            self._raw(st, vm_id)["tools"] = running  # type: ignore[attr-defined]

    def _baseline_path(self, vm_id: str, disk_key: int) -> Path:
        path = self.dir / "cbt" / vm_id / f"{disk_key}-reset.hashes"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _since_hashes(self, vm_id: str, raw: dict[str, Any], disk: dict[str, Any], change_id: str) -> bytes | None:
        """The block hashes a query since ``change_id`` compares with; None when the changeId is unknown."""
        prefix = change_id.rpartition("/")[0]
        if prefix == cbt_uuid(disk, raw["cbt_epoch"]):
            base = self._cbt_path(vm_id, disk["key"], change_id)  # type: ignore[attr-defined]
            return base.read_bytes() if base.exists() else None
        if prefix in disk.get("previous_cbt", []):  # answered, wrongly, against the state at the reset
            return self._baseline_path(vm_id, disk["key"]).read_bytes()
        return None
