"""Changed block tracking: QueryChangedDiskAreas over a whole disk, and the resets that do not fault.

A changeId is "<UUID part>/<sequence>".  When CBT is reset (turned off and on, a storage operation, a
crash of the host) the disk's changeIds start over under a new UUID part, and vSphere does not always
fault when asked for changes since an old one: the answer can simply be wrong.  So a delta is asked
for only when the UUID parts of the stored and the snapshot's changeId are the same; otherwise the
whole disk must be copied (vexxhost/migratekit internal/target/util.go, commit
1c9a05e8c80fc876d9adf723139c7c3c803574d7: "Change ID mismatch, full copy needed").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..domain.cbt import change_id_uuid
from ..domain.errors import NotFoundError, UnsupportedError, XtractError
from ..domain.extents import Extent, normalize
from .mapping import disk_capacity

if TYPE_CHECKING:
    from .session import VSphereSession


def query_changed_areas(session: VSphereSession, vm: Any, snap: Any, disk: Any, vm_id: str,
                        change_id: str) -> list[Extent]:
    """Every area CBT reports for ``disk`` (as of ``snap``) since ``change_id`` ("*": allocated areas)."""
    disk_key = disk.key
    if change_id != "*":
        current = getattr(disk.backing, "changeId", "") or ""
        if change_id_uuid(change_id) != change_id_uuid(current):
            raise UnsupportedError(
                f"CBT was reset on disk {disk_key} of {vm_id}: its changeIds start over under another UUID "
                f"({change_id_uuid(current) or 'none'} instead of {change_id_uuid(change_id)}), so vCenter's "
                "answer about earlier changes cannot be trusted; a full copy is needed.",
                hint="The copy starts over from the whole disk; nothing needs to be done by hand.")
    capacity = disk_capacity(disk)
    action = f"query changed areas of disk {disk_key} of {vm_id}"
    areas: list[Extent] = []
    offset = 0
    while offset < capacity:
        try:
            info = session.call(action, lambda o=offset: vm.QueryChangedDiskAreas(
                snapshot=snap, deviceKey=disk_key, startOffset=o, changeId=change_id))
        except XtractError as exc:
            raise cbt_error(exc, vm_id, disk_key, change_id) from None
        areas.extend(Extent(a.start, a.length) for a in info.changedArea or [])
        covered = int(info.startOffset) + int(info.length)
        if covered <= offset:
            raise UnsupportedError(f"vCenter's CBT answer for disk {disk_key} of {vm_id} does not advance.",
                                   hint="Reset CBT on the VM (turn it off and on) and do a full copy.")
        offset = covered
    return normalize(areas, capacity=capacity)


def cbt_error(exc: XtractError, vm_id: str, disk_key: int, change_id: str) -> XtractError:
    detail = exc.detail or ""
    if "deviceKey" in detail:
        return NotFoundError(f"{vm_id} has no disk {disk_key}.", hint="Refresh the inventory.")
    if isinstance(exc, NotFoundError) or "FileFault" in detail or "InvalidArgument" in detail:
        what = "all allocated areas" if change_id == "*" else f"changes since {change_id}"
        return UnsupportedError(
            f"CBT was reset on disk {disk_key} of {vm_id}: vCenter cannot report {what}; a full copy is needed.",
            hint="The copy starts over from the whole disk; nothing needs to be done by hand.", detail=detail)
    return exc
