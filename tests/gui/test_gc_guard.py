"""The cyclic garbage collector runs on the GUI thread only (gui/gc_guard.py)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest
from PySide6.QtCore import QObject

from xtract_gui.gui.gc_guard import GuiThreadCollector

pytestmark = pytest.mark.gui


class _Cycle(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self  # garbage only the cyclic collector frees


def test_qt_garbage_made_anywhere_is_freed_on_the_gui_thread(qapp) -> None:  # type: ignore[no-untyped-def]
    gc.enable()  # as the app starts (the GUI tests' fixture turns automatic collection off): the guard must do it
    collector = GuiThreadCollector(qapp, interval_ms=60_000)  # the test calls check() itself
    try:
        assert not gc.isenabled()
        freed_on: list[str] = []
        obj = _Cycle()
        obj.destroyed.connect(lambda: freed_on.append(threading.current_thread().name))
        dead = weakref.ref(obj)
        del obj

        def busy_worker() -> None:  # allocates far past the threshold, as a copy thread does
            keep = [[i] for i in range(20 * collector.threshold[0])]
            assert len(keep) > collector.threshold[0]

        worker = threading.Thread(target=busy_worker, name="copy-thread")
        worker.start()
        worker.join()
        assert dead() is not None, "a collection ran on the worker thread"
        keep = [[] for _ in range(collector.threshold[0] + 10)]  # past the threshold, as any busy GUI gets
        collector.check()  # what the timer does, on this (the GUI) thread
        assert dead() is None and len(keep) > 0
        assert freed_on == [threading.current_thread().name]
        assert collector.collections == 1
    finally:
        collector.stop()
    assert gc.isenabled()
