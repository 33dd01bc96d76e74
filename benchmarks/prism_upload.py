"""Stream a multi-GiB sparse image into the lab Prism through the real adapter; print rate and memory.

    python3 benchmarks/prism_upload.py [--size-gib 4] [--mode pe|pc|both] [--tls] [--chunk-mib 1]

The image is generated on the fly (one data chunk in 16, zeros elsewhere) and never held in memory;
the table shows the process's resident memory before, during (peak sampled) and after each upload, so a
flat column means the upload streams.  The simulator runs in the same process (its side is streamed too).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xtract_gui.lab.prism import PrismSimulator
from xtract_gui.target import connect_prism

MIB = 2**20


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def sparse_image(size: int, chunk: int) -> Iterator[bytes]:
    data = os.urandom(chunk)
    zeros = bytes(chunk)
    for i, offset in enumerate(range(0, size, chunk)):
        piece = data if i % 16 == 0 else zeros
        yield piece[:min(chunk, size - offset)]


class PeakSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, rss_mib())

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


def run(mode: str, size: int, chunk: int, tls: bool, workdir: Path) -> tuple[str, float, float, float, float]:
    sim = PrismSimulator(workdir / mode, mode=mode, tls=tls, password="bench-pw").start()
    try:
        target = connect_prism(sim.host, "admin", "bench-pw", port=sim.port, protocol="https" if tls else "http",
                               expected_fingerprint=sim.fingerprint)
        container = next(iter(sim.state.data["containers"]))
        before = rss_mib()
        sampler = PeakSampler()
        sampler.start()
        start = time.monotonic()
        image = target.upload_image("bench", container, sparse_image(size, chunk), size=size)
        elapsed = time.monotonic() - start
        peak = sampler.stop()
        after = rss_mib()
        stored = sim.state_dir / sim.image_record(image)["path"]
        assert stored.stat().st_size == size, "the stored image has the wrong size"
        target.delete_image(image)
        target.close()
        return mode + (" https" if tls else " http"), size / MIB / elapsed, before, peak, after
    finally:
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gib", type=float, default=4.0)
    parser.add_argument("--mode", choices=["pe", "pc", "both"], default="both")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a pinned self-signed certificate")
    parser.add_argument("--chunk-mib", type=int, default=1)
    args = parser.parse_args()
    size = int(args.size_gib * 2**30)
    modes = ["pe", "pc"] if args.mode == "both" else [args.mode]
    print(f"image: {size / 2**30:.1f} GiB sparse (1 chunk in 16 is data), chunks of {args.chunk_mib} MiB")
    print(f"{'surface':<10} {'MiB/s':>9} {'RSS before':>11} {'RSS peak':>9} {'RSS after':>10}")
    with tempfile.TemporaryDirectory(prefix="prism-bench-") as tmp:
        for mode in modes:
            name, rate, before, peak, after = run(mode, size, args.chunk_mib * MIB, args.tls, Path(tmp))
            print(f"{name:<10} {rate:>9.0f} {before:>10.0f}M {peak:>8.0f}M {after:>9.0f}M")


if __name__ == "__main__":
    main()
