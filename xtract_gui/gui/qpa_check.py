"""Before Qt starts on Linux: can it load the platform plugin it will pick? If not, say which libraries are missing.

Qt's own answer to a missing system library is an abort ("Could not load the Qt platform plugin "xcb" …
even though it was found", core dumped) that names no library, or a wrong one: on a Debian 12 without
libxcb-icccm4 it blames xcb-cursor. PySide6's wheels carry Qt but not the X11/Wayland client libraries
it links against (https://doc.qt.io/qt-6/linux-requirements.html lists them), so a fresh desktop can lack
some. Here the plugin Qt would load is asked for its unresolved libraries (``ldd``, which runs the
dynamic loader's own search; ``dlopen`` when ldd is absent) and the answer is turned into the command that
installs them on this distribution.

Only names are read from the environment, the same ones Qt reads (QT_QPA_PLATFORM, WAYLAND_DISPLAY,
XDG_SESSION_TYPE, QT_QPA_PLATFORM_PLUGIN_PATH); nothing here loads Qt, so a system where QtGui itself cannot
load (no libEGL, fontconfig …: a minimal Debian) is explained the same way instead of an ImportError.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# soname -> (Debian/Ubuntu package, Fedora/RHEL package); the libraries PySide6's xcb, wayland and offscreen
# plugins link against beyond what every desktop install has (libc, libstdc++, zlib …).
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found\s*$", re.MULTILINE)
_DLOPEN = re.compile(r"^(\S+?): cannot open shared object file")


@dataclass(frozen=True)
class PlatformProblem:
    """Qt cannot start on this desktop; ``missing`` are the libraries it lacks (sonames)."""

    plugins: tuple[str, ...]  # empty: Qt's own libraries cannot load, whatever the plugin
    missing: tuple[str, ...]

    def message(self, os_release: Mapping[str, str] | None = None) -> str:
        names = " or ".join(f'"{p}"' for p in self.plugins)
        what = f"its {names} platform plugin (the link to the desktop)" if self.plugins else "its libraries"
        lines = [f"Qt cannot load {what}: these system libraries are missing: {', '.join(self.missing)}."]
        command = install_command(self.missing, os_release if os_release is not None else _os_release())
        if command:
            lines.append(f"Install them with:\n  {command}")
        else:
            lines.append("Install the packages of your distribution that provide them.")
        if any(lib not in PACKAGES for lib in self.missing):
            lines.append("Libraries of Qt itself (libQt6…) come with xtract-gui: reinstall it if one is missing.")
        lines.append("The headless demo needs none of them: xtract-gui demo")
        return "\n".join(lines)


def install_command(missing: tuple[str, ...], os_release: Mapping[str, str]) -> str:
    """``sudo apt-get install …`` / ``sudo dnf install …`` for the known libraries, or "" for another family."""
    family = " ".join((os_release.get("ID", ""), os_release.get("ID_LIKE", ""))).split()
    column, tool = ((0, "sudo apt-get install") if {"debian", "ubuntu"} & set(family)
                    else (1, "sudo dnf install") if {"fedora", "rhel", "centos"} & set(family) else (-1, ""))
    packages = list(dict.fromkeys(PACKAGES[lib][column] for lib in missing if lib in PACKAGES)) if tool else []
    return f"{tool} {' '.join(packages)}" if packages else ""


def _os_release() -> dict[str, str]:
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError:
            continue
        return {k: v.strip().strip('"') for k, _, v in (line.partition("=") for line in text.splitlines()) if v}
    return {}


def candidate_plugins(environ: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt tries, in its order: QT_QPA_PLATFORM's list, else wayland first on a Wayland
    session (qguiapplication.cpp, createPlatformIntegration), then xcb."""
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return [item.split(":")[0] for item in chosen.split(";") if item.split(":")[0]]
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    return ["wayland", "xcb"] if wayland else ["xcb"]


def pyside_dir() -> Path | None:
    """PySide6's folder (site-packages, or the frozen build's), found without loading Qt."""
    spec = importlib.util.find_spec("PySide6")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


def plugin_dirs(environ: Mapping[str, str], pyside: Path) -> list[Path]:
    dirs = [Path(p) for p in environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if p]
    dirs += [Path(p) / "platforms" for p in environ.get("QT_PLUGIN_PATH", "").split(os.pathsep) if p]
    return [*dirs, pyside / "Qt" / "plugins" / "platforms"]


def missing_libraries(library: Path) -> list[str]:
    """Sonames the dynamic loader cannot find for ``library`` (and what it needs in turn)."""
    ldd = shutil.which("ldd")
    if ldd:
        try:
            out = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=30, check=False)
            return list(dict.fromkeys(_NOT_FOUND.findall(out.stdout)))
        except (OSError, subprocess.SubprocessError):
            pass
    try:  # no ldd (a minimal image): the loader names the first library it cannot find
        ctypes.CDLL(str(library))
    except OSError as exc:
        found = _DLOPEN.match(str(exc).replace(f"{library}: ", "", 1))
        return [found.group(1)] if found else []
    return []


def platform_problem(environ: Mapping[str, str] | None = None) -> PlatformProblem | None:
    """None when Qt's widgets load and one of the platform plugins Qt would try can load (or this is not Linux,
    or the files are not where we look: Qt then reports that itself); else what is missing. QtWidgets comes
    first: libQt6Gui itself links to EGL/GL, fontconfig and xkbcommon, which a minimal system lacks."""
    if not sys.platform.startswith("linux"):
        return None
    env = os.environ if environ is None else environ
    pyside = pyside_dir()
    if pyside is None:
        return None
    widgets = next(iter(sorted(pyside.glob("QtWidgets.*so"))), None)
    core = missing_libraries(widgets) if widgets else []
    plugins = candidate_plugins(env)
    dirs = plugin_dirs(env, pyside)
    missing: list[str] = []
    for name in plugins:
        path = next((d / f"libq{name}.so" for d in dirs if (d / f"libq{name}.so").is_file()), None)
        lacking = missing_libraries(path) if path else []
        if path is None or not lacking:
            if not core:
                return None  # Qt loads this plugin (or reports a missing plugin file itself)
            continue
        missing += lacking
    if core:  # nothing of Qt's GUI loads, whatever the plugin: name its libraries (and the plugins' too)
        return PlatformProblem((), tuple(dict.fromkeys([*core, *missing])))
    return PlatformProblem(tuple(plugins), tuple(dict.fromkeys(missing)))


__all__ = ["PACKAGES", "PlatformProblem", "candidate_plugins", "install_command", "platform_problem"]
