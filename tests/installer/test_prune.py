"""installer/prune.py: which Qt plugins the frozen build leaves out, and the libraries only they needed."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "installer"))
import prune

P = "PySide6/Qt/plugins"


def test_plugins_by_folder_and_name() -> None:
    assert prune.plugin(f"{P}/platforms/libqxcb.so") == ("platforms", "xcb")
    assert prune.plugin("PySide6/plugins/platforms/qwindows.dll") == ("platforms", "windows")
    assert prune.plugin("libQt6Gui.so.6") is None
    kept = [f"{P}/platforms/libqxcb.so", f"{P}/platforms/libqwayland.so", f"{P}/platforms/libqoffscreen.so",
            f"{P}/imageformats/libqsvg.so", f"{P}/iconengines/libqsvgicon.so",
            f"{P}/platformthemes/libqxdgdesktopportal.so",
            f"{P}/platforminputcontexts/libibusplatforminputcontextplugin.so", "PySide6/plugins/platforms/qwindows.dll"]
    dropped = [f"{P}/platforms/libqvnc.so", f"{P}/platforms/libqeglfs.so", f"{P}/platformthemes/libqgtk3.so",
               f"{P}/imageformats/libqjpeg.so", f"{P}/generic/libqtuiotouchplugin.so",
               f"{P}/egldeviceintegrations/libqeglfs-x11-integration.so"]
    assert [n for n in kept if prune.unused(n)] == []
    assert [n for n in dropped if not prune.unused(n)] == []


def test_libraries_only_the_dropped_plugins_reached_go_with_them() -> None:
    binaries = [
        ("xtract-gui-ext.so", "/s/ext.so", "EXTENSION"),
        (f"{P}/platforms/libqxcb.so", "/s/qxcb.so", "BINARY"),
        (f"{P}/platformthemes/libqgtk3.so", "/s/qgtk3.so", "BINARY"),
        ("libgtk-3.so.0", "/s/gtk.so", "BINARY"),  # only the GTK theme needs it
        ("libglib-2.0.so.0", "/s/glib.so", "BINARY"),  # the theme and xcb need it
        ("libxcb.so.1", "/s/xcb.so", "BINARY"),
        ("libdlopened.so.1", "/s/dl.so", "BINARY"),  # nothing links to it: loaded at run time, kept
    ]
    links = {"/s/qxcb.so": {"/s/xcb.so", "/s/glib.so"}, "/s/qgtk3.so": {"/s/gtk.so", "/s/glib.so"},
             "/s/gtk.so": {"/s/glib.so"}}
    kept, dropped = prune.prune(binaries, lambda src: links.get(src, set()))
    assert sorted(e[0] for e in dropped) == [f"{P}/platformthemes/libqgtk3.so", "libgtk-3.so.0"]
    assert {e[0] for e in kept} == {"xtract-gui-ext.so", f"{P}/platforms/libqxcb.so", "libglib-2.0.so.0",
                                    "libxcb.so.1", "libdlopened.so.1"}
