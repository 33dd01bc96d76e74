"""Python's cyclic garbage collector runs on the GUI thread only.

Left alone, the collector runs in whichever thread happens to allocate past its threshold: a copy thread, the
engine's executor, a reader's socket thread.  When the garbage it finds holds a Qt object (a closed dialog in
a cycle with its slots), PySide deletes that object from the wrong thread — "QObject::~QObject: Timers cannot
be stopped from another thread", and at worst a crash.  So automatic collection is switched off and a timer on
the GUI thread collects whenever the counts pass the usual thresholds (the approach long used by PyQt
applications that run Python threads).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer, Slot


class GuiThreadCollector(QObject):
    """Install once on the GUI thread; ``stop`` gives automatic collection back."""

    def __init__(self, parent: QObject | None = None, *, interval_ms: int = 500, freeze_after_ms: int = 2000) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.collections = 0
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)
        # What exists once the app has started (modules, classes, the window: hundreds of thousands of objects)
        # lives as long as the app; moved out of the collector's sight, a later collection does not walk it
        # again on the GUI thread (one such walk was a 44 ms stall, benchmarks/gui_stall.py).
        QTimer.singleShot(freeze_after_ms, self, self._freeze_startup)

    @Slot()
    def _freeze_startup(self) -> None:
        gc.collect()
        gc.freeze()

    @Slot()
    def check(self) -> None:
        """Collect the generation whose count passed its threshold, as the automatic collector would."""
        count0, count1, count2 = gc.get_count()
        if count0 <= self.threshold[0]:
            return
        generation = 2 if count2 > self.threshold[2] else 1 if count1 > self.threshold[1] else 0
        gc.collect(generation)
        self.collections += 1

    def stop(self) -> None:
        self._timer.stop()
        gc.unfreeze()
        gc.enable()
