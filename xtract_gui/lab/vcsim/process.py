"""A running govmomi simulator: start it, reach it, stop it.

``start_vcsim`` is a plain function so that the lab (``xtract-gui lab serve --source vcsim``), the
benchmarks and the tests' fixtures share it.  The login password reaches the simulator through its
environment (``XTRACT_VCSIM_PASSWORD``), never its command line, where every local user could read it
in ``ps``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import ssl
import subprocess
import tempfile
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .build import VcsimUnavailable, build_vcsim

PASSWORD_ENV = "XTRACT_VCSIM_PASSWORD"


@dataclass
class VcsimProcess:
    """A running simulator and how to reach it."""

    url: str  # https://127.0.0.1:<port>/sdk
    user: str
    password: str = field(repr=False)
    datastore_dir: Path
    datastore: str
    datacenter: str
    fingerprint: str  # SHA-256 "AA:BB:…", empty over http
    process: subprocess.Popen[bytes]
    log_path: Path
    remove_log: bool = False  # the log went to the system temp dir: remove it once stopped

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(urlsplit(self.url).port or 0)

    @property
    def protocol(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def base_url(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}"

    def flat_file(self, vm_name: str, disk: str = "disk1") -> Path:
        return self.datastore_dir / vm_name / f"{disk}-flat.vmdk"

    def control(self, path: str, *, method: str = "GET", query: dict[str, str] | None = None) -> Any:
        """Call one of the simulator's own /xtract/… endpoints (test and lab controls); the JSON answer."""
        from urllib.parse import urlencode

        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # our own simulator; its identity is not what is tested here
        url = f"{self.base_url}{path}" + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, context=ctx, timeout=10) as r:
            body = r.read()
        return json.loads(body) if body.strip() else None

    def stats(self) -> dict[str, int]:
        """How /folder was used: folder_session, folder_ticket, folder_denied counters."""
        data: dict[str, int] = self.control("/xtract/stats")
        return data

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stdin:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self.process.stdout:
            self.process.stdout.close()
        if self.remove_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> VcsimProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_vcsim(*, vms: int = 2, datacenters: int = 1, clusters: int = 1, hosts: int = 3,
                standalone_hosts: int = 1, tls: bool = True, cert: Path | None = None, key: Path | None = None,
                port: int = 0, user: str = "user", password: str = "pass", cbt: bool = False,
                max_areas: int = 64, slow_snapshot_ms: int = 0, check_folder_session: bool = False,
                edge_cases: bool = False, timeout: float = 120,
                log_dir: Path | None = None, guest_root: Path | None = None) -> VcsimProcess:
    """Start a simulator; ``vms`` per resource pool and per standalone host (2 → 4 VMs by default).

    ``cert``/``key``: PEM files to serve (created when missing), so a restart can keep or change
    the certificate.  ``port`` 0 picks a free one.  ``slow_snapshot_ms``: snapshot tasks run that long
    and honour CancelTask (tests of task polling and cancellation).  ``check_folder_session``: /folder
    refuses session cookies that are no longer logged in, as vCenter does (off by default: some
    benchmarks read with a made-up cookie).  ``edge_cases``: add the second datacenter of go/edge.go (a
    datacenter in a folder, names with "+" and "%2f", a vApp, an encrypted VM, an RDM, a vSAN disk); the
    first datacenter and its VMs stay as without it.  ``guest_root``: the guest's "/" for VMware Tools guest
    operations (guestops.go); None inherits XTRACT_VCSIM_GUEST_ROOT, else the simulator makes a temp
    dir and removes it when it exits (not when SIGKILLed).  The process ends when the returned object is
    stopped or when this Python process dies (its stdin closes).
    """
    binary = build_vcsim()
    args = [str(binary), f"-vm={vms}", f"-dc={datacenters}", f"-cluster={clusters}", f"-host={hosts}",
            f"-standalone-host={standalone_hosts}", f"-listen=127.0.0.1:{port}", f"-username={user}",
            f"-cbt-max-areas={max_areas}", f"-slow-snapshot-ms={slow_snapshot_ms}", "-exit-on-stdin-eof"]
    if tls:
        args.append("-tls")
    if cert is not None and key is not None:
        args += [f"-cert={cert}", f"-key={key}"]
    if cbt:
        args.append("-cbt")
    if check_folder_session:
        args.append("-check-folder-session")
    if edge_cases:
        args.append("-edge-cases")
    env = dict(os.environ)
    env[PASSWORD_ENV] = password
    if guest_root is not None:
        guest_root.mkdir(parents=True, exist_ok=True)
        env["XTRACT_VCSIM_GUEST_ROOT"] = str(guest_root)
    log_path = Path(tempfile.mkstemp(prefix="vcsim-", suffix=".log", dir=log_dir)[1])
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env)
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else b""),
                              daemon=True)
    reader.start()
    reader.join(timeout)
    if not line or not line[0].strip():
        proc.kill()
        proc.wait()
        raise VcsimUnavailable("The govmomi simulator did not start.", hint=f"See its log {log_path}.",
                               detail=log_path.read_text(errors="replace")[-2000:])
    info: dict[str, Any] = json.loads(line[0])
    return VcsimProcess(url=info["url"], user=info["user"], password=password,
                        datastore_dir=Path(info["datastore_dir"]), datastore=info["datastore"],
                        datacenter=info["datacenter"], fingerprint=info["fingerprint"], process=proc,
                        log_path=log_path, remove_log=log_dir is None)
