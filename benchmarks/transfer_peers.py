"""The peers of the transfer benchmark: the source disk and its HTTP(S) server, the upload sink, and curl.

Kept apart from ``transfer.py`` (the cases and the table) so each file does one job.
"""

from __future__ import annotations

import http.client
import os
import random
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from xtract_gui.domain.extents import Extent, normalize, split  # noqa: E402

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


class Source:
    """Where the disk file goes and how to fetch it: ``url``, ``folder``, ``cookies``, ``fingerprint``."""

    def __init__(self, workdir: Path, *, use_vcsim: bool, https: bool) -> None:
        self.fingerprint = ""
        self.cookies: dict[str, str] = {}
        self._stop: Any = None
        if use_vcsim:
            try:
                from xtract_gui.lab.vcsim import start_vcsim

                sim = start_vcsim(vms=1, hosts=1, standalone_hosts=0, tls=https, log_dir=workdir)
                self.folder = sim.datastore_dir / "bench"
                self.folder.mkdir(exist_ok=True)
                self.url = (f"{sim.base_url}/folder/bench/disk-flat.vmdk"
                            f"?dcPath={sim.datacenter}&dsName={sim.datastore}")
                # The simulator wants a session cookie on /folder but does not check its value.
                self.cookies = {"vmware_soap_session": "benchmark"}
                self.fingerprint = sim.fingerprint
                self._stop = sim.stop
                self.kind = f"vcsim /folder over {'HTTPS' if https else 'HTTP'}"
                return
            except Exception as err:  # any failure to build/start means: use the fallback
                print(f"(vcsim unavailable: {err}; using a local Range server over HTTP)", file=sys.stderr)
        self.folder = workdir / "source"
        self.folder.mkdir(exist_ok=True)
        handler = type("H", (_RangeHandler,), {"root": self.folder})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}/disk-flat.vmdk"
        self._stop = server.shutdown
        self.kind = "local Range server over HTTP"

    def stop(self) -> None:
        self._stop()


def open_product_reader(url: str, capacity: int, cookies: dict[str, str], fingerprint: str) -> Any:
    """The product's datastore reader (source/reader.py) over the benchmark's endpoint."""
    from xtract_gui.source.reader import Access, DatastoreFiles, FlatExtent, VSphereDiskReader

    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    folder, _, file = parts.path.removeprefix("/folder/").rpartition("/")
    files = DatastoreFiles(f"{parts.scheme}://{parts.netloc}", query.get("dcPath", ""), query.get("dsName", ""),
                           folder, lambda _url: Access(cookies, fingerprint))
    return VSphereDiskReader(files, [FlatExtent(file, 0, capacity)], capacity, name=file)


def request_overhead(url: str, cookies: dict[str, str]) -> int:
    """Bytes of one Range request and its response headers, as the product's reader sends them."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(parts.hostname or "127.0.0.1",
                                                                       parts.port or 443, timeout=30, context=ctx)
    else:
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


# -- HTTP sink: the lab Prism's v0.8 image upload, or a counting sink ------------------------------


class _SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_PUT(self) -> None:
        left = int(self.headers["Content-Length"])
        view = memoryview(bytearray(4 * MiB))  # one buffer per upload: the sink should cost next to nothing
        while left:
            n = self.rfile.readinto(view[:min(left, len(view))])
            if not n:
                break
            left -= n
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


class Sink:
    """A counting HTTP sink that discards, and the lab Prism (v0.8 upload) when it can be started."""

    def __init__(self, workdir: Path, use_prism: bool) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _SinkHandler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/upload"
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
            return {"url": self.url, "headers": {}, "auth": None}
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


class Body:
    """An upload body with a length, so requests sends Content-Length instead of chunked encoding."""

    def __init__(self, stream: Iterable[bytes], size: int) -> None:
        self.stream, self.size = stream, size

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __len__(self) -> int:
        return self.size


# -- curl: the ceilings ---------------------------------------------------------------------------


def curl_fetch(url: str, cookies: dict[str, str], extents: list[Extent], chunk: int, streams: int,
               workdir: Path, store: Path | None = None) -> float:
    """Best of three seconds for curl to fetch ``extents`` in ``chunk`` ranges, ``streams`` at once, into
    /dev/null or, with ``store``, one file per range in that folder (removed after each run)."""
    cfg = workdir / "curl.cfg"
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    groups = []
    for i, c in enumerate(split(extents, chunk)):
        output = f"{store}/r{i}" if store is not None else "/dev/null"
        # "next" resets per-transfer options, so every group repeats them.
        g = f'url = "{url}"\nrange = "{c.offset}-{c.end - 1}"\noutput = "{output}"\nsilent\nfail\ninsecure\n'
        groups.append(g + (f'cookie = "{cookie}"\n' if cookie else ""))
    cfg.write_text("next\n".join(groups))
    best = float("inf")
    for _ in range(3):  # best of three: a busy machine only ever slows the ceiling down
        if store is not None:
            store.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        subprocess.run(["curl", "-s", "--no-progress-meter", "--parallel", "--parallel-max", str(streams),
                        "-K", str(cfg)], check=True)
        best = min(best, time.monotonic() - t0)
        if store is not None:
            shutil.rmtree(store)
    return best


def curl_relay(url: str, cookies: dict[str, str], extents: list[Extent], chunk: int, streams: int,
               workdir: Path, sink_url: str) -> float:
    """Best of three seconds for one curl to fetch ``extents`` (as ``curl_fetch``) into a pipe and another
    to upload that pipe to ``sink_url``: what the cold path does, by curl (the fetch's parallel outputs
    interleave on the pipe, which a sink that discards does not mind)."""
    cfg = workdir / "relay.cfg"
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    pieces = list(split(extents, chunk))
    cfg.write_text("next\n".join(
        f'url = "{url}"\nrange = "{c.offset}-{c.end - 1}"\noutput = "-"\nsilent\nfail\ninsecure\n'
        + (f'cookie = "{cookie}"\n' if cookie else "") for c in pieces))
    total = sum(c.length for c in pieces)
    best = float("inf")
    for _ in range(3):
        t0 = time.monotonic()
        fetch = subprocess.Popen(["curl", "-s", "--parallel", "--parallel-max", str(streams), "-K", str(cfg)],
                                 stdout=subprocess.PIPE)
        # A Content-Length of our own (and no chunked encoding), as the product's upload sends.
        subprocess.run(["curl", "-s", "-S", "-f", "-o", "/dev/null", "-T", "-", "-H", f"Content-Length: {total}",
                        "-H", "Transfer-Encoding:", sink_url], stdin=fetch.stdout, check=True)
        assert fetch.stdout is not None
        fetch.stdout.close()
        if fetch.wait() != 0:
            raise SystemExit("curl could not fetch the extents for the relay ceiling")
        best = min(best, time.monotonic() - t0)
    return best
