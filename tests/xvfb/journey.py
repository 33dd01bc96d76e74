"""The real app under a real X server, driven from outside like a person at the keyboard (issue 15's proof).

    python tests/xvfb/journey.py OUTDIR [--size 1280x720] [--size 1920x1080] [--lang en] [--lang ja]

For each screen size and language: a fresh Xvfb of that size (no window manager, as a kiosk), the app started
the way a user does (``python -m xtract_gui --demo``, the language from ``LANG``), then ``xdotool`` types what
a person would — Connect on the source page (Enter, as the prompt promises), Alt+N from page to page, Alt+S to
start, in the monitor a click on the first row, Ctrl+A, Alt+U for "Cut over…" and Alt+C in its dialog — while
the job states are read with ``xtract-gui status --json`` from another process, as a consultant's second shell
would.  A screenshot of the whole X screen is saved at each stage (``<size>-<lang>-<n>-<stage>.png``), taken by
a separate Qt process on that display.

Needs Debian's ``xvfb`` and ``xdotool`` (tests/run.sh installs them).  Exit 0 when every run ended with every VM
cut over; the PNGs are for a person to look at.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRAB = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(["grab"])
ok = app.primaryScreen().grabWindow(0).save(sys.argv[1])
sys.exit(0 if ok else 1)
"""
LOCALES = {"en": "C.UTF-8", "ja": "ja_JP.UTF-8"}


@contextmanager
def xvfb(size: str) -> Iterator[str]:
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-nolisten", "tcp", "-screen", "0", f"{size}x24"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class Run:
    """One app on one display: keys, clicks, screenshots, and the jobs as ``status --json`` reports them."""

    def __init__(self, display: str, home: Path, out: Path, prefix: str, lang: str) -> None:
        self.display, self.home, self.out, self.prefix = display, home, out, prefix
        self.env = {**os.environ, "DISPLAY": display, "XTRACT_GUI_HOME": str(home), "QT_QPA_PLATFORM": "xcb",
                    "LANG": LOCALES[lang], "LANGUAGE": lang, "LC_ALL": LOCALES[lang], "PYTHONPATH": str(ROOT)}
        self.shots: list[Path] = []
        self.app: subprocess.Popen[str] | None = None

    def start(self, sync_seconds: float) -> None:
        self.app = subprocess.Popen([sys.executable, "-m", "xtract_gui", "--sync-seconds", str(sync_seconds),
                                     "--demo"], env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=30)
        return done.stdout.strip()

    def window(self, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.app is not None and self.app.poll() is not None:
                raise RuntimeError(f"the app ended ({self.app.returncode}): {self.app.stdout.read()[-3000:]}")
            found = self.xdotool("search", "--onlyvisible", "--name", "xtract-gui").split()  # not Qt's 1×1 leader
            if found:
                return found[0]
            time.sleep(0.5)
        raise TimeoutError("no xtract-gui window")

    def key(self, *keys: str, pause: float = 0.6) -> None:
        for k in keys:
            self.xdotool("key", "--clearmodifiers", k)
            time.sleep(pause)

    def click(self, window: str, x: int, y: int) -> None:
        """A click at (x, y) inside the window, wherever the window sits on the screen."""
        shell = dict(line.split("=", 1) for line in self.xdotool("getwindowgeometry", "--shell", window).splitlines()
                     if "=" in line)
        self.xdotool("mousemove", str(int(shell.get("X", 0)) + x), str(int(shell.get("Y", 0)) + y), "click", "1")
        time.sleep(0.5)

    def shot(self, name: str) -> Path:
        path = self.out / f"{self.prefix}-{len(self.shots) + 1}-{name}.png"
        subprocess.run([sys.executable, "-c", GRAB, str(path)], env=self.env, check=True, timeout=60)
        self.shots.append(path)
        return path

    def jobs(self) -> list[dict[str, object]]:
        done = subprocess.run([sys.executable, "-m", "xtract_gui", "status", "--json"], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        try:
            return list(json.loads(done.stdout or "[]"))
        except ValueError:
            return []

    def until(self, check: Callable[[list[dict[str, object]]], bool], what: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while not check(self.jobs()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.prefix}: {what} did not happen in {timeout} s: {self.jobs()}")
            time.sleep(2)

    def stop(self) -> None:
        if self.app is None:
            return
        if self.app.poll() is None:
            self.key("ctrl+q")
        try:
            self.app.communicate(timeout=30)  # also closes its output pipe
        except subprocess.TimeoutExpired:
            self.app.terminate()
            self.app.communicate(timeout=30)


def journey(display: str, out: Path, size: str, lang: str, *, sync_seconds: float = 2.0) -> list[Path]:
    """The demo from the first page to every VM cut over; returns the screenshots."""
    with tempfile.TemporaryDirectory(prefix="xtract-xvfb-") as tmp:
        run = Run(display, Path(tmp), out, f"{size}-{lang}", lang)
        run.start(sync_seconds)
        try:
            win = run.window()
            time.sleep(4)  # the lab starts and pre-fills the page
            run.shot("source")
            # Without a window manager a window gets the keyboard when it is clicked, as a person would.
            run.click(win, 700, 60)
            run.key("alt+c", pause=4)  # Connect (the lab's source is a folder: no certificate to trust)
            run.shot("source-connected")
            run.key("alt+n", "alt+c", pause=3)  # the target page, Connect
            run.shot("target")
            run.key("alt+n", pause=2)
            run.shot("vms")
            run.key("alt+n", pause=2)
            run.shot("guests")
            run.key("alt+n", pause=2)
            run.shot("network")
            run.key("alt+n", pause=2)
            run.shot("summary")
            run.key("alt+s", pause=2)  # Start
            run.until(lambda jobs: bool(jobs) and all(j.get("ready_for_cutover") for j in jobs),
                      "every VM ready for cutover")
            run.shot("monitor-ready")
            run.click(win, 60, 112)  # the first row
            run.key("ctrl+a", "alt+u", pause=1.5)  # all rows, "Cut over…"
            run.shot("cutover-dialog")
            run.key("alt+c")  # the dialog's "Cut over"
            run.until(lambda jobs: bool(jobs) and all(str(j.get("state", "")).startswith("done") for j in jobs),
                      "every VM cut over")
            time.sleep(2)
            run.shot("monitor-done")
        finally:
            run.stop()
        return run.shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--size", action="append", help="WxH (default: 1280x720 and 1920x1080)")
    parser.add_argument("--lang", action="append", choices=sorted(LOCALES), help="default: en and ja")
    parser.add_argument("--sync-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    missing = [tool for tool in ("Xvfb", "xdotool") if not shutil.which(tool)]
    if missing:
        print(f"journey: {', '.join(missing)} missing (apt-get install xvfb xdotool)", file=sys.stderr)
        return 2
    args.outdir.mkdir(parents=True, exist_ok=True)
    for size in args.size or ["1280x720", "1920x1080"]:
        for lang in args.lang or ["en", "ja"]:
            with xvfb(size) as display:
                for shot in journey(display, args.outdir, size, lang, sync_seconds=args.sync_seconds):
                    print(shot, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
