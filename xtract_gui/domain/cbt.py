"""When a CBT delta can be trusted: pure rules over the changeIds and capacities a sync remembers.

A changeId is "<UUID part>/<sequence>" ("52 de c0 … 4f/17").  CBT can be reset without any fault: the
disk's changeIds then start over under a new UUID part, and answers about changes since an old
changeId may be wrong (vexxhost/migratekit internal/target/util.go, commit
1c9a05e8c80fc876d9adf723139c7c3c803574d7, copies the whole disk on a UUID mismatch).  After a disk is
extended, CBT answers since an older changeId can be wrong too (VMware KB 2090639).  In both cases the
only safe delta is the whole disk.
"""

from __future__ import annotations


def change_id_uuid(change_id: str) -> str:
    """The UUID part of a changeId ("" for none or "*")."""
    if not change_id or change_id == "*":
        return ""
    return change_id.rpartition("/")[0].strip() if "/" in change_id else change_id.strip()


def full_copy_reason(stored_change_id: str, stored_capacity: int, new_change_id: str, capacity: int) -> str:
    """Why a delta since ``stored_change_id`` cannot be trusted for a disk now ``capacity`` bytes with
    ``new_change_id`` as of the new snapshot; "" when it can.  ``stored_capacity`` 0 means unknown."""
    if stored_capacity and stored_capacity != capacity:
        return (f"the disk changed size from {stored_capacity} to {capacity} bytes since the last sync, and CBT "
                "answers are unreliable after a resize (VMware KB 2090639)")
    if new_change_id and change_id_uuid(stored_change_id) != change_id_uuid(new_change_id):
        return (f"CBT was reset: the disk's changeIds now start over under another UUID "
                f"({change_id_uuid(new_change_id)} instead of {change_id_uuid(stored_change_id)})")
    return ""
