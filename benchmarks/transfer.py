"""Disk transfer benchmark (on demand, prints a table): ``python3 benchmarks/transfer.py [--sizes 4,64]``.

For each size a sparse source disk (~10 % allocated, random data, on local disk as a sparse file) is
served over HTTP with Range by govmomi's simulator (``/folder`` on its datastore, as vCenter serves
a flat extent) — or by a small local Range server when the simulator cannot be built.  Then, each in
its own child process so that peak RSS and CPU are per case:

* ``seed → file``   the allocated extents copied into a sparse local raw file (warm-path shape);
* ``delta → file``  ~1 % of the disk rewritten at the source, the changed extents copied on top;
* ``seed → qcow2``  the allocated extents streamed as qcow2 into an HTTP upload: the lab Prism
  simulator's v0.8 image upload (known Content-Length), or a local sink;
* ``curl``          the same 4 MiB ranges fetched by curl (same endpoint, same parallelism) to
  /dev/null: the loopback ceiling that the MB/s ratio is taken against.

Columns: MB/s of allocated (or changed) data, ratio to curl, bytes on the wire / allocated bytes
(source HTTP bodies + headers for the file cases, image bytes for the qcow2 case), peak RSS of the
copying process, CPU seconds per GiB copied.  Everything is removed afterwards (``--keep`` to keep).
The copy reads through the product's reader (``source/reader.py``), so its cost is measured too.

Results (2026-11-26, 2 vCPUs shared with other engineers' test runs: load 1.4–7.3 during the runs;
``--repeat 2``; vcsim over plain HTTP, targets in /dev/shm; ratio = MB/s ÷ curl's best of three):

    case (64 GiB disk, 5.6 GiB allocated)   before: MB/s  ratio  CPU s/GiB   after: MB/s  ratio  CPU s/GiB
    seed → file                                      202   0.16       4.93          619   0.53       1.46
    seed → file (verify)                             178   0.14       6.17          428   0.37       2.79
    seed → qcow2 → null sink (verify)                167   0.13       5.59          392   0.34       1.84
    seed → qcow2 → lab Prism (verify)                172   0.14       5.82          331   0.29       1.81
    delta → file, 702 MiB                              -      -          -          428   0.47       1.47
    delta → file (verify), 702 MiB                    99   0.15       8.99          286   0.31       3.09

"before" is the reader as it was (requests: piecewise reads, joins, a copy into bytes) and the qcow2
digest hashed twice on the coordinator.  On the 4 GiB disk the same run gave seed → file 0.84 of curl
(1012 MB/s), verify 0.45, qcow2 0.49; ratios move by ±0.2 with the other load.  Wire/allocated:
1.0019 seed (target ≤ 1.02), 1.0110 delta (≤ 1.05).  Peak RSS: 61 → 65 MB (file), 75 → 86 MB (qcow2:
its layout tables grow with the number of extents, not with data) for 4 → 64 GiB.
Met: wire and memory.  Not met: ≥ 0.9 of curl.  Where the CPU goes (py-spy, seed → file): the kernel's
socket→buffer copy and the pwrite into tmpfs (~1.1 CPU s/GiB between them, any reader pays them), and
with verification two SHA-256 passes (source, read-back) of ~0.6 CPU s/GiB each at this CPU's 1.8 GB/s
plus the read-back itself; curl does one copy and nothing else, and the simulator serving the data
takes CPU from the same two cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xtract_gui.domain.extents import Extent, normalize, split, total_bytes  # noqa: E402

MiB = 1024 * 1024
GiB = 1024 * MiB
REGION = 64 * MiB
ALIGN = 64 * 1024  # CBT's block in the lab, and the qcow2 cluster


# -- source disk --------------------------------------------------------------------------------


def make_source(path: Path, capacity: int, fraction: float, rng: random.Random, pool: bytes) -> list[Extent]:
    """A sparse file with ~``fraction`` of it random data: per 64 MiB, one large run and a few small ones."""
    extents = []
    for base in range(0, capacity, REGION):
        span = min(REGION, capacity - base)
        big = int(span * fraction * 0.8) // ALIGN * ALIGN
        start = rng.randrange(0, max(1, (span - big) // ALIGN)) * ALIGN
        extents.append(Extent(base + start, big))
        for _ in range(4):
            n = rng.randrange(1, 5) * ALIGN
            off = rng.randrange(0, (span - n) // ALIGN) * ALIGN
            extents.append(Extent(base + off, n))
    extents = normalize(extents, capacity=capacity)
    _fill(path, capacity, extents, rng, pool, create=True)
    return extents


def make_delta(path: Path, capacity: int, fraction: float, rng: random.Random, pool: bytes) -> list[Extent]:
    changed = []
    for base in range(0, capacity, REGION):
        budget = int(min(REGION, capacity - base) * fraction)
        while budget > 0:
            n = min(rng.randrange(1, 9) * ALIGN, budget + ALIGN - 1) // ALIGN * ALIGN
            off = rng.randrange(0, (min(REGION, capacity - base) - n) // ALIGN) * ALIGN
            changed.append(Extent(base + off, n))
            budget -= n
    changed = normalize(changed, capacity=capacity)
    _fill(path, capacity, changed, rng, pool, create=False)
    return changed


def _fill(path: Path, capacity: int, extents: list[Extent], rng: random.Random, pool: bytes, *, create: bool) -> None:
    with path.open("wb" if create else "r+b") as f:
        if create:
            f.truncate(capacity)
        for e in extents:
            pos = e.offset
            while pos < e.end:
                n = min(e.end - pos, 8 * MiB)
                start = rng.randrange(0, len(pool) - n)
                f.seek(pos)
                f.write(pool[start:start + n])
                pos += n


# -- HTTP source: vcsim's /folder, or our own Range server ----------------------------------------


class _RangeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root: Path

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.root / self.path.split("?")[0].lstrip("/").removeprefix("folder/")
        size = path.stat().st_size
        spec = self.headers.get("Range", "").removeprefix("bytes=")
        start, _, end = spec.partition("-")
        a, b = int(start or 0), int(end) if end else size - 1
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {a}-{b}/{size}")
        self.send_header("Content-Length", str(b - a + 1))
        self.end_headers()
        with path.open("rb") as f:
            os.sendfile(self.wfile.fileno(), f.fileno(), a, b - a + 1)


def start_source(workdir: Path, use_vcsim: bool) -> tuple[str, Path, dict[str, str], Any]:
    """(url of the disk file, directory to put it in, cookies, stopper)."""
    if use_vcsim:
        try:
            from tests.support.vcsim import start_vcsim

            sim = start_vcsim(vms=1, hosts=1, standalone_hosts=0, tls=False, log_dir=workdir)
            folder = sim.datastore_dir / "bench"
            folder.mkdir(exist_ok=True)
            url = f"{sim.base_url}/folder/bench/disk-flat.vmdk?dcPath={sim.datacenter}&dsName={sim.datastore}"
            # The simulator wants a session cookie on /folder but does not check its value.
            return url, folder, {"vmware_soap_session": "benchmark"}, sim.stop
        except Exception as err:  # any failure to build/start means: use the fallback
            print(f"(vcsim unavailable: {err}; using a local Range server)", file=sys.stderr)
    folder = workdir / "source"
    folder.mkdir(exist_ok=True)
    handler = type("H", (_RangeHandler,), {"root": folder})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/disk-flat.vmdk", folder, {}, server.shutdown


# -- HTTP sink: the lab Prism's v0.8 image upload, or a counting sink ------------------------------


class _SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PUT(self) -> None:
        left = int(self.headers["Content-Length"])
        while left:
            left -= len(self.rfile.read(min(left, 4 * MiB)))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class Sink:
    """A counting HTTP sink that discards, and the lab Prism (v0.8 upload) when it can be started."""

    def __init__(self, workdir: Path, use_prism: bool) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _SinkHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.prism: Any = None
        if use_prism:
            try:
                from xtract_gui.lab.prism.simulator import PrismSimulator

                self.prism = PrismSimulator(workdir / "prism", mode="pe").start()
            except Exception as err:  # the local sink alone still measures the stream
                print(f"(Prism simulator unavailable: {err})", file=sys.stderr)

    def new_upload(self, name: str, *, prism: bool) -> dict[str, Any]:
        """What the child needs to PUT one image: url, headers, auth."""
        if not prism:
            return {"url": f"http://127.0.0.1:{self.server.server_address[1]}/upload", "headers": {}, "auth": None}
        import requests

        base, auth = self.prism.url, ("admin", "Nutanix/4u")
        v2 = f"{base}/PrismGateway/services/rest/v2.0"
        r = requests.post(f"{v2}/images", auth=auth, timeout=30, json={"name": name, "image_type": "DISK_IMAGE"})
        r.raise_for_status()
        for _ in range(300):
            t = requests.get(f"{v2}/tasks/{r.json()['task_uuid']}", auth=auth, timeout=30).json()
            if t.get("entity_list"):
                break
            time.sleep(0.1)
        image = t["entity_list"][0]["entity_id"]
        ctr = self.prism.state.default_container()["uuid"]
        return {"url": f"{base}/api/nutanix/v0.8/images/{image}/upload",
                "headers": {"X-Nutanix-Destination-Container": ctr}, "auth": list(auth), "image": image}

    def image_path(self, image: str) -> Path:
        return Path(self.prism.state.image_file(self.prism.ops.image(image)))

    def stop(self) -> None:
        if self.prism is not None:
            self.prism.stop()
        self.server.shutdown()


# -- the child: one copy, measured -----------------------------------------------------------------


def open_product_reader(url: str, capacity: int, cookies: dict[str, str]) -> Any:
    """The product's datastore reader (source/reader.py) over the benchmark's endpoint."""
    from xtract_gui.source.reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    folder, _, file = parts.path.removeprefix("/folder/").rpartition("/")
    files = DatastoreFiles(f"{parts.scheme}://{parts.netloc}", query.get("dcPath", ""), query.get("dsName", ""),
                           folder, lambda _url: Access(cookies))
    return VSphereDiskReader(files, [FlatExtent(file, 0, capacity)], capacity, name=file)


def request_overhead(url: str, cookies: dict[str, str]) -> int:
    """Bytes of one Range request and its response headers, as the product's reader sends them."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=30)
    headers = {"Range": "bytes=0-4194303"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    conn.request("GET", f"{parts.path}?{parts.query}", headers=headers)
    resp = conn.getresponse()
    resp.read()
    conn.close()
    sent = len(f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
               "Accept-Encoding: identity\r\n\r\n") + sum(len(k) + len(v) + 4 for k, v in headers.items())
    received = len("HTTP/1.1 206 Partial Content\r\n\r\n") + sum(len(k) + len(v) + 4 for k, v in resp.getheaders())
    return sent + received


class _Body:
    """An upload body with a length, so requests sends Content-Length instead of chunked encoding."""

    def __init__(self, stream: Iterable[bytes], size: int) -> None:
        self.stream, self.size = stream, size

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __len__(self) -> int:
        return self.size


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: the latter keeps the parent's size from before exec (fork + exec).
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(job: dict[str, Any]) -> dict[str, Any]:
    from xtract_gui.transfer import LocalFileWriter, copy_disk
    from xtract_gui.transfer.image_stream import ImageStreamWriter
    from xtract_gui.transfer.qcow2 import Qcow2Encoder

    extents = [Extent(o, n) for o, n in job["extents"]]
    reader = open_product_reader(job["url"], job["capacity"], job["cookies"])
    if job["target"] == "file":
        writer: Any = LocalFileWriter(job["path"], job["capacity"], fresh=job["fresh"])
    else:
        import requests

        enc = Qcow2Encoder(job["capacity"], extents)
        up = job["upload"]

        def upload(stream: Iterable[bytes]) -> str:
            r = requests.put(up["url"], data=_Body(stream, enc.length or 0), timeout=600,
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
    wire = writer.bytes_sent if job["target"] == "qcow2" else \
        res.copied_bytes + reader.requests * request_overhead(job["url"], job["cookies"])
    reader.close()
    return {"seconds": seconds, "bytes": res.total_bytes, "wire": wire, "rss_mb": _peak_rss_mb(),
            "cpu": _cpu() - cpu0, "verified": res.verified_bytes,
            "digest": res.content_digest}


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


def run_curl(url: str, cookies: dict[str, str], extents: list[Extent], chunk: int, streams: int,
             workdir: Path) -> float:
    cfg = workdir / "curl.cfg"
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    groups = []
    for c in split(extents, chunk):
        # "next" resets per-transfer options, so every group repeats them.
        g = f'url = "{url}"\nrange = "{c.offset}-{c.end - 1}"\noutput = "/dev/null"\nsilent\nfail\n'
        groups.append(g + (f'cookie = "{cookie}"\n' if cookie else ""))
    cfg.write_text("next\n".join(groups))
    best = float("inf")
    for _ in range(3):  # best of three: a busy machine only ever slows the ceiling down
        t0 = time.monotonic()
        subprocess.run(["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", str(streams),
                        "-K", str(cfg)], check=True)
        best = min(best, time.monotonic() - t0)
    return best


# -- main -----------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="4,64", help="disk sizes in GiB, comma separated")
    ap.add_argument("--allocated", type=float, default=0.10)
    ap.add_argument("--changed", type=float, default=0.01)
    ap.add_argument("--streams", type=int, default=4)
    ap.add_argument("--chunk-mib", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs per case (curl: always best of 3)")
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
    url, folder, cookies, stop_source = start_source(workdir, not args.no_vcsim)
    sink = Sink(targets, not args.no_prism)
    rng = random.Random(42)
    pool = os.urandom(256 * MiB)
    chunk = args.chunk_mib * MiB
    rows = []
    try:
        for gib in (int(s) for s in args.sizes.split(",")):
            capacity = gib * GiB
            src = folder / "disk-flat.vmdk"
            extents = make_source(src, capacity, args.allocated, rng, pool)
            alloc = total_bytes(extents)
            base = {"url": url, "cookies": cookies, "capacity": capacity, "chunk": chunk, "streams": args.streams,
                    "verify": True}
            curl_s = run_curl(url, cookies, extents, chunk, args.streams, workdir)
            rows.append((f"{gib} GiB", "curl → /dev/null (ceiling)", alloc, {"seconds": curl_s, "wire": alloc},
                         curl_s))
            ext_json = [(e.offset, e.length) for e in extents]
            # Images first, each removed at once, so the targets never hold two copies of the data.
            for prism in ([True] if sink.prism else []) + [False]:
                up = sink.new_upload(f"bench-{gib}", prism=prism)
                job = {**base, "target": "qcow2", "upload": up, "extents": ext_json}
                r = run_child(job) if prism else best_of(job, args.repeat)  # one image per Prism upload
                rows.append((f"{gib} GiB", f"seed → qcow2 → {'lab Prism' if prism else 'null sink'}", alloc, r,
                             curl_s))
                if prism:
                    image = sink.image_path(up["image"])
                    if gib <= 8:
                        cmp = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "qcow2", str(src),
                                              str(image)], capture_output=True, text=True, check=False)
                        print(f"qemu-img compare source vs uploaded image ({gib} GiB): {cmp.stdout.strip()}")
                    image.unlink(missing_ok=True)
            target = targets / "target.raw"
            for verify in (False, True):
                r = best_of({**base, "verify": verify, "target": "file", "path": str(target), "fresh": True,
                             "extents": ext_json}, args.repeat)
                rows.append((f"{gib} GiB", f"seed → file{' (verify)' if verify else ''}", alloc, r, curl_s))
            changed = make_delta(src, capacity, args.changed, rng, pool)
            changed_bytes = total_bytes(changed)
            curl_d = run_curl(url, cookies, changed, chunk, args.streams, workdir)
            rows.append((f"{gib} GiB", "curl delta (ceiling)", changed_bytes,
                         {"seconds": curl_d, "wire": changed_bytes}, curl_d))
            for verify in (False, True):
                r = best_of({**base, "verify": verify, "target": "file", "path": str(target), "fresh": False,
                             "extents": [(e.offset, e.length) for e in changed]}, args.repeat)
                rows.append((f"{gib} GiB", f"delta → file{' (verify)' if verify else ''}", changed_bytes, r, curl_d))
            target.unlink(missing_ok=True)
            if not args.keep:
                src.unlink(missing_ok=True)
    finally:
        sink.stop()
        stop_source()
        shutil.rmtree(targets, ignore_errors=True)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nsource: {'vcsim /folder' if cookies else 'local Range server'} over HTTP on loopback; "
          f"{args.streams} streams, {args.chunk_mib} MiB chunks; targets in {args.target_dir or 'the work dir'}; "
          f"best of {args.repeat}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f} (1 min) at the end\n")
    head = f"{'disk':<7} {'case':<30} {'data MiB':>9} {'s':>7} {'MB/s':>7} {'vs curl':>7} {'wire/data':>9} " \
           f"{'RSS MB':>7} {'CPU s/GiB':>9}"
    print(head)
    print("-" * len(head))
    for disk, case, data, r, ceiling in rows:
        mbs = data / r["seconds"] / 1e6
        ratio = ceiling / r["seconds"]
        rss = f"{r['rss_mb']:.0f}" if "rss_mb" in r else "-"
        cpu = f"{r['cpu'] / (data / GiB):.2f}" if "cpu" in r else "-"
        print(f"{disk:<7} {case:<30} {data / MiB:>9.0f} {r['seconds']:>7.1f} {mbs:>7.0f} {ratio:>7.2f} "
              f"{r['wire'] / data:>9.4f} {rss:>7} {cpu:>9}")


if __name__ == "__main__":
    main()
