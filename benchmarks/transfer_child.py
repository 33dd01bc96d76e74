"""The copying side of ``benchmarks/transfer.py``: one case, run in a child process of its own (``--child``), so
that peak RSS and CPU are that case's.  File cases go through the product's copy workers (this process stands
for the engine); image cases copy in this process."""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from transfer_peers import Body, MiB, open_product_reader, request_overhead

from xtract_gui.domain.extents import Extent
from xtract_gui.engine.ports import WorkerDisk


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: the latter keeps the parent's size from before exec (fork + exec).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(job: dict[str, Any]) -> dict[str, Any]:
    if job["target"] == "file" and not job.get("in_process"):
        return child_in_workers(job)
    from xtract_gui.transfer import LocalFileWriter, copy_disk
    from xtract_gui.transfer.image_stream import ImageStreamWriter
    from xtract_gui.transfer.qcow2 import Qcow2Encoder

    extents = [Extent(o, n) for o, n in job["extents"]]
    reader = open_product_reader(job["url"], job["capacity"], job["cookies"], job["fingerprint"])
    if job["target"] == "file":  # the copy in this process, as before the workers (for comparison)
        writer = LocalFileWriter(job["path"], job["capacity"], fresh=job["fresh"])
        cpu0, t0 = _cpu(), time.monotonic()
        res = copy_disk(reader, writer, extents, chunk_size=job["chunk"], streams=job["streams"],
                        max_in_flight=job["streams"] * 2, verify=job["verify"])
        seconds = time.monotonic() - t0
        wire = res.copied_bytes + reader.requests * request_overhead(job["url"], job["cookies"])
        reader.close()
        return {"seconds": seconds, "bytes": res.total_bytes, "wire": wire, "rss_mb": _peak_rss_mb(),
                "cpu": _cpu() - cpu0, "verified": res.verified_bytes, "digest": ""}
    import requests

    enc = Qcow2Encoder(job["capacity"], extents)
    up = job["upload"]

    def upload(stream: Iterable[bytes]) -> str:
        r = requests.put(up["url"], data=Body(stream, enc.length or 0), timeout=600,
                         headers={"Content-Type": "application/octet-stream", **up["headers"]},
                         auth=tuple(up["auth"]) if up["auth"] else None)
        r.raise_for_status()
        return str(up.get("image", "sink"))

    writer = ImageStreamWriter(enc, upload)
    cpu0 = _cpu()
    t0 = time.monotonic()
    res = copy_disk(reader, writer, extents, chunk_size=job["chunk"], streams=job["streams"],
                    max_in_flight=job["streams"] * 2, verify=job["verify"])
    seconds = time.monotonic() - t0
    reader.close()
    return {"seconds": seconds, "bytes": res.total_bytes, "wire": writer.bytes_sent, "rss_mb": _peak_rss_mb(),
            "cpu": _cpu() - cpu0, "verified": res.verified_bytes, "digest": res.content_digest}


def child_in_workers(job: dict[str, Any]) -> dict[str, Any]:
    """The product's path: this process stands for the engine (pool, cursors, one bucket), the byte work runs
    in ``job["workers"]`` copy worker processes; ``job["vms"]`` disks at once, each a share of the extents into
    its own target file.  CPU and peak RSS are this process's plus its workers'."""
    import threading

    from xtract_gui.transfer.local import LocalWriterSpec
    from xtract_gui.transfer.throttle import TokenBucket
    from xtract_gui.transfer.workers import WorkerPool

    extents = [Extent(o, n) for o, n in job["extents"]]
    vms = int(job.get("vms", 1))
    # Each VM gets every ``vms``-th 64 MiB region's extents: the same data in all, spread evenly.
    shares = [[e for e in extents if (e.offset // (64 * MiB)) % vms == i] for i in range(vms)]
    reader = open_product_reader(job["url"], job["capacity"], job["cookies"], job["fingerprint"])
    pool = WorkerPool(int(job.get("workers", 1)), threads=int(job.get("threads", 8)),
                      throttle=TokenBucket(job.get("rate") or None))
    # Started and ready before the clock runs: the app keeps its workers for the whole session.
    pool.warm(["xtract_gui.source.reader", "xtract_gui.transfer.local", "xtract_gui.transfer.copy"])
    results: list[Any] = []
    rss_workers: dict[int, float] = {}
    watching = threading.Event()

    def watch() -> None:  # a worker's own peak, read while it lives
        while not watching.wait(0.2):
            for p in pool.processes():
                rss_workers[p.pid] = max(rss_workers.get(p.pid, 0.0), _rss_mb(p.pid))

    def copy(i: int) -> None:
        path = job["path"] if vms == 1 else f"{job['path']}.vm{i}"
        results.append(pool.copy(reader.worker_spec(), WorkerDisk(LocalWriterSpec(path, job["capacity"],
                                                                                  job["fresh"])),
                                 shares[i], name=f"vm{i}", chunk_size=job["chunk"], streams=job["streams"],
                                 max_in_flight=job["streams"] * 2, verify=job["verify"]))

    def worker_cpu() -> float:  # of the live workers, from /proc: their start-up before t0 is not the copy's
        total = 0.0
        for p in pool.processes():
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total

    cpu0, workers0 = _cpu(), worker_cpu()
    threading.Thread(target=watch, daemon=True).start()
    t0 = time.monotonic()
    threads = [threading.Thread(target=copy, args=(i,)) for i in range(vms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.monotonic() - t0
    watching.set()
    for p in pool.processes():
        rss_workers[p.pid] = max(rss_workers.get(p.pid, 0.0), _rss_mb(p.pid))
    copy_cpu = _cpu() - cpu0 + worker_cpu() - workers0
    pool.close()
    reader.close()
    if len(results) != vms:
        raise SystemExit("a copy failed")
    copied = sum(r.copied_bytes for r in results)
    wire = copied + sum(r.chunks for r in results) * request_overhead(job["url"], job["cookies"])
    for i in range(vms if vms > 1 else 0):
        Path(f"{job['path']}.vm{i}").unlink(missing_ok=True)
    return {"seconds": seconds, "bytes": sum(r.total_bytes for r in results), "wire": wire,
            "rss_mb": _peak_rss_mb() + sum(rss_workers.values()), "rss_engine_mb": _peak_rss_mb(),
            "cpu": copy_cpu, "verified": sum(r.verified_bytes for r in results),
            "digest": ""}
