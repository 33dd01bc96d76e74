"""Where the main window opens: where it was last time if that is still on a screen, else fitted to the screen
it opens on (a 1366×768 or 1280×720 laptop gets the whole available area, not a window taller than the screen
with Back/Next below it)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

PREFERRED_SIZE = (1280, 800)
KEY = "window/geometry"


def fitted(available: QRect, preferred: tuple[int, int] = PREFERRED_SIZE) -> QRect:
    """The preferred size, or the whole available area of a smaller screen (the task bar taken off), centred."""
    width, height = min(preferred[0], available.width()), min(preferred[1], available.height())
    return QRect(available.x() + (available.width() - width) // 2, available.y() + (available.height() - height) // 2,
                 width, height)


def place(window: QWidget) -> None:
    from .app import settings

    saved = settings().value(KEY)
    if isinstance(saved, QByteArray | bytes) and window.restoreGeometry(QByteArray(saved)):
        screen = QGuiApplication.screenAt(window.geometry().center())
        if screen is not None:  # still on a screen of this computer: keep it there, no bigger than it
            available, g = screen.availableGeometry(), window.geometry()
            if g.width() > available.width() or g.height() > available.height():
                window.setGeometry(fitted(available, (min(g.width(), available.width()),
                                                      min(g.height(), available.height()))))
            return
    screen = window.screen() or QGuiApplication.primaryScreen()
    if screen is not None:
        window.setGeometry(fitted(screen.availableGeometry()))
    else:
        window.resize(*PREFERRED_SIZE)


def remember(window: QWidget) -> None:
    from .app import settings

    settings().setValue(KEY, window.saveGeometry())
