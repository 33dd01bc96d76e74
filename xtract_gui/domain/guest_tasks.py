"""The guest task list: what ``resources/manifest.json`` declares, as plain data.

Reading the file is the caller's business; this module only parses and orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from .errors import ConfigurationError
from .inventory import OsFamily


class GuestPhase(StrEnum):
    PREP = "prep"  # on the running source, before the seed
    FIRSTBOOT = "firstboot"  # runs by itself inside the guest on AHV; we read its result
    POST = "post"  # optional cleanup on AHV after a target snapshot
    UNDO = "undo"  # when a migration is cancelled


@dataclass(frozen=True)
class GuestTask:
    id: str  # "win.check_admin"
    title: str  # what the job monitor shows: "Checking admin permissions"
    os_family: OsFamily
    phase: GuestPhase
    order: int
    script: str  # path relative to resources/, e.g. "windows/check_admin.ps1"
    timeout_seconds: int = 300
    params: tuple[str, ...] = ()  # parameter names the script takes
    secret_params: tuple[str, ...] = ()  # parameters never to be logged
    optional: bool = False  # a failure is a warning, not a stop
    extra: dict[str, Any] = field(default_factory=dict)


def parse_manifest(data: Any) -> list[GuestTask]:
    if not isinstance(data, dict) or not isinstance(data.get("tasks"), list):
        raise ConfigurationError("resources/manifest.json must be an object with a \"tasks\" list.")
    tasks = []
    for i, raw in enumerate(data["tasks"]):
        try:
            tasks.append(GuestTask(
                id=raw["id"], title=raw["title"], os_family=OsFamily(raw["os_family"]),
                phase=GuestPhase(raw["phase"]), order=int(raw["order"]), script=raw["script"],
                timeout_seconds=int(raw.get("timeout_seconds", 300)),
                params=tuple(raw.get("params", ())), secret_params=tuple(raw.get("secret_params", ())),
                optional=bool(raw.get("optional", False)), extra=dict(raw.get("extra", {})),
            ))
        except (KeyError, ValueError, TypeError) as exc:
            raise ConfigurationError(f"resources/manifest.json task #{i} is malformed: {exc!r}.") from exc
    ids = [t.id for t in tasks]
    if len(ids) != len(set(ids)):
        raise ConfigurationError("resources/manifest.json has duplicate task ids.")
    return tasks


def tasks_for(tasks: list[GuestTask], family: OsFamily, phase: GuestPhase) -> list[GuestTask]:
    return sorted((t for t in tasks if t.os_family is family and t.phase is phase), key=lambda t: t.order)
