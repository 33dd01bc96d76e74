"""The app's one log file, ``xtract-gui.log`` in the user's log folder, shared by the GUI and its engine process."""

from __future__ import annotations

import logging

from . import paths


def setup_logging(process: str = "") -> None:
    """Log ``xtract_gui.*`` at INFO into the log file, once per process.  ``process`` tags each line with who wrote it
    when two processes append to the file (the engine's lines say ``engine``)."""
    root = logging.getLogger("xtract_gui")
    if any(getattr(h, "_xtract_gui", False) for h in root.handlers):
        return
    handler = logging.FileHandler(paths.log_dir() / "xtract-gui.log", encoding="utf-8")
    tag = f"[{process}] " if process else ""
    handler.setFormatter(logging.Formatter(f"%(asctime)s %(levelname)s {tag}%(name)s: %(message)s"))
    handler._xtract_gui = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
