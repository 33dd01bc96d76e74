"""The source of a small program that opens the wizard (``run_gui(demo=True)``) in a child process, waits for its
window, runs a few lines against it and quits: how tests drive the real app start, whatever Python runs it."""

from __future__ import annotations

import textwrap

_TEMPLATE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from xtract_gui.gui.app import run_gui
from xtract_gui.gui.window import MainWindow

def check():
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    window = windows[0] if windows else None
    if window is not None and ({when}):
{on_ready}
        window.close()
        QApplication.instance().quit()
    else:
        QTimer.singleShot(100, check)

app = QApplication(["xtract-gui"])  # run_gui reuses it; the timer needs it to exist
QTimer.singleShot(100, check)
sys.exit(run_gui(demo=True, argv=["xtract-gui"]))
"""


def wizard_script(on_ready: str, when: str = "window.isVisible()") -> str:
    """``on_ready`` runs (with ``window`` and ``app`` bound) once ``when`` holds for the main window."""
    body = textwrap.indent(textwrap.dedent(on_ready).strip() or "pass", " " * 8)
    return _TEMPLATE.format(when=when, on_ready=body)
