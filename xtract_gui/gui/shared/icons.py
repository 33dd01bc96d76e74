"""Small state icons painted at run time, so they stay crisp on any DPI and need no image files."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

from ... import paths
from ...engine.events import StepState

GREEN, AMBER, RED, BLUE, GREY = "#2e9d5b", "#d99a1e", "#cf3b3b", "#2f6fd6", "#9aa3ad"
AMBER_TEXT = "#8a5a00"  # amber dark enough to read as text on white


def _canvas(size: int = 32) -> tuple[QPixmap, QPainter]:
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    return pm, p


def _disc(color: str, glyph: str) -> QIcon:
    pm, p = _canvas()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    p.drawEllipse(QRectF(2, 2, 28, 28))
    pen = QPen(QColor("white"), 3.2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    if glyph == "check":
        path = QPainterPath(QPointF(9, 16.5))
        path.lineTo(14, 21.5)
        path.lineTo(23, 11)
        p.drawPath(path)
    elif glyph == "cross":
        p.drawLine(QPointF(11, 11), QPointF(21, 21))
        p.drawLine(QPointF(21, 11), QPointF(11, 21))
    elif glyph == "bang":
        p.drawLine(QPointF(16, 9), QPointF(16, 18))
        p.drawPoint(QPointF(16, 23))
    elif glyph == "info":
        p.drawPoint(QPointF(16, 10))
        p.drawLine(QPointF(16, 15), QPointF(16, 23))
    elif glyph == "dots":
        for x in (10, 16, 22):
            p.drawPoint(QPointF(x, 16))
    elif glyph == "dash":
        p.drawLine(QPointF(10, 16), QPointF(22, 16))
    p.end()
    return QIcon(pm)


@cache
def severity_icon(severity: str) -> QIcon:
    return {"BLOCKER": lambda: _disc(RED, "cross"), "WARNING": lambda: _disc(AMBER, "bang"),
            "INFO": lambda: _disc(BLUE, "info")}.get(severity, lambda: _disc(GREEN, "check"))()


@cache
def step_icon(state: StepState) -> QIcon:
    return {
        StepState.SUCCEEDED: lambda: _disc(GREEN, "check"),
        StepState.FAILED: lambda: _disc(RED, "cross"),
        StepState.WARNING: lambda: _disc(AMBER, "bang"),
        StepState.RUNNING: lambda: _disc(BLUE, "dots"),
        StepState.SKIPPED: lambda: _disc(GREY, "dash"),
    }.get(state, lambda: _disc("#c5cbd3", "dots"))()


@cache
def app_icon() -> QIcon:
    icon = QIcon()
    for name in ("xtract-gui.svg", "xtract-gui.png"):
        path = paths.assets_dir() / name
        if path.exists():
            icon.addFile(str(path))
    return icon
