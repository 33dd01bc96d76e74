"""Longest GUI event-loop stall while demo VMs copy: a QTimer heartbeat measures how late each beat fires.

    python3 benchmarks/gui_stall.py [--vms 4] [--beat-ms 10] [--seconds 20] [--trace [FRAMES]]

The real app in demo mode (real engine, embedded lab) is clicked through to "Start migration"; then the
heartbeat runs while the VMs seed and sync, with the job monitor shown and fed by engine events.  Lateness
= time between beats minus the beat interval.  Target: max < 50 ms.  Offscreen platform, so painting
costs less than on a desktop; copying, events, models and the bridge are all real.

Results (2026-11-26, 2-core CI box, defaults: 4 VMs, 10 ms beat; the engine's SQLite now runs with
synchronous=NORMAL by default, so ``--engine-sync-normal`` changes nothing; "load" is the 1-minute load
average when the run started, other engineers' test suites included):

    UTC    load   copying p99/max ms   cutover p99/max ms   longest stall
    08:05  0.9        42.5 /  57.8         15.6 / 33.8         57.8  over
    08:05  2.0        39.3 /  39.3         12.1 / 18.1         39.3  ok
    08:05  2.0        18.3 /  20.8         16.5 / 17.4         20.8  ok
    08:10  3.5        39.7 / 172.0         30.7 / 83.3        172.0  over
    08:10  4.0        22.4 /  28.4         10.9 / 23.2         28.4  ok
    08:11  3.8        38.8 /  41.3         31.9 / 52.9         52.9  over

p50 is 0.1-0.5 ms and p99 stays under 50 ms in every run; the max is one or two late beats per run, over
the target in 3 of 6.  Traces (``--trace 45``; whole-run samples) show the GUI thread mostly
inside Qt's own event processing, i.e. waiting for the CPU/GIL held by the copy threads and by other
processes on a 2-core box, and one real culprit: ``engine/prep.py`` readiness calls
``ctx.session.target()`` (and ``.source()``) as arguments of ``ctx.call``, so the lazy Prism connect
(``wiring.connect_target_endpoint`` -> ``connect_prism``, 12 samples of HTTP) runs on the event loop,
i.e. on the GUI thread.  SQLite intents (``store.intent``) and log-file writes (``emitter._write_file``)
also run there, a sample or two each.
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

    def __init__(self, beat: Heartbeat, threshold_ms: float, depth: int = 6) -> None:
        import threading
        from collections import Counter

        self.beat, self.threshold, self.depth = beat, threshold_ms / 1000.0, depth
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
                    lines = traceback.format_stack(frame)[-self.depth:]
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


async def measure(vms: int, beat_ms: int, seconds: float, home: Path, trace: int = 0,
                  sync_normal: bool = False) -> Heartbeat:
    from xtract_gui.domain.states import JobState
    from xtract_gui.engine.context import Tuning
    from xtract_gui.gui.screenshots import drive, wait_until
    from xtract_gui.gui.window import MainWindow
    from xtract_gui.gui.wizard.flow import PageId
    from xtract_gui.lab.runner import Lab

    window = MainWindow(demo=True, state_dir=home, lab_factory=functools.partial(Lab, vms=vms),
                        manager_options={"tuning": Tuning(sync_interval_seconds=2, guest_wait_seconds=60)})
    window.resize(1120, 740)
    window.show()
    beat = Heartbeat(beat_ms)
    beat.start()
    watch = StallWatch(beat, 20.0, trace) if trace else None
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
    parser.add_argument("--trace", type=int, nargs="?", const=6, default=0, metavar="FRAMES",
                        help="print where the GUI thread was during stalls (the innermost FRAMES, default 6)")
    parser.add_argument("--engine-sync-normal", action="store_true",
                        help="set the engine's SQLite to synchronous=NORMAL again (now the store's default; kept "
                             "so that older numbers can be compared)")
    parser.add_argument("--no-gc-guard", action="store_true",
                        help="leave Python's automatic garbage collection on (as before gui/gc_guard.py)")
    args = parser.parse_args(argv)
    import qasync

    from xtract_gui.gui.app import create_application
    from xtract_gui.gui.gc_guard import GuiThreadCollector

    app = create_application()
    collector = GuiThreadCollector(app) if not args.no_gc_guard else None  # as run_gui installs it
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
    if collector is not None:
        print(f"garbage collections run on the GUI thread: {collector.collections}")
        collector.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
