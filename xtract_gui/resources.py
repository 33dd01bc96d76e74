"""The one loader of ``resources/``: the guest task list and the scripts a channel sends.

A guest script is stored as its task body only; the prelude every script needs (params file,
result line, logging helpers) is kept once per OS family and named by the manifest's top-level
``preludes`` map. ``load_script`` returns prelude + body, the text that runs by itself in a guest.
The engine, the GUI, the lab and the tests all read resources through here, so what they run is
what a guest runs.

Files are read once and kept, keyed by (path, mtime_ns, size): the engine asks for a script on the
event loop thread for every task of every VM, and the shipped files do not change while it runs; a
file rewritten in place (tests with their own ``root``) has a new key and is read again.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import posixpath
from pathlib import Path
from typing import Any

from .domain.errors import ConfigurationError
from .domain.guest_tasks import GuestTask, parse_manifest
from .paths import resources_dir

MANIFEST = "manifest.json"
_HINT = "Reinstall the application; the resources folder is incomplete."


def _version(path: Path) -> tuple[str, int, int]:
    """The cache key of a file as it is now; ``OSError`` when it cannot be read."""
    st = os.stat(path)
    return str(path), st.st_mtime_ns, st.st_size


@functools.lru_cache(maxsize=256)
def _text(key: tuple[str, int, int]) -> str:
    return Path(key[0]).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=16)
def _json(key: tuple[str, int, int]) -> Any:
    return json.loads(_text(key))


def _manifest(root: Path | None) -> dict[str, Any]:
    """The cached manifest: shared, so callers here only read it."""
    path = (root or resources_dir()) / MANIFEST
    try:
        data = _json(_version(path))
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"Cannot read the guest task list {path}: {exc}.", hint=_HINT) from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"The guest task list {path} must hold a JSON object.", hint=_HINT)
    return data


def manifest_data(root: Path | None = None) -> dict[str, Any]:
    """The manifest as JSON (a copy the caller may change); ``ConfigurationError`` when it is missing or broken."""
    return copy.deepcopy(_manifest(root))


def load_manifest(root: Path | None = None) -> list[GuestTask]:
    """Every guest task the manifest declares (``parse_manifest`` checks the shape)."""
    return parse_manifest(_manifest(root))


def read_resource(relative: str, root: Path | None = None) -> str:
    """A resource file's text as stored (UTF-8); ``ConfigurationError`` when it is missing."""
    path = (root or resources_dir()) / relative
    try:
        return _text(_version(path))
    except OSError as exc:
        raise ConfigurationError(f"The guest resource {relative} is missing ({exc.strerror}).", hint=_HINT) from None
    except ValueError as exc:  # not UTF-8
        raise ConfigurationError(f"The guest resource {relative} cannot be read ({exc}).", hint=_HINT) from None


def prelude_for(relative: str, root: Path | None = None) -> str | None:
    """The prelude (relative path) that goes before ``relative``; None for a file that takes none."""
    preludes = _manifest(root).get("preludes") or {}
    folder = posixpath.dirname(relative.replace("\\", "/"))
    prelude = preludes.get(folder) if isinstance(preludes, dict) else None
    if not prelude or posixpath.normpath(relative) == posixpath.normpath(str(prelude)):
        return None
    return str(prelude)


def compose(prelude: str, body: str) -> str:
    """Prelude then body, one newline between them whatever the files end with."""
    return prelude.rstrip("\n") + "\n\n" + body.lstrip("\n")


def load_script(relative: str, root: Path | None = None) -> str:
    """The text a channel sends for ``relative``: its OS family's prelude + the body.

    Files outside a prelude's folder (or the prelude itself) come back as stored. Used for task
    scripts and for ``extra.param_files`` values alike: the first-boot script runs by itself too.
    """
    body = read_resource(relative, root)
    prelude = prelude_for(relative, root)
    return body if prelude is None else compose(read_resource(prelude, root), body)


def prelude_section(family: str, name: str, root: Path | None = None) -> str:
    """The part of ``family``'s prelude between ``# >>> name`` and ``# <<< name`` lines, comment lines left
    out: code a channel runs by itself (the Windows run-folder rules), kept once, in the prelude."""
    preludes = _manifest(root).get("preludes") or {}
    relative = preludes.get(family) if isinstance(preludes, dict) else None
    if not relative:
        raise ConfigurationError(f"The guest task list names no {family} prelude.", hint=_HINT)
    text = read_resource(str(relative), root)
    start, end = f"# >>> {name}", f"# <<< {name}"
    if start not in text or end not in text:
        raise ConfigurationError(f"The {family} prelude has no section {name!r}.", hint=_HINT)
    body = text.split(start, 1)[1].split("\n", 1)[1].split(end, 1)[0]
    return "\n".join(line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#"))


def script_tasks(root: Path | None = None) -> dict[str, str]:
    """Script file name (lower case) -> task id, for the scripts that exactly one task runs.

    A script several tasks share (``add_certificate.ps1``) is left out: its runs are told apart by
    the task id the channel puts in the params file.
    """
    owners: dict[str, set[str]] = {}
    for task in load_manifest(root):
        owners.setdefault(posixpath.basename(task.script).lower(), set()).add(task.id)
    return {name: next(iter(ids)) for name, ids in owners.items() if len(ids) == 1}
