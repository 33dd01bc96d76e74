"""What one connection per ESXi service ticket costs, against govmomi's simulator over HTTPS.

Run on demand (not part of the suite):  python3 benchmarks/tickets.py [MiB to read per case, default 128]

A ticket from AcquireGenericServiceTicket is good for one request, and so is the connection that carries
it (govmomi commit a91eb5e593d31b62299451cb09fbe41902e61c98 turned keep-alive off for ticketed ESX
transfers; the simulator refuses a second request on such a connection).  A direct ESXi read therefore
pays, per chunk, one SOAP call to vCenter (serialised behind the session lock) and one TLS handshake with
the host.  This prints, for several chunk sizes and thread counts:

- vCenter /folder with the session cookie over kept-alive connections (no per-request cost),
- ESXi /folder with a ticket and a new connection per request (what the reader does now),
- and the two per-request costs on their own (a ticket call; a TCP+TLS connect), so the figures can be
  carried over to a real network: per-request overhead ~= ticket RTT to vCenter + TLS handshake to ESXi.

Both servers are the same local process here, so the table shows the relative overhead, not real
throughput; with a real ESXi the data path avoids vCenter's proxy, which is why the direct path exists.

Measured 2026-12 on the 2-core CI box under load from other jobs (64 MiB per case, MB/s):

    chunk     threads   vCenter kept-alive   ESXi ticket, conn/request
    256 KiB   1         133                   30
    1 MiB     1         203                   90
    4 MiB     1         195                  164
    4 MiB     4         315                  238
    16 MiB    1         184                  171
    per request: ticket call 0.96 ms + TCP/TLS connect 2.17 ms (local)

So a ticket per request costs ~3 ms of latency locally (more over a WAN: one vCenter round trip plus one
TLS handshake with the host); at the engine's 4 MiB chunks it costs 10-25 % of a single stream and less
with parallel streams, at 256 KiB it would dominate.  No public source shows that ESXi accepts a ticket
for more than one request or a connection for more than one ticket, so the reader does not try.
"""

from __future__ import annotations

import os
import socket
import ssl
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyVmomi import vim

from xtract_gui.lab.vcsim import start_vcsim
from xtract_gui.source import connect_vsphere
from xtract_gui.source.reader import Access, DatastoreFiles

MiB = 1024 * 1024


def read_all(files: DatastoreFiles, size: int, chunk: int, threads: int) -> float:
    offsets = list(range(0, size, chunk))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(lambda off: files.get("disk-flat.vmdk", off, min(chunk, size - off)), offsets))
    seconds = time.perf_counter() - start
    files.close()
    return seconds


def main(argv: list[str]) -> None:
    size = (int(argv[0]) if argv else 128) * MiB
    sim = start_vcsim(vms=1, tls=True, check_folder_session=True)
    try:
        bench = sim.datastore_dir / "bench"
        bench.mkdir(exist_ok=True)
        with open(bench / "disk-flat.vmdk", "wb") as f:
            block = os.urandom(MiB)
            for _ in range(size // MiB):
                f.write(block)
        src = connect_vsphere(sim.host, sim.user, sim.password, port=sim.port,
                              expected_fingerprint=sim.fingerprint, host_access=None, keepalive=0)
        session = src.session
        sm = session.content.sessionManager

        def vcenter(url: str) -> Access:
            return Access({"vmware_soap_session": session.session_cookie()}, sim.fingerprint)

        def ticket(url: str) -> Access:
            spec = vim.SessionManager.HttpServiceRequestSpec(method="httpGet", url=url)
            t = session.call("ticket", lambda: sm.AcquireGenericServiceTicket(spec))
            return Access({"vmware_cgi_ticket": t.id}, t.sslThumbprint or "", single_use=True)

        print(f"{size // MiB} MiB read per case, vcsim over HTTPS on this machine")
        print(f"{'path':<28} {'chunk':>8} {'threads':>7} {'MB/s':>8} {'requests':>8} {'ms/request':>10} "
              f"{'SOAP calls':>10}")
        for chunk in (256 * 1024, MiB, 4 * MiB, 16 * MiB):
            for threads in (1, 4):
                for name, files in (
                        ("vCenter, kept-alive", DatastoreFiles(sim.base_url, sim.datacenter, sim.datastore, "bench",
                                                              vcenter)),
                        ("ESXi ticket, conn/request", DatastoreFiles(sim.base_url, "", sim.datastore, "bench",
                                                                     ticket))):
                    before = src.round_trips
                    seconds = read_all(files, size, chunk, threads)
                    requests = -(-size // chunk)
                    print(f"{name:<28} {chunk // 1024:>6}Ki {threads:>7} {size / seconds / 1e6:>8.0f} "
                          f"{requests:>8} {1000 * seconds / requests * threads:>10.2f} "
                          f"{src.round_trips - before:>10}", flush=True)
        n = 200
        start = time.perf_counter()
        for _ in range(n):
            ticket(f"{sim.base_url}/folder/bench/disk-flat.vmdk?dsName={sim.datastore}")
        per_ticket = (time.perf_counter() - start) / n
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE  # timing only: the reader pins
        start = time.perf_counter()
        for _ in range(n):
            with socket.create_connection((sim.host, sim.port)) as raw, ctx.wrap_socket(raw) as tls:
                tls.getpeercert(binary_form=True)
        per_handshake = (time.perf_counter() - start) / n
        overhead = per_ticket + per_handshake
        print(f"\nper request: ticket call {1000 * per_ticket:.2f} ms + TCP/TLS connect {1000 * per_handshake:.2f} ms "
              f"(local); at the engine's 4 MiB chunks and 1 GB/s per stream that is "
              f"{100 * overhead / (4 * MiB / 1e9):.0f} % on top of each chunk's transfer time")
        src.close()
    finally:
        sim.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
