"""Paging Prism Element v2.0 list calls, each the way its own schema says.

The v2.0 API explorer schema of a real Prism Element (rssntn67/opennms-nutanix-plugin,
``client/v2/src/build/resources/*.json`` at 457b26a9) gives ``GET /vms/`` the parameters ``offset``/``length``,
``GET /storage_containers/`` and ``GET /hosts/`` ``count``/``page`` (1-based), and ``GET /networks/`` and
``GET /images/`` none at all.  Prism ignores a parameter a call does not have: asked for "page 2" of the VMs it
answers the first VMs again.  And ``grand_total_entities`` counts every entity of the kind, not the ones a filter
matched, so a loop that pages "until we have grand_total_entities" returns the one VM a name filter found as many
times as the cluster has VMs.  Hence: each call its own parameters, stop on a short (or empty, or already seen)
batch, and every entity counted once by its uuid.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Fetch = Callable[[dict[str, Any]], dict[str, Any]]  # query parameters → the JSON answer

_BY_OFFSET = frozenset({"/vms"})
_BY_PAGE = frozenset({"/storage_containers", "/hosts"})
_KEYS = ("uuid", "storage_container_uuid", "id")


def _key(entity: dict[str, Any]) -> str:
    for name in _KEYS:
        if entity.get(name):
            return f"{name}:{entity[name]}"
    return json.dumps(entity, sort_keys=True, default=str)


def paged(fetch: Fetch, path: str, size: int) -> list[dict[str, Any]]:
    """Every entity of the list call at ``path`` (below the v2.0 base), asking ``size`` at a time where it pages."""
    call = path.rstrip("/")
    if call not in _BY_OFFSET and call not in _BY_PAGE:
        return list(fetch({}).get("entities") or [])
    found: dict[str, dict[str, Any]] = {}
    number = 0
    while True:
        query = {"offset": number * size, "length": size} if call in _BY_OFFSET else {"count": size, "page": number + 1}
        batch = fetch(query).get("entities") or []
        fresh = 0
        for entity in batch:
            key = _key(entity)
            if key not in found:
                found[key] = entity
                fresh += 1
        # A short batch is the last one; a batch of nothing new means the server did not page after all.
        if len(batch) < size or not fresh:
            return list(found.values())
        number += 1
