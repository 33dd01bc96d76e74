"""Longest GUI event-loop stall while demo VMs copy: a QTimer heartbeat measures how late each beat fires.

    python3 benchmarks/gui_stall.py [--vms 4] [--beat-ms 10] [--seconds 20]

The real app in demo mode (real engine, embedded lab) is clicked through to "Start migration"; then the
heartbeat runs while the VMs seed and sync, with the job monitor shown and fed by engine events.  Lateness
= time between beats minus the beat interval.  Target: max < 50 ms.  Offscreen platform, so painting
costs less than on a desktop; copying, events, models and the bridge are all real.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TARGET_MS = 50.0


class StallWatch:
    """A watchdog thread that, when the GUI thread is late by more than ``threshold_ms``, samples its stack."""

    def __init__(self, beat: Heartbeat, threshold_ms: float) -> None:
        import threading
        from collections import Counter

        self.beat, self.threshold = beat, threshold_ms / 1000.0
        self.main = threading.main_thread().ident
        self.stacks: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stall-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        import traceback

        while not self._stop.wait(0.005):
            if time.perf_counter() - self.beat._last > self.beat.interval + self.threshold:
                frame = sys._current_frames().get(self.main)
                if frame is not None:
                    lines = traceback.format_stack(frame)[-6:]
                    self.stacks["".join(lines)] += 1


class Heartbeat:
    def __init__(self, interval_ms: int) -> None:
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000.0
        self.samples: dict[str, list[float]] = {}
        self.phase = "wizard"
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._beat)

    def start(self) -> None:
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        late = max(0.0, now - self._last - self.interval) * 1000.0
        self._last = now
        self.samples.setdefault(self.phase, []).append(late)


async def measure(vms: int, beat_ms: int, seconds: float, home: Path, trace: bool = False,
                  sync_normal: bool = False) -> Heartbeat:
    from xtract_gui.domain.states import JobState
    from xtract_gui.engine.context import Tuning
    from xtract_gui.gui.flow import PageId
    from xtract_gui.gui.screenshots import drive, wait_until
    from xtract_gui.gui.window import MainWindow
    from xtract_gui.lab.runner import Lab

    window = MainWindow(demo=True, state_dir=home, lab_factory=functools.partial(Lab, vms=vms),
                        manager_options={"tuning": Tuning(sync_interval_seconds=2, guest_wait_seconds=60),
                                         "guest_https_auth": "basic"})
    window.resize(1120, 740)
    window.show()
    beat = Heartbeat(beat_ms)
    beat.start()
    watch = StallWatch(beat, 20.0) if trace else None
    if watch:
        watch.start()
    try:
        await window.start_up()
        if sync_normal:
            window.controller.manager.store._db.execute("PRAGMA synchronous=NORMAL")
        summary = window.wizard.page(PageId.SUMMARY)
        journey = asyncio.ensure_future(drive(window, None, cut_over=False, timeout=300))
        await wait_until(lambda: window.stack.currentWidget() is window.monitor or journey.done(), 300, "start")
        beat.phase = "copying (seed + syncs)"
        rows = window.monitor.jobs.rows
        deadline = time.monotonic() + seconds
        await wait_until(lambda: time.monotonic() > deadline or (rows() and all(
            r.ready_for_cutover or r.state in (JobState.FAILED, JobState.DONE) for r in rows())), seconds + 60)
        await journey
        beat.phase = "cutover"
        mon = window.monitor
        mon.table.selectAll()
        mon.actionRequested.emit("cutover", [r.vm_id for r in rows()])
        await wait_until(lambda: all(r.state in (JobState.DONE, JobState.FAILED, JobState.ROLLED_BACK)
                                     for r in rows()), 300, "cutover")
        del summary
    finally:
        beat.stop()
        if watch:
            watch.stop()
            for stack, n in watch.stacks.most_common(8):
                print(f"--- {n} samples\n{stack}")
        window._quit_ok = True
        await window.shut_down()
        window.close()
    return beat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=4)
    parser.add_argument("--beat-ms", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to watch the copy at most")
    parser.add_argument("--trace", action="store_true", help="print where the GUI thread was during stalls")
    parser.add_argument("--engine-sync-normal", action="store_true",
                        help="experiment: the engine's SQLite with synchronous=NORMAL (its commits run on the "
                             "GUI thread's event loop; FULL fsyncs each one)")
    args = parser.parse_args(argv)
    import qasync

    from xtract_gui.gui.app import create_application

    app = create_application()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XTRACT_GUI_HOME"] = tmp
        with loop:
            beat = loop.run_until_complete(measure(args.vms, args.beat_ms, args.seconds, Path(tmp), args.trace,
                                                        args.engine_sync_normal))
    print(f"GUI event-loop lateness, {args.vms} demo VMs, heartbeat {args.beat_ms} ms (target: max < {TARGET_MS:g} ms)")
    print(f"{'phase':<24} {'beats':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    worst = 0.0
    for phase, values in beat.samples.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        worst = max(worst, ordered[-1]) if phase != "wizard" else worst
        print(f"{phase:<24} {len(values):>6} {statistics.median(values):>8.1f} {p99:>8.1f} {ordered[-1]:>8.1f}")
    print(f"longest stall while VMs copy or cut over: {worst:.1f} ms -> {'OK' if worst < TARGET_MS else 'OVER TARGET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
