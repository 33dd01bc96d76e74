"""Names of a VM's things on the target and on this computer (staging folder, disk images, log file): unique per
source VM, whatever script its name is written in.

A name is a readable part (the target name folded to ASCII letters, digits and ``._-``, so that every file system
and Prism's ndfs paths take it) and a stable hash of what identifies the source VM: its vSphere instance UUID
(unique across vCenters), else its managed object id.  Folding alone would give 会計サーバー01 and 営業サーバー01 the
same folder ``_01`` and one VM's disks the other's bytes.

A job keeps the staging name it was given the first time (``staging_name`` in its data), so that a resumed job
finds its files whatever changes later; a job that started copying before names were unique keeps the name it
used then (the target name, folded as it was).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING

from ..domain.inventory import SourceVM

if TYPE_CHECKING:  # the emitter (imported by the context) names its log files here
    from .context import JobContext

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
READABLE_MAX = 40


def readable(name: str) -> str:
    """``name`` folded to ``[A-Za-z0-9._-]`` (accents dropped, other characters as ``_``); "vm" when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", name)
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = _UNSAFE.sub("_", ascii_only).strip("._-")[:READABLE_MAX].strip("._-")
    return folded or "vm"


def short_hash(key: str, length: int = 10) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


def unique_name(name: str, source_key: str) -> str:
    """``<readable name>-<hash of the source VM's identity>``: the same for the same VM, different for two VMs."""
    return f"{readable(name)}-{short_hash(source_key)}"


def log_name(vm_name: str, vm_id: str) -> str:
    """A VM's log file name (without folder): its name made unique by its id (the job's key)."""
    return f"xtract-{unique_name(vm_name, vm_id) if vm_name else readable(vm_id)}.log"


def legacy_log_name(vm_name: str, vm_id: str) -> str:
    """The log file name before names were unique, so that a log written then is still read."""
    return f"xtract-{_UNSAFE.sub('_', vm_name or vm_id) or 'plan'}.log"


def staging_name(ctx: JobContext, vm: SourceVM | None = None) -> str:
    """The name the disk writers get for this job's VM (staging folder ``xtract/<name>``, images
    ``xtract-<name>-disk-<key>``), chosen once and kept in the job."""
    stored = ctx.data.get("staging_name")
    if stored:
        return str(stored)
    if any(str(row["target_ref"]) for row in ctx.store.disks(ctx.vm_id).values()):
        name = ctx.vm_plan.effective_target_name  # copied before unique names: its files carry the old name
    else:
        key = vm.instance_uuid if vm is not None and vm.instance_uuid else ctx.vm_id
        name = unique_name(ctx.vm_plan.effective_target_name, key)
    ctx.update(staging_name=name)
    return name
