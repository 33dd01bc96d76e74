"""Where the GUI thread was while it was late: one ``gui_stall.py`` run under ``perf``, read per late beat.

    python3 benchmarks/stall_perf.py [--vms 4] [--seconds 20] [--freq 2000] [--top 12] [--keep DIR]

``gui_stall.py --one`` runs under ``perf record -k CLOCK_MONOTONIC`` (the heartbeat's clock, so a late beat's
window can be found among the samples) with two events, both with call chains: ``cpu-clock`` samples (what
the thread ran) and ``sched:sched_switch`` (when and why it left the CPU).  For each window in which a beat
was more than 20 ms late, the GUI thread's time is split into: on CPU (and in what, by the innermost frames
that are not the interpreter's own), off CPU while runnable (the machine's load: another thread had the
core), and off CPU asleep (by where it slept: ``take_gil`` is the GIL held by another thread of the app,
``poll`` is Qt waiting for an event that came late).  Python frames have names when the interpreter is
3.12 or newer (``-X perf``); older ones show only the interpreter's C frames.  Needs ``perf`` with the
``sched`` tracepoints (Debian's linux-perf, as root or with perf_event_paranoid <= 1).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = re.compile(r"^\s*(?P<comm>.+?)\s+(?P<tid>\d+)\s+(?P<time>\d+\.\d+):\s+(?:\d+\s+)?"
                    r"(?P<event>PERF_RECORD_SWITCH (?:IN|OUT)|[\w:-]+):?(?P<rest>.*)$")
INTERPRETER = ("libpython", "python3", "[unknown]", "libc.so", "ld-linux", "[kernel.kallsyms]", "[vdso]")


def record(args: argparse.Namespace, data: Path) -> dict[str, object]:
    # -c 1 records every context switch; the clock samples keep their own period (ns of CPU time per sample).
    graph = ["--call-graph", "dwarf,8192"] if args.dwarf else ["-g"]
    cmd = ["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "--switch-events", *graph, "-c", "1",
           "-e", f"cpu-clock/period={1_000_000_000 // args.freq}/", "-e", "sched:sched_switch", "-o", str(data),
           "--", sys.executable, "-X", "perf", str(HERE / "gui_stall.py"), "--one", "--vms", str(args.vms),
           "--seconds", str(args.seconds)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"the run failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def events(data: Path, tid: int) -> Iterator[tuple[float, str, str, list[tuple[str, str]]]]:
    """(time, event, trace text, frames innermost first) of the thread ``tid``, in time order; the thread's own
    ``PERF_RECORD_SWITCH IN``/``OUT`` records (``--switch-events``) come as events of those names."""
    proc = subprocess.Popen(["perf", "script", "-i", str(data), "--tid", str(tid), "--show-switch-events", "-F",
                             "comm,tid,time,event,trace,ip,sym,dso"], stdout=subprocess.PIPE, text=True,
                            errors="replace", stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    current: tuple[float, str, str, list[tuple[str, str]]] | None = None
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        if not line.strip():
            continue
        if not line.startswith(("\t", " " * 8)):  # a header: the previous event is complete
            if current is not None:
                yield current
            m = HEADER.match(line)
            current = (float(m["time"]), m["event"].rstrip(":"), m["rest"], []) if m else None
            continue
        parts = line.strip().split(" ", 1)
        if current is not None and len(parts) == 2:
            sym, _, dso = parts[1].rpartition(" (")
            current[3].append((re.sub(r"\+0x[0-9a-f]+$", "", sym), dso.rstrip(")")))
    if current is not None:
        yield current
    proc.wait()


def process_samples(data: Path, tid: int) -> Iterator[tuple[float, str, str, list[tuple[str, str]], int]]:
    """The clock samples of every thread of the process whose main thread is ``tid`` (who else ran meanwhile)."""
    proc = subprocess.Popen(["perf", "script", "-i", str(data), "--pid", str(tid), "-F", "tid,time,event,ip,sym,dso"],
                            stdout=subprocess.PIPE, text=True, errors="replace", stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    current: tuple[float, str, str, list[tuple[str, str]], int] | None = None
    for line in proc.stdout:
        m = re.match(r"\s*(\d+)\s+(\d+\.\d+):\s+(?:\d+\s+)?([\w:-]+)", line)
        if m:
            if current is not None:
                yield current
            current = (float(m[2]), m[3].rstrip(":"), "", [], int(m[1]))
        elif current is not None and (frame := re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)):
            current[3].append((frame[1].split("+0x")[0], frame[2]))
    if current is not None:
        yield current
    proc.wait()


def where(frames: list[tuple[str, str]], depth: int) -> str:
    """The innermost ``depth`` frames that say something (no bare interpreter or libc frames), outermost last."""
    named = [s for s, dso in frames if s and s != "[unknown]"
             and (s.startswith("py::") or not any(x in dso for x in INTERPRETER))]
    return " < ".join(named[:depth]) or "(interpreter only)"


def sleep_reason(frames: list[tuple[str, str]]) -> str:
    """Why a thread went to sleep, from the kernel's half of its stack (always whole; user stacks need frame
    pointers that Qt's and the interpreter's builds may lack): the GIL and Qt's locks wait on a futex, Qt's
    event loop in poll."""
    kernel = [s for s, dso in frames if "kernel" in dso]
    for marker, reason in (("futex", "futex: the GIL or a lock (another thread of the app holds it)"),
                           ("poll", "poll: Qt's event loop waited for an event"),
                           ("nanosleep", "sleep"), ("pipe", "pipe"), ("vfs_write", "write"), ("vfs_read", "read")):
        if any(marker in s for s in kernel):
            return reason
    return where(frames, 3)


def analyse(data: Path, tid: int, windows: list[tuple[float, float]], freq: int, depth: int) -> dict[str, object]:
    on_cpu: Counter[str] = Counter()
    asleep: Counter[str] = Counter()
    runnable = 0.0
    late_total = sum(b - a for a, b in windows)
    switched_out: tuple[float, str] | None = None  # (time, reason) while off the CPU

    def window_overlap(a: float, b: float) -> float:
        return sum(max(0.0, min(b, y) - max(a, x)) for x, y in windows)

    reason = ""
    for t, event, rest, frames in events(data, tid):
        if event == "cpu-clock":
            if window_overlap(t - 1.0 / freq, t) > 0:
                on_cpu[where(frames, depth)] += 1
        elif event == "sched:sched_switch" and f"prev_pid={tid} " in rest:
            state = re.search(r"prev_state=(\S+)", rest)
            reason = "runnable" if state and state.group(1).startswith("R") else sleep_reason(frames)
        elif event == "PERF_RECORD_SWITCH OUT":
            # Not every switch has its tracepoint record; the switch record itself says preempted or not.
            switched_out = (t, "runnable" if "preempt" in rest else "" if reason == "runnable" else reason)
            reason = ""
        elif event == "PERF_RECORD_SWITCH IN" and switched_out is not None:
            since, why = switched_out
            off = window_overlap(since, t)
            if why == "runnable":
                runnable += off
            else:
                asleep[why or "asleep (no tracepoint record)"] += off
            switched_out = None
    others: Counter[int] = Counter()
    others_in: Counter[str] = Counter()
    for t, event, _rest, frames, other in process_samples(data, tid):
        if event == "cpu-clock" and other != tid and window_overlap(t - 1.0 / freq, t) > 0:
            others[other] += 1
            others_in[where(frames, depth)] += 1
    cpu_s = sum(on_cpu.values()) / freq
    return {"late_s": late_total, "on_cpu_s": cpu_s, "runnable_s": runnable, "asleep": asleep, "on_cpu": on_cpu,
            "others": others, "others_in": others_in}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--freq", type=int, default=2000, help="cpu-clock samples per second")
    parser.add_argument("--depth", type=int, default=6, help="frames shown per on-CPU stack")
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--keep", type=Path, help="keep perf.data in this folder")
    parser.add_argument("--dwarf", action="store_true",
                        help="unwind with DWARF (whole stacks through Qt and the interpreter, which have no frame "
                             "pointers; about 8 KiB per sample, so use --freq 500 or so)")
    args = parser.parse_args(argv)
    if shutil.which("perf") is None:
        sys.exit("perf is not installed (Debian: apt-get install linux-perf)")
    folder = Path(tempfile.mkdtemp(prefix="stall-perf-")) if args.keep is None else args.keep
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "perf.data"
    try:
        result = record(args, data)
        (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")
        windows = [tuple(w) for w in result["late"]]  # type: ignore[union-attr]
        print(f"{args.vms} VMs, load {result['load']:.1f}: longest stall {result['worst']:.1f} ms, "
              f"{len(windows)} beats late by > 20 ms")
        if not windows:
            return 0
        a = analyse(data, int(result["pid"]), windows, args.freq, args.depth)  # type: ignore[arg-type]
        late = a["late_s"] or 1e-9
        print(f"time late {late * 1000:.0f} ms: on CPU {a['on_cpu_s'] * 1000:.0f} ms "
              f"({a['on_cpu_s'] / late:.0%}), runnable but not running {a['runnable_s'] * 1000:.0f} ms "
              f"({a['runnable_s'] / late:.0%}), asleep:")
        for reason, s in a["asleep"].most_common():  # type: ignore[union-attr]
            print(f"  {s * 1000:7.0f} ms  {reason}")
        names = {int(k): v for k, v in result.get("threads", {}).items()}  # type: ignore[union-attr]
        print("other threads of the app on CPU meanwhile (they may hold the GIL):")
        for other, n in a["others"].most_common(8):  # type: ignore[union-attr]
            name = names.get(other, "(gone by then, or not a Python thread)")
            print(f"  {n * 1000 / args.freq:7.1f} ms  {other} {name}")
        print("what they ran, innermost frames first:")
        for stack, n in a["others_in"].most_common(args.top):  # type: ignore[union-attr]
            print(f"  {n * 1000 / args.freq:7.1f} ms  {stack}")
        print(f"the GUI thread on CPU, innermost frames first ({args.freq} samples/s):")
        for stack, n in a["on_cpu"].most_common(args.top):  # type: ignore[union-attr]
            print(f"  {n * 1000 / args.freq:7.1f} ms  {stack}")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
