"""Where the app finds its shipped files and keeps its own, frozen (PyInstaller) or from source."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "xtract-gui"


def bundle_root() -> Path:
    """The folder holding resources/, assets/, ui/: the checkout, or PyInstaller's _MEIPASS."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return bundle_root() / "resources"


def assets_dir() -> Path:
    return bundle_root() / "assets"


def ui_dir() -> Path:
    return bundle_root() / "ui"


def _platformdirs():  # type: ignore[no-untyped-def]
    import platformdirs

    return platformdirs.PlatformDirs(APP_NAME, appauthor=False)


def data_dir() -> Path:
    """The SQLite store lives here; XTRACT_GUI_HOME overrides it (tests, portable installs)."""
    override = os.environ.get("XTRACT_GUI_HOME")
    path = Path(override) / "data" if override else Path(_platformdirs().user_data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    override = os.environ.get("XTRACT_GUI_HOME")
    path = Path(override) / "logs" if override else Path(_platformdirs().user_log_dir)
    path.mkdir(parents=True, exist_ok=True)
    return path
