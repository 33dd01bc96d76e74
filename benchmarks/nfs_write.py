"""Throughput and memory of the NFS disk writer against nfs-ganesha, beside a local file (the ceiling here).

    sudo python3 benchmarks/nfs_write.py [--allocated-mib 512] [--sizes-gib 2,32] [--threads 4] [--chunk-mib 4]

CPU s (client + server) is the cost that other load on the machine cannot distort.

For each disk size, the same extents (``--allocated-mib`` in 4 MiB runs spread over the disk) are written
by ``--threads`` streams of ``--chunk-mib`` chunks, then made durable (NFS COMMIT / fsync).  Each case runs in
a child process so that its peak RSS is its own.  Goal: NFS >= 0.7 of the local rate; RSS flat in disk size.

Results (2026-11-26, 2 vCPUs shared with other engineers' test runs; defaults; best of 5):

    disk    before: vs local  RSS MiB  CPU s     after: vs local  RSS MiB  CPU s
    2 GiB              1.00    112.5   0.89              0.76    112.5   0.81
    32 GiB             0.55    112.3   0.90              0.65    112.5   0.80

(load 4.2 before, 2.3 after; the local ceiling itself moved between 800 and 1380 MiB/s from run to run,
so the ratio swings by ±0.2.)  Memory is flat in disk size.  The writer change (no copy of a bytearray
chunk, which the datastore reader now returns) does not show here: this script writes ``bytes``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xtract_gui.domain.extents import Extent, normalize, split, total_bytes  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB


class LocalFileWriter:
    """The ceiling: pwrite into a sparse local file, fsync to flush."""

    sequential = False

    def __init__(self, path: Path, capacity: int) -> None:
        self.capacity = capacity
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        os.ftruncate(self._fd, capacity)

    def write(self, offset: int, data: bytes) -> None:
        os.pwrite(self._fd, data, offset)

    def flush(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        os.close(self._fd)


def extents_for(capacity: int, allocated: int, seed: int = 11) -> list[Extent]:
    run = 4 * MiB
    slots = random.Random(seed).sample(range(capacity // run), allocated // run)
    return normalize(Extent(s * run, run) for s in slots)


def worker(args: argparse.Namespace) -> None:
    capacity = args.capacity
    extents = extents_for(capacity, args.allocated)
    payload = memoryview(random.Random(5).randbytes(args.chunk))
    container = None
    if args.worker == "nfs":
        from xtract_gui.target.nfs import NfsContainer
        container = NfsContainer("127.0.0.1", args.export, nfs_port=args.nfs_port, mount_port=args.mount_port,
                                 connections=args.connections)
        writer = container.open_disk(args.path, capacity)
    else:
        writer = LocalFileWriter(Path(args.path), capacity)
    start = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        # Every chunk a new buffer, as a source read gives: what the writer keeps shows in its RSS.
        list(pool.map(lambda e: writer.write(e.offset, bytes(payload[:e.length])), split(extents, args.chunk)))
    writer.flush()
    seconds = time.perf_counter() - start
    if container is not None:
        writer.finish()
        container.remove(args.path)
        container.close()
    else:
        writer.close()
    print(json.dumps({"seconds": seconds, "bytes": total_bytes(extents)}))


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_case(kind: str, capacity: int, args: argparse.Namespace, extra: list[str],
             server_pid: int = 0) -> tuple[float, int, int, float]:
    cmd = [sys.executable, __file__, "--worker", kind, "--capacity", str(capacity), "--allocated",
           str(args.allocated_mib * MiB), "--threads", str(args.threads), "--chunk", str(args.chunk_mib * MiB),
           "--connections", str(args.connections), *extra]
    server_before = process_cpu(server_pid) if server_pid else 0.0
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed ({proc.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    # CPU of the whole case (client + server; includes the child's start-up): the cost that the machine's
    # other load cannot distort the way it distorts wall-clock rates.
    cpu = usage.ru_utime + usage.ru_stime + ((process_cpu(server_pid) - server_before) if server_pid else 0.0)
    return result["seconds"], result["bytes"], usage.ru_maxrss, cpu  # ru_maxrss: KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allocated-mib", type=int, default=512)
    parser.add_argument("--sizes-gib", default="2,32")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--chunk-mib", type=int, default=4)
    parser.add_argument("--connections", type=int, default=2, help="NFS TCP connections")
    parser.add_argument("--repeat", type=int, default=5, help="best of N runs per case")
    parser.add_argument("--worker", choices=["nfs", "local"], help=argparse.SUPPRESS)
    parser.add_argument("--capacity", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--allocated", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--chunk", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    parser.add_argument("--export", help=argparse.SUPPRESS)
    parser.add_argument("--nfs-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--mount-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return

    from tests.support.ganesha import start_ganesha, unavailable_reason
    reason = unavailable_reason()
    if reason:
        raise SystemExit(reason)
    base = Path(tempfile.mkdtemp(prefix="nfs-bench-", dir=os.environ.get("BENCH_DIR", "/var/tmp")))
    rows = []
    with start_ganesha(base / "export", workdir=base / "run") as g:
        server_pid = int(g.pidfile.read_text().split()[0])
        nfs_args = ["--export", g.export, "--nfs-port", str(g.nfs_port), "--mount-port", str(g.mount_port)]
        for size in (int(s) for s in args.sizes_gib.split(",")):
            capacity = size * GiB
            best: dict[str, tuple[float, int, int, float]] = {}
            # Local and NFS runs alternate, so that both meet whatever else the machine is doing.
            for _ in range(args.repeat):
                for kind in ("local", "nfs"):
                    target = ["--path", str(base / "local.raw")] if kind == "local" else ["--path", "disk.raw",
                                                                                        *nfs_args]
                    res = run_case(kind, capacity, args, target, server_pid if kind == "nfs" else 0)
                    old = best.get(kind)
                    best[kind] = res if old is None or res[0] < old[0] else old
                    best[kind] = (best[kind][0], best[kind][1], max(best[kind][2], res[2]),
                                  min(best[kind][3], res[3]))
                    (base / "local.raw").unlink(missing_ok=True)
            rows.extend((kind, size, *best[kind]) for kind in ("local", "nfs"))
    shutil.rmtree(base, ignore_errors=True)
    local_rate = {size: b / s for kind, size, s, b, _, _ in rows if kind == "local"}
    print(f"\nthreads={args.threads} chunk={args.chunk_mib} MiB allocated={args.allocated_mib} MiB "
          f"connections={args.connections}; best of {args.repeat} (peak RSS: worst); {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}\n")
    print(f"{'target':<7} {'disk GiB':>8} {'written MiB':>11} {'seconds':>8} {'MiB/s':>8} {'vs local':>8} "
          f"{'peak RSS MiB':>12} {'CPU s':>6}")
    for kind, size, seconds, nbytes, rss, cpu in rows:
        rate = nbytes / seconds
        print(f"{kind:<7} {size:>8} {nbytes / MiB:>11.0f} {seconds:>8.2f} {rate / MiB:>8.1f} "
              f"{rate / local_rate[size]:>8.2f} {rss / 1024:>12.1f} {cpu:>6.2f}")


if __name__ == "__main__":
    main()
