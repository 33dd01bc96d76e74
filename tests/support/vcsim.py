"""govmomi's vCenter simulator (tests/vcsim, Go) as a real peer: build once, start, stop.

``start_vcsim`` is a plain function so that the lab (``xtract-gui lab serve --source vcsim``) can
call it without pytest; the fixtures at the bottom exist only when pytest is importable.

The binary is built in GOPATH mode against Debian's govmomi sources and cached in
``~/.cache/xtract-gui/vcsim-<sha256 of the .go files>/vcsim``; a lock file keeps concurrent test
runs from building it twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

VCSIM_SRC = Path(__file__).resolve().parent.parent / "vcsim"
GOVMOMI_GOPATH = Path("/usr/share/gocode")


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "xtract-gui"


def source_hash() -> str:
    """SHA-256 over every .go file of tests/vcsim (names and contents), so any edit rebuilds."""
    digest = hashlib.sha256()
    for path in sorted(VCSIM_SRC.glob("*.go")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_vcsim() -> Path:
    """The simulator binary for the current sources, building it when the cache has none."""
    target = _cache_root() / f"vcsim-{source_hash()}" / "vcsim"
    if target.exists():
        return target
    if shutil.which("go") is None or not (GOVMOMI_GOPATH / "src/github.com/vmware/govmomi").is_dir():
        raise RuntimeError("Building vcsim needs Go and govmomi's sources: "
                           "apt-get install golang-go golang-github-vmware-govmomi-dev (tests/run.sh does).")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():  # another process built it while we waited
            return target
        with tempfile.TemporaryDirectory(prefix="xtract-vcsim-gopath-") as gopath:
            (Path(gopath) / "src").mkdir()
            pkg = Path(gopath) / "src" / "xtractvcsim"
            shutil.copytree(VCSIM_SRC, pkg)
            env = dict(os.environ, GO111MODULE="off", GOPATH=f"{gopath}:{GOVMOMI_GOPATH}",
                       GOCACHE=str(_cache_root() / "go-build"), GOFLAGS="")
            tmp = target.with_suffix(".tmp")
            result = subprocess.run(["go", "build", "-o", str(tmp), "."], cwd=pkg, env=env,
                                    capture_output=True, text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"go build of tests/vcsim failed:\n{result.stderr}")
            tmp.rename(target)
    return target


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

    def stats(self) -> dict[str, int]:
        """How /folder was used: folder_session, folder_ticket, folder_denied counters."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE  # our own test server; its identity is not what is tested here
        with urllib.request.urlopen(f"{self.base_url}/xtract/stats", context=ctx, timeout=10) as r:
            data: dict[str, int] = json.loads(r.read())
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
                timeout: float = 120,
                log_dir: Path | None = None, guest_root: Path | None = None) -> VcsimProcess:
    """Start a simulator; ``vms`` per resource pool and per standalone host (2 → 4 VMs by default).

    ``cert``/``key``: PEM files to serve (created when missing), so a restart can keep or change
    the certificate.  ``port`` 0 picks a free one.  ``slow_snapshot_ms``: snapshot tasks run that long
    and honour CancelTask (tests of task polling and cancellation).  ``check_folder_session``: /folder
    refuses session cookies that are no longer logged in, as vCenter does (off by default: some
    benchmarks read with a made-up cookie).  ``guest_root``: the guest's "/" for VMware Tools guest
    operations (guestops.go); None inherits XTRACT_VCSIM_GUEST_ROOT, else the simulator makes a temp
    dir and removes it when it exits (not when SIGKILLed).  The process ends when the returned object is
    stopped or when this Python process dies (its stdin closes).
    """
    binary = build_vcsim()
    args = [str(binary), f"-vm={vms}", f"-dc={datacenters}", f"-cluster={clusters}", f"-host={hosts}",
            f"-standalone-host={standalone_hosts}", f"-listen=127.0.0.1:{port}", f"-username={user}",
            f"-password={password}", f"-cbt-max-areas={max_areas}", f"-slow-snapshot-ms={slow_snapshot_ms}",
            "-exit-on-stdin-eof"]
    if tls:
        args.append("-tls")
    if cert is not None and key is not None:
        args += [f"-cert={cert}", f"-key={key}"]
    if cbt:
        args.append("-cbt")
    if check_folder_session:
        args.append("-check-folder-session")
    env = None
    if guest_root is not None:
        guest_root.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, XTRACT_VCSIM_GUEST_ROOT=str(guest_root))
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
        raise RuntimeError(f"vcsim did not start: {log_path.read_text(errors='replace')[-2000:]}")
    info: dict[str, Any] = json.loads(line[0])
    return VcsimProcess(url=info["url"], user=info["user"], password=info["password"],
                        datastore_dir=Path(info["datastore_dir"]), datastore=info["datastore"],
                        datacenter=info["datacenter"], fingerprint=info["fingerprint"], process=proc,
                        log_path=log_path, remove_log=log_dir is None)


try:
    import pytest
except ImportError:  # the lab imports start_vcsim without pytest installed
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture(scope="session")
    def vcsim_binary() -> Path:
        return build_vcsim()

    @pytest.fixture
    def vcsim_factory(vcsim_binary: Path, tmp_path: Path) -> Iterator[Any]:
        """Start simulators with options (see start_vcsim); all are stopped after the test."""
        started: list[VcsimProcess] = []

        def start(**opts: Any) -> VcsimProcess:
            opts.setdefault("log_dir", tmp_path)
            if not os.environ.get("XTRACT_VCSIM_GUEST_ROOT"):
                # Under tmp_path, so even a simulator that dies by SIGKILL leaves nothing in /tmp.
                opts.setdefault("guest_root", tmp_path / f"vcsim-guest-{len(started)}")
            sim = start_vcsim(**opts)
            started.append(sim)
            return sim

        yield start
        for sim in started:
            sim.stop()

    @pytest.fixture
    def vcsim(vcsim_factory: Any) -> VcsimProcess:
        """A fresh https simulator with 4 VMs (CBT off, as vSphere's default)."""
        sim: VcsimProcess = vcsim_factory()
        return sim
