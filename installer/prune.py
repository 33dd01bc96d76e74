"""What the frozen build leaves out: Qt plugins the app never loads, and the libraries only they pulled in.

PySide6's PyInstaller hooks collect every plugin of the Qt modules in use, and PyInstaller then bundles each
plugin's system libraries. The GTK3 platform theme alone brings GTK, GDK, Pango, Cairo, ATK, gdk-pixbuf and
their codecs; the VNC platform and the TUIO touch plugin bring QtNetwork; eglfs brings the KMS/EGL device
integration. The wizard needs none of them: plain widgets, PNG/SVG icons, the X11 (xcb) and Wayland
platforms on desktops, offscreen for headless runs. Used by installer/xtract-gui.spec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

Entry = tuple[str, str, str]  # PyInstaller TOC entry: (name in the bundle, source file, type)

# Per plugin folder: the plugins kept (None: all), by name without "lib"/"q" and extension.
KEEP: dict[str, set[str] | None] = {
    "platforms": {"xcb", "wayland", "offscreen", "minimal", "windows", "cocoa"},
    "imageformats": {"svg", "ico", "icns"},  # icons are PNG (built into QtGui) and SVG
    "generic": set(),  # evdev/tslib/TUIO input for embedded devices (TUIO needs QtNetwork)
    "egldeviceintegrations": set(),  # eglfs only, itself left out
}
DROP: dict[str, set[str]] = {"platformthemes": {"gtk3"}}  # GTK's whole stack for native file dialogs


def plugin(name: str) -> tuple[str, str] | None:
    """(folder, plugin) for a Qt plugin's place in the bundle, e.g. ("platforms", "xcb"); None for other files."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if "plugins" not in parts[:-2]:
        return None
    folder = parts[parts.index("plugins") + 1]
    stem = parts[-1].split(".")[0].removeprefix("lib")
    return folder, stem.removeprefix("q") if stem.startswith("q") else stem


def unused(name: str) -> bool:
    found = plugin(name)
    if found is None:
        return False
    folder, stem = found
    keep = KEEP.get(folder)
    return (keep is not None and stem not in keep) or stem in DROP.get(folder, set())


def _droppable(entry: Entry) -> bool:
    """Libraries bundled because something needs them (system ones at the top, Qt's own), not entry points
    (Python extension modules, plugins)."""
    posix = entry[0].replace("\\", "/")
    return entry[2] != "EXTENSION" and ("/" not in posix or posix.startswith("PySide6/Qt/lib/"))


def _closure(roots: Iterable[str], bundled: set[str], imports: Callable[[str], set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        todo += [dep for dep in imports(path) if dep in bundled and dep not in seen]
    return seen


def prune(binaries: list[Entry], imports: Callable[[str], set[str]] | None) -> tuple[list[Entry], list[Entry]]:
    """(kept, dropped): unused plugins out; with ``imports`` (source file -> real paths of the libraries it
    links to), also every library that only they reached. A library nothing reaches either way (one loaded with
    dlopen) is kept."""
    plugins_out = [e for e in binaries if unused(e[0])]
    rest = [e for e in binaries if not unused(e[0])]
    if imports is None:
        return rest, plugins_out
    real = {e[1]: os.path.realpath(e[1]) for e in binaries}
    bundled = set(real.values())
    roots_before = [real[e[1]] for e in binaries if not _droppable(e)]
    roots_after = [real[e[1]] for e in rest if not _droppable(e)]
    only_theirs = _closure(roots_before, bundled, imports) - _closure(roots_after, bundled, imports)
    kept = [e for e in rest if not (_droppable(e) and real[e[1]] in only_theirs)]
    return kept, plugins_out + [e for e in rest if e not in kept]
