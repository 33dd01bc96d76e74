"""An edited plan for jobs that are under way: which changes can be taken over, which cannot.

Safe are the ways to reach and trust the systems (addresses, ports, protocols, certificate pins, accounts and
their keyring references, a guest's WinRM settings) and the scheduling knobs (sync interval, bandwidth, parallel
streams, the cutover policy): nothing already copied or created depends on them.  Anything else (the VMs, their
target names, cluster, container, network map, transfer mode, what the guest preparation does) shaped what is
on the target already, so changing it under a running migration is refused, naming the fields.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.errors import ConfigurationError
from ..domain.plan import Plan

_ENDPOINT = r"(host|port|protocol|fingerprint|user|password\.(service|username))"
_SAFE = re.compile(
    r"^(name"
    rf"|source\.{_ENDPOINT}"
    rf"|target\.({_ENDPOINT}|nfs_host|nfs_port|nfs_mount_port|element_port|element_fingerprints(\..+)?)"
    r"|options\.(sync_interval_minutes|bandwidth_limit_mbps|max_parallel_vms|streams_per_disk|copy_workers|auto_cutover"
    r"|cutover_window_start|cutover_window_end|downtime_budget_seconds|shutdown_policy|shutdown_timeout_seconds)"
    r"|vms\[[^\]]*\]\.guest\.(user|password(\.(service|username))?|winrm_port|winrm_host|winrm_https|winrm_auth"
    r"|allow_http_ntlm|fingerprint)"
    r")$")


def _changes(old: Any, new: Any, path: str) -> list[str]:
    """Dotted paths of the leaves that differ; the VM list is compared VM by VM (``vms[<name>]``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            sub = f"{path}.{key}" if path else key
            if key == "vms" and not path:
                out += _vm_changes(old.get(key) or [], new.get(key) or [])
            elif key not in old or key not in new:
                out.append(sub)
            else:
                out += _changes(old[key], new[key], sub)
        return out
    return [] if old == new else [path]


def _vm_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    before = {v.get("vm_id"): v for v in old}
    after = {v.get("vm_id"): v for v in new}
    out = [f"vms (VM {after[v].get('name', v)} added)" for v in after if v not in before]
    out += [f"vms (VM {before[v].get('name', v)} left out)" for v in before if v not in after]
    for vm_id in before.keys() & after.keys():
        out += _changes(before[vm_id], after[vm_id], f"vms[{before[vm_id].get('name', vm_id)}]")
    return out


def review_plan_change(stored: Plan, edited: Plan) -> list[str]:
    """The fields that changed (all safe); raises ``ConfigurationError`` naming the ones that may not change."""
    changed = _changes(stored.to_dict(), edited.to_dict(), "")
    refused = [c for c in changed if not _SAFE.match(c)]
    if refused:
        raise ConfigurationError(
            f"The plan file changes what a migration under way cannot change: {', '.join(refused)}.",
            hint="Put those fields back as they were (addresses, ports, accounts, pins, the interval and the "
                 "bandwidth may change), or cancel the migration of these VMs and start it again with the new plan.")
    return changed
