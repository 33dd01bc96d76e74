"""A small throughput plot (QPainter, no charting dependency) and the progress-bar delegate."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QWidget,
)

from ..shared.table import FRACTION_ROLE
from ..shared.tr import human_rate


class ThroughputPlot(QWidget):
    """Rate over time for one VM in Mbit/s: a filled line, the peak and the latest value as text, and the
    bandwidth limit as a dashed line in the same scale (the limit is set in Mbit/s too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[tuple[float, float]] = []
        self.limit_bytes_per_s = 0.0  # 0: no limit
        self.setMinimumHeight(90)

    def set_limit(self, mbit_per_s: float) -> None:
        self.limit_bytes_per_s = max(0.0, mbit_per_s) * 125_000
        self.update()

    def points(self) -> list[tuple[float, float]]:
        return list(self._points)

    def sizeHint(self) -> QSize:
        return QSize(320, 110)

    def set_points(self, points: Sequence[tuple[float, float]]) -> None:
        self._points = list(points)
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = QRectF(self.rect()).adjusted(6, 18, -6, -6)
        pal = self.palette()
        p.fillRect(self.rect(), pal.color(pal.ColorRole.Base))
        p.setPen(QPen(pal.color(pal.ColorRole.Mid), 1))
        p.drawRect(r)
        pts = self._points
        p.setPen(pal.color(pal.ColorRole.Text))
        if len(pts) < 2:
            p.drawText(r, Qt.AlignmentFlag.AlignCenter, self.tr("No transfer yet"))
            p.end()
            return
        t0, t1 = pts[0][0], pts[-1][0]
        span = max(t1 - t0, 1e-6)
        peak = max(v for _, v in pts) or 1.0
        top = max(peak, self.limit_bytes_per_s * 1.15) or 1.0  # the limit line stays inside the plot
        path = QPainterPath(QPointF(r.left(), r.bottom()))
        for t, v in pts:
            path.lineTo(QPointF(r.left() + (t - t0) / span * r.width(), r.bottom() - v / top * (r.height() - 2)))
        path.lineTo(QPointF(r.right(), r.bottom()))
        accent = QColor("#2f6fd6")
        fill = QColor(accent)
        fill.setAlpha(60)
        p.fillPath(path, fill)
        p.setPen(QPen(accent, 1.6))
        p.drawPath(path)
        if self.limit_bytes_per_s:
            y = r.bottom() - self.limit_bytes_per_s / top * (r.height() - 2)
            p.setPen(QPen(QColor("#c0392b"), 1.2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
            p.drawText(QRectF(r.left() + 4, y - 15, r.width() - 8, 14),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                       self.tr("limit {rate}").format(rate=human_rate(self.limit_bytes_per_s)))
        p.setPen(pal.color(pal.ColorRole.Text))
        p.drawText(QRectF(6, 0, self.width() - 12, 16), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                   self.tr("now {rate}").format(rate=human_rate(pts[-1][1])))
        p.drawText(QRectF(6, 0, self.width() - 12, 16), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   self.tr("peak {rate}").format(rate=human_rate(peak)))
        p.end()


class ProgressDelegate(QStyledItemDelegate):
    """Draws the job's copy progress as a native progress bar inside the cell."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        fraction = index.data(FRACTION_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if fraction is None or not text:
            super().paint(painter, option, index)
            return
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(3, 4, -3, -4)  # type: ignore[attr-defined]
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(max(0.0, min(1.0, float(fraction))) * 1000)
        bar.text = str(text)
        bar.textVisible = True
        bar.state = option.state | QStyle.StateFlag.State_Horizontal  # type: ignore[attr-defined]
        style = option.widget.style() if option.widget else QApplication.style()  # type: ignore[attr-defined]
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter)
