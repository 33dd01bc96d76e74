"""Disk transfer benchmark (on demand, prints a table): ``python3 benchmarks/transfer.py [--sizes 4,64] [--https]``.

For each size a sparse source disk (~10 % allocated, random data, on local disk as a sparse file) is
served with Range by govmomi's simulator (``/folder`` on its datastore, as vCenter serves a flat extent;
HTTP, or HTTPS with ``--https`` as a real vCenter) — or by a small local Range server when the simulator
cannot be built.  Each copy runs in its own child process so that peak RSS and CPU are per case:

* ``seed → file``   the allocated extents into a sparse local raw file (the warm path's shape), with and
  without read-back verification, and once under a bandwidth limit (one ``TokenBucket``, as a plan's);
* ``delta → file``  ~1 % of the disk rewritten at the source, the changed extents copied on top;
* ``seed → qcow2``  the allocated extents streamed as qcow2 into an HTTP upload: the lab Prism
  simulator's v0.8 image upload (known Content-Length), and a null sink that discards.

Three ceilings, each curl doing the same job with the same ranges and parallelism (best of three):
``curl → /dev/null`` fetches only (the issue's loopback ceiling, "vs curl"); ``curl → files`` fetches
and stores each range in a file next to the target ("vs store", for the file cases); ``curl | curl``
fetches into a pipe that a second curl uploads to the null sink ("vs store", for the image cases).
Columns: MB/s of allocated (or changed) data, the two ratios, bytes on the wire / allocated bytes
(source HTTP bodies + headers for the file cases, image bytes for the qcow2 cases), peak RSS of the
copying process, CPU seconds per GiB copied; then the issue's targets, each with its figure and verdict.
Everything is removed afterwards (``--keep`` to keep).  The copy reads through the product's reader
(``source/reader.py``), so its cost is measured too.

Quiet box (2026-12-03 21:08-21:38 UTC, nothing else running; the load is the benchmark's own; 64 GiB only):

    64 GiB, 5.6 GiB allocated        HTTP run 1 / run 2 (best of 2)         HTTPS (best of 1)
    curl → files (store ceiling)      477-503 / 356-447 MB/s                 270-272 MB/s
    seed → file                       403 (0.80) / 286 (0.80)  NOT met       264 (0.98)  met
    seed → file, limit above its rate 405 (0.81) / 419 (1.18)                (limit 199: 0.994 of it)
    verify, extra CPU s/GiB           +0.94 / +0.89  met                     +1.14  NOT met
    4 VMs, 1 / 2 workers (verify)     337 / 584, 337 / 419 MB/s              238 / 398 MB/s
    RSS at 4 VMs                      224 / 225 MB                           306 MB
    wire/allocated seed, delta        1.0020, 1.0093                         1.0020, 1.0093

The one-disk HTTP seed swings by half from case to case (403 vs 286 MB/s for the same copy in two runs; 419 in
the throttled case, whose limit was above its rate): most of the run's CPU is kernel time (sys 5.5-9 min of
5-8.5 min wall: tmpfs writes and loopback), and CPU s/GiB is about twice the loaded morning's.  Not separated.

Results (2026-12-03, 14:56-15:23 UTC, 2 vCPUs SHARED: another worktree's full test suite and QEMU boot tests
ran all along; 1-minute load 4-8 during the 4 GiB disks, 8-19 during the 64 GiB ones; HTTP ``--repeat 2``,
HTTPS ``--repeat 1``; copy workers, 8 threads each; targets in /dev/shm; "curl" = ratio to the fetch ceiling,
"store" = to the store or relay ceiling measured in the same run, CPU = CPU s/GiB of engine + workers):

    64 GiB, 5.6 GiB allocated          HTTP: MB/s curl store CPU/GiB RSS   HTTPS: MB/s curl store CPU/GiB RSS
    curl → /dev/null (fetch ceiling)          629 1.00     -       -   -           330 1.00     -       -   -
    curl → files (store ceiling)              421 0.67  1.00       -   -           245 0.74  1.00       -   -
    curl → files (again, just before)         421 0.67  1.00       -   -           223 0.68  1.00       -   -
    curl | curl → null sink (relay)           483 0.77  1.00       -   -           237 0.72  1.00       -   -
    seed → file                               413 0.66  0.98    1.78 110           206 0.62  0.92    2.91 127
    seed → file (verify)                      258 0.41  0.61    2.69 118           237 0.72  1.06    2.77 142
    4 VMs, 1 worker (verify)                  295 0.47  0.70    2.90 172           234 0.71  1.05    3.06 252
    4 VMs, 2 workers (verify)                 405 0.64  0.96    2.29 221           186 0.56  0.83    3.48 311
    seed → qcow2 → null sink                  399 0.63  0.83    1.99  81           199 0.60  0.84    2.71  98
    seed → qcow2 → null sink (verify)         374 0.59  0.77    1.89  79           176 0.53  0.74    2.72  95
    seed → qcow2 → lab Prism (verify)         194 0.31     -    2.10  79           162 0.49     -    2.73  94
    delta → file, 702 MiB                     192 0.40  0.50    2.97 107           134 0.56  0.74    4.41 120

    4 GiB, 359 MiB allocated (each case under 2 s, so ±0.3 from run to run at this load)
    curl → files (again, just before)         963    -  1.00       -   -           219    -  1.00       -   -
    seed → file                               775 0.48  0.81    1.73 102           299 0.78  1.37    2.16 117
    seed → file (verify)                      528 0.33  0.55    2.58 111           186 0.49  0.85    3.28 135
    4 VMs, 1 worker / 2 workers (verify)  545 / 744  0.57 / 0.77   168 / 209    179 / 285  0.82 / 1.30  242 / 289

Targets (issue 17), with their verdicts and how much they are worth at this load:
* seed → file (verify off) ≥ 0.9 of ``curl → files`` at 64 GiB: MET over HTTP (0.98) and HTTPS (0.92); before the
  workers, quiet box: 0.86 / 0.59.  At 4 GiB 0.81 (HTTP) and 1.37 (HTTPS): runs under 2 s, noise.  Caveat: at
  load 8-19 the ratios also reward having more runnable threads (engine + worker + 8 copy threads vs one curl
  process) under the fair scheduler; the ceilings themselves fell to 0.4 (HTTP) / 0.35 (HTTPS) of the quiet-box
  figures of 2026-11-26.  Worth repeating on a quiet box before the issue is closed on it.
* Verification costs ≤ 1 CPU s/GiB more: MET over HTTP, +0.91 s/GiB at 64 GiB, +0.86 at 4 GiB (was +1.56 with
  SHA-256 read-back, in-process).  The HTTPS figures do not measure it: at 64 GiB the verified copy came out
  cheaper than the unverified one (-0.15), at 4 GiB +1.12; CPU per GiB itself swings ±0.5 with the load
  (context switches, cache), and these HTTPS cases ran once each.
* 4 VMs with 1 and 2 workers side by side: HTTP 295 / 405 MB/s (2 workers 1.37x, 0.70 / 0.96 of the store
  ceiling), 4 GiB 545 / 744.  HTTPS 234 / 186 at 64 GiB, 179 / 285 at 4 GiB: at load ~10 on 2 cores there is no
  idle core for a second worker to use, so which one wins is the load of that minute.
* wire/allocated: MET, 1.0019 (64 GiB) / 1.0032 (4 GiB) seed, 1.0110 / 1.0161 delta, both transports.
* RSS of the engine process + all workers at 4 VMs < 400 MB and the same at 4 and 64 GiB: MET, HTTP 209 / 221 MB,
  HTTPS 289 / 311 MB (1 MiB TLS socket reads per copy thread).  One disk, one worker: 102-142 MB.
* Throttle within 5 % of the limit: met at 4 GiB (0.986 HTTP, 0.981 HTTPS, 9 s) but NOT at 64 GiB (0.946 of
  157 MB/s over 40 s HTTP, 0.941 of 83 MB/s over 77 s HTTPS; 0.995 in-process on the quiet box of 2026-11-26).
  The limit is a cap, so a copy starved of CPU at times only falls under it; which share is the load's and
  which the per-chunk token round trip to the engine (``transfer/workers/child.py`` ``_Tokens.acquire``) was
  not separated here: rerun on a quiet box.
* qcow2 → null sink ≥ 0.9 of ``curl | curl`` (printed by the script, not one of issue 17's targets): not met,
  0.83 / 0.77 (verify) HTTP, 0.84 / 0.74 HTTPS.  These image cases still copy in the benchmark's own process
  (``transfer_child.py``), not through the workers.  The lab Prism row is bound by the simulator's own upload
  handling (194 MB/s).
Where the CPU goes: HTTP seed → file costs 1.78 CPU s/GiB (engine + worker; 1.34 in-process on the quiet box of
2026-11-26, before the pipe and the second process, so partly the load), HTTPS 2.91 (2.74 before): the memory-BIO
reader does not make the four-stream HTTPS copy cheaper (``https_read.py``: 1.37-1.42 vs 1.42-1.43 CPU s/GiB,
one 16 KiB record per ``SSLObject.read`` and a GIL hand-over each), so the HTTPS gain over 0.59 comes from the
byte path having its own process and core, not from a cheaper TLS read.
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from transfer_child import child
from transfer_peers import (
    GiB,
    MiB,
    Sink,
    Source,
    curl_fetch,
    curl_relay,
    make_delta,
    make_source,
)

from xtract_gui.domain.extents import Extent, total_bytes


def best_of(job: dict[str, Any], repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` runs (as curl's best of three: other load only ever slows a run down);
    peak RSS is the worst seen."""
    runs = [run_child(job) for _ in range(max(1, repeat))]
    fastest = min(runs, key=lambda r: r["seconds"])
    return {**fastest, "rss_mb": max(r["rss_mb"] for r in runs)}


def run_child(job: dict[str, Any]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child"], input=json.dumps(job), capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"child failed:\n{out.stderr[-3000:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


class Table:
    """Rows of (disk, case, data bytes, result, fetch ceiling s, store ceiling s or None)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, int, dict[str, Any], float, float | None]] = []

    def add(self, disk: str, case: str, data: int, r: dict[str, Any], fetch: float, store: float | None = None) -> None:
        self.rows.append((disk, case, data, r, fetch, store))

    def print(self) -> None:
        head = (f"{'disk':<7} {'case':<36} {'data MiB':>9} {'s':>6} {'MB/s':>6} {'vs curl':>7} {'vs store':>8} "
                f"{'wire/data':>9} {'RSS MB':>6} {'CPU s/GiB':>9}")
        print(head)
        print("-" * len(head))
        for disk, case, data, r, fetch, store in self.rows:
            rss = f"{r['rss_mb']:.0f}" if "rss_mb" in r else "-"
            cpu = f"{r['cpu'] / (data / GiB):.2f}" if "cpu" in r else "-"
            vs_store = f"{store / r['seconds']:.2f}" if store else "-"
            print(f"{disk:<7} {case:<36} {data / MiB:>9.0f} {r['seconds']:>6.1f} {data / r['seconds'] / 1e6:>6.0f} "
                  f"{fetch / r['seconds']:>7.2f} {vs_store:>8} {r['wire'] / data:>9.4f} {rss:>6} {cpu:>9}")


def print_targets(table: Table, throttle: list[tuple[str, float]]) -> None:
    """The issue's targets, each with the figure it was judged on (issue 17: against the store ceiling)."""
    rows: list[tuple[str, str, bool | None]] = []
    rss: dict[str, float] = {}
    cpu: dict[tuple[str, str], float] = {}
    multi: dict[str, dict[int, float]] = {}
    for disk, case, data, r, _fetch, store in table.rows:
        wire = r["wire"] / data
        if "cpu" in r:
            cpu[(disk, case)] = r["cpu"] / (data / GiB)
        if case == "seed → file" and store:
            rows.append((f"{disk} {case} ≥ 0.9 of curl → files", f"{store / r['seconds']:.2f}",
                         store / r["seconds"] >= 0.9))
        if case.startswith("seed → qcow2 → null sink") and store:
            rows.append((f"{disk} {case} ≥ 0.9 of curl | curl", f"{store / r['seconds']:.2f}",
                         store / r["seconds"] >= 0.9))
        if case == "seed → file":
            rows.append((f"{disk} seed wire/allocated ≤ 1.02", f"{wire:.4f}", wire <= 1.02))
        if case == "delta → file":
            rows.append((f"{disk} delta wire/changed ≤ 1.05", f"{wire:.4f}", wire <= 1.05))
        if case.startswith("4 VMs"):
            rss[disk] = max(rss.get(disk, 0.0), r["rss_mb"])
            multi.setdefault(disk, {})[int(case.split(",")[1].split()[0])] = data / r["seconds"] / 1e6
    for disk in {d for d, _ in cpu}:
        off, on = cpu.get((disk, "seed → file")), cpu.get((disk, "seed → file (verify)"))
        if off is not None and on is not None:
            rows.append((f"{disk} verification costs ≤ 1 CPU s/GiB more", f"{on - off:+.2f} s/GiB", on - off <= 1.0))
    for disk, rates in multi.items():
        if 1 in rates and 2 in rates:
            rows.append((f"{disk} 4 VMs: aggregate MB/s with 1 worker / 2 workers",
                         f"{rates[1]:.0f} / {rates[2]:.0f}", None))
    if rss:
        worst, best = max(rss.values()), min(rss.values())
        rows.append(("4 VMs: peak RSS, engine process + workers < 400 MB", f"{worst:.0f} MB", worst < 400))
        rows.append(("4 VMs: that peak the same for every size (within 25 %)",
                     " / ".join(f"{d}: {v:.0f}" for d, v in rss.items()), worst <= best * 1.25))
    for disk, share in throttle:
        rows.append((f"{disk} throttle: rate within 5 % of the limit (full bucket counted)", f"{share:.3f}",
                     abs(share - 1) <= 0.05))
    width = max(len(r[0]) for r in rows)
    print("\ntargets:")
    for name, figure, met in rows:
        verdict = "(side by side)" if met is None else ("met" if met else "NOT met")
        print(f"  {name:<{width}}  {figure:>16}  {verdict}")


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="4,64", help="disk sizes in GiB, comma separated")
    ap.add_argument("--allocated", type=float, default=0.10)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--chunk-mib", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs per case (curl: always best of 3)")
    ap.add_argument("--throttle-seconds", type=float, default=10,
                    help="the throttled case's limit is the seed's size over this many seconds (0: no such case)")
    ap.add_argument("--https", action="store_true", help="the simulator serves HTTPS (as vCenter does)")
    ap.add_argument("--in-process", action="store_true",
                    help="also copy seed → file in the engine's process, as before the copy workers")
    ap.add_argument("--worker-threads", type=int, default=8, help="copy threads per worker (the app's Tuning)")
    ap.add_argument("--no-vcsim", action="store_true", help="serve the source with the local Range server")
    ap.add_argument("--no-prism", action="store_true", help="upload to the local sink, not the lab Prism")
    ap.add_argument("--workdir", type=Path, default=None, help="source disks (default: a new dir in /var/tmp)")
    ap.add_argument("--target-dir", type=Path, default=Path("/dev/shm") if Path("/dev/shm").is_dir() else None,
                    help="targets and the lab Prism's containers (default /dev/shm: measure the copy, "
                         "not this machine's disk)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(sys.stdin.read()))))
        return

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="xtract-bench-", dir="/var/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    targets = Path(tempfile.mkdtemp(prefix="xtract-bench-", dir=args.target_dir))
    source = Source(workdir, use_vcsim=not args.no_vcsim, https=args.https)
    sink = Sink(targets, not args.no_prism)
    rng = random.Random(42)
    pool = os.urandom(256 * MiB)
    chunk = args.chunk_mib * MiB
    table = Table()
    throttle_lines = []
    throttle_shares: list[tuple[str, float]] = []
    try:
        for gib in (int(s) for s in args.sizes.split(",")):
            disk, capacity = f"{gib} GiB", gib * GiB
            src = source.folder / "disk-flat.vmdk"
            extents = make_source(src, capacity, args.allocated, rng, pool)
            alloc = total_bytes(extents)
            base = {"url": source.url, "cookies": source.cookies, "fingerprint": source.fingerprint,
                    "capacity": capacity, "chunk": chunk, "streams": args.streams, "verify": True,
                    "threads": args.worker_threads}

            def curl(ext: list[Extent], store: bool) -> float:
                return curl_fetch(source.url, source.cookies, ext, chunk, args.streams, workdir,
                                  targets / "curl" if store else None)

            fetch_s, store_s = curl(extents, False), curl(extents, True)
            table.add(disk, "curl → /dev/null (fetch ceiling)", alloc, {"seconds": fetch_s, "wire": alloc}, fetch_s)
            table.add(disk, "curl → files (store ceiling)", alloc, {"seconds": store_s, "wire": alloc}, fetch_s,
                      store_s)
            relay_s = curl_relay(source.url, source.cookies, extents, chunk, args.streams, workdir, sink.url)
            table.add(disk, "curl | curl → null sink (relay ceil.)", alloc, {"seconds": relay_s, "wire": alloc},
                      fetch_s, relay_s)
            ext_json = [(e.offset, e.length) for e in extents]
            # Images first, each removed at once, so the targets never hold two copies of the data.
            for prism, verify in ([(True, True)] if sink.prism else []) + [(False, False), (False, True)]:
                up = sink.new_upload(f"bench-{gib}", prism=prism)
                job = {**base, "target": "qcow2", "upload": up, "extents": ext_json, "verify": verify}
                r = run_child(job) if prism else best_of(job, args.repeat)  # one image per Prism upload
                table.add(disk, f"seed → qcow2 → {'lab Prism' if prism else 'null sink'}"
                                f"{' (verify)' if verify else ''}", alloc, r, fetch_s, None if prism else relay_s)
                if prism:
                    image = sink.image_path(up["image"])
                    if gib <= 8:
                        cmp = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "qcow2", str(src),
                                              str(image)], capture_output=True, text=True, check=False)
                        print(f"qemu-img compare source vs uploaded image ({gib} GiB): {cmp.stdout.strip()}")
                    image.unlink(missing_ok=True)
            target = targets / "target.raw"
            seed = {**base, "target": "file", "path": str(target), "fresh": True, "extents": ext_json}
            # The store ceiling again, right before the cases judged against it: on a machine shared with other
            # work the load changes within minutes, and a ceiling from a quieter moment would judge the load.
            store_s = curl(extents, True)
            table.add(disk, "curl → files (again, just before)", alloc, {"seconds": store_s, "wire": alloc},
                      fetch_s, store_s)
            for verify in (False, True):
                r = best_of({**seed, "verify": verify}, args.repeat)
                table.add(disk, f"seed → file{' (verify)' if verify else ''}", alloc, r, fetch_s, store_s)
            if args.in_process:
                r = best_of({**seed, "verify": False, "in_process": True}, args.repeat)
                table.add(disk, "seed → file, no worker (before)", alloc, r, fetch_s, store_s)
            for workers in (1, 2):  # 4 VMs at once: each a quarter of the extents into its own file
                r = best_of({**seed, "verify": True, "vms": 4, "workers": workers}, args.repeat)
                table.add(disk, f"4 VMs, {workers} worker{'s' if workers > 1 else ''} (verify)", alloc, r, fetch_s,
                          store_s)
            if args.throttle_seconds:
                # Long enough that the bucket's burst (one second's worth) is a small part of the run, and
                # well below what the copy can do here, so that the limit and not the machine sets the pace.
                limit = min(alloc / args.throttle_seconds, 0.25 * alloc / fetch_s)
                r = run_child({**seed, "verify": False, "rate": limit})
                table.add(disk, f"seed → file, limit {limit / 1e6:.0f} MB/s", alloc, r, fetch_s, store_s)
                got = alloc / r["seconds"]
                # The bucket starts full (one second's worth), so the exact expectation is (bytes - burst) / rate.
                expected = alloc / max(0.001, (alloc - limit) / limit)
                throttle_lines.append(f"{disk}: limit {limit / 1e6:.1f} MB/s, measured {got / 1e6:.1f} MB/s over "
                                      f"{r['seconds']:.1f} s = {got / limit:.3f} of the limit "
                                      f"({got / expected:.3f} of the {expected / 1e6:.1f} MB/s a full bucket allows)")
                throttle_shares.append((disk, got / expected))
            changed = make_delta(src, capacity, args.changed, rng, pool)
            changed_bytes = total_bytes(changed)
            fetch_d, store_d = curl(changed, False), curl(changed, True)
            table.add(disk, "curl delta → /dev/null", changed_bytes, {"seconds": fetch_d, "wire": changed_bytes},
                      fetch_d)
            table.add(disk, "curl delta → files", changed_bytes, {"seconds": store_d, "wire": changed_bytes},
                      fetch_d, store_d)
            for verify in (False, True):
                r = best_of({**base, "verify": verify, "target": "file", "path": str(target), "fresh": False,
                             "extents": [(e.offset, e.length) for e in changed]}, args.repeat)
                table.add(disk, f"delta → file{' (verify)' if verify else ''}", changed_bytes, r, fetch_d, store_d)
            target.unlink(missing_ok=True)
            if not args.keep:
                src.unlink(missing_ok=True)
    finally:
        sink.stop()
        source.stop()
        shutil.rmtree(targets, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nsource: {source.kind} on loopback; {args.streams} streams, {args.chunk_mib} MiB chunks; targets in "
          f"{args.target_dir or 'the work dir'}; best of {args.repeat}; {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f} (1 min) at the end\n")
    table.print()
    if throttle_lines:
        print("\nthrottle (one TokenBucket, as a plan's limit):\n  " + "\n  ".join(throttle_lines))
    print_targets(table, throttle_shares)


if __name__ == "__main__":
    main()
