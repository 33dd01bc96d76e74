"""nfs-ganesha as the real NFSv3 peer: a plain ``start_ganesha`` (the demo lab and e2e tests use it without
pytest) and pytest fixtures built on it.

ganesha needs root; the fixtures skip with the reason when not root.  Every instance gets its own config,
log, pidfile, recovery dir and loopback ports, so several can run side by side; each is stopped by the pid in
its own pidfile, never by name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

try:
    import pytest
except ImportError:  # the demo lab imports start_ganesha where pytest is not installed
    pytest = None  # type: ignore[assignment]

HOST = "127.0.0.1"
_START_TIMEOUT = 20.0


GaneshaFactory = Callable[..., "GaneshaProcess"]


class GaneshaUnavailable(RuntimeError):
    """ganesha cannot run here (not root, not installed, or it did not come up)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def _ensure_rpcbind() -> None:
    # ganesha registers with the portmapper and exits without it; rpcbind stays up for the whole machine.
    if _answers(111):
        return
    rpcbind = shutil.which("rpcbind") or "/usr/sbin/rpcbind"
    if not os.path.exists(rpcbind):
        raise GaneshaUnavailable("rpcbind is not installed (apt-get install rpcbind)")
    subprocess.run([rpcbind, "-w"], check=False, capture_output=True, timeout=10)
    deadline = time.monotonic() + 5
    while not _answers(111):
        if time.monotonic() > deadline:
            raise GaneshaUnavailable("rpcbind did not start listening on 127.0.0.1:111")
        time.sleep(0.05)


def unavailable_reason() -> str:
    """Why ganesha cannot run on this machine, or "" when it can."""
    if os.geteuid() != 0:
        return "nfs-ganesha needs root (it binds the NFS/MOUNT ports and registers with rpcbind)"
    if not shutil.which("ganesha.nfsd"):
        return "nfs-ganesha is not installed (apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind)"
    return ""


@dataclass
class GaneshaProcess:
    """One running ganesha.nfsd exporting ``export_dir`` as ``/<container>`` on loopback ports."""

    export_dir: Path
    container: str
    workdir: Path
    nfs_port: int
    mount_port: int
    allowed_clients: tuple[str, ...] | None = None
    privileged_port: bool = False
    host: str = HOST
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _started_at: float = field(default=0.0, repr=False)
    remove_workdir: bool = field(default=False, repr=False)  # a temporary one start_ganesha made

    @property
    def export(self) -> str:
        return f"/{self.container}"

    @property
    def conf(self) -> Path:
        return self.workdir / "ganesha.conf"

    @property
    def log(self) -> Path:
        return self.workdir / "ganesha.log"

    @property
    def pidfile(self) -> Path:
        return self.workdir / "ganesha.pid"

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def _config(self) -> str:
        if self.allowed_clients is None:
            access, clients = "RW", ""
        else:
            # Everyone else gets no access at all: the export-level default says None.
            access = "None"
            listed = ", ".join(self.allowed_clients) or "0.0.0.0/32"
            clients = f"    CLIENT {{ Clients = {listed}; Access_Type = RW; }}\n"
        recovery = self.workdir / "recovery"
        recovery.mkdir(exist_ok=True)
        return (
            "NFS_CORE_PARAM {\n"
            "    Protocols = 3;\n"
            f"    NFS_Port = {self.nfs_port};\n"
            f"    MNT_Port = {self.mount_port};\n"
            "    Enable_NLM = false;\n"
            "    Enable_RQUOTA = false;\n"
            f"    Bind_addr = {self.host};\n"
            # v3 clients mount "/<container>" as on a Nutanix cluster, not the directory's real path.
            "    Mount_Path_Pseudo = true;\n"
            "}\n"
            # The grace period (90 s by default) would hold back the first operations after a restart.
            f"NFSV4 {{ Graceless = true; RecoveryRoot = \"{recovery}\"; }}\n"
            "EXPORT {\n"
            "    Export_Id = 1;\n"
            f"    Path = \"{self.export_dir}\";\n"
            f"    Pseudo = \"{self.export}\";\n"
            f"    Access_Type = {access};\n"
            "    Squash = No_Root_Squash;\n"
            f"    PrivilegedPort = {'true' if self.privileged_port else 'false'};\n"
            "    SecType = sys;\n"
            "    Protocols = 3;\n"
            "    Transports = TCP;\n"
            "    FSAL { Name = VFS; }\n"
            f"{clients}"
            "}\n"
            "LOG { Default_Log_Level = EVENT; }\n"
        )

    def start(self) -> None:
        reason = unavailable_reason()
        if reason:
            raise GaneshaUnavailable(reason)
        _ensure_rpcbind()
        self.conf.write_text(self._config())
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()
        self._started_at = time.time()
        # -F keeps it in the foreground so that it is our child (no orphan, exit status visible).
        self._proc = subprocess.Popen(
            ["ganesha.nfsd", "-F", "-f", str(self.conf), "-L", str(self.log), "-p", str(self.pidfile)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while not (_answers(self.nfs_port) and _answers(self.mount_port)):
            if self._proc.poll() is not None:
                raise GaneshaUnavailable(f"ganesha.nfsd exited with {self._proc.returncode}; log:\n"
                                         f"{self.log_text()[-3000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise GaneshaUnavailable(f"ganesha.nfsd did not answer within {_START_TIMEOUT:.0f} s; log:\n"
                                         f"{self.log_text()[-3000:]}")
            time.sleep(0.1)

    def _pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        pid = self._pid()
        if pid is None and self._proc is not None and self._proc.poll() is None:
            pid = self._proc.pid  # it died before writing its pidfile: still ours, by its own pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        if self._proc is not None:
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=5)
            self._proc = None
        with contextlib.suppress(FileNotFoundError):
            self.pidfile.unlink()

    def restart(self) -> None:
        """Stop and start again on the same ports: a new server boot, so a new NFSv3 write verifier."""
        self.stop()
        # ganesha's write verifier is its start time in whole seconds: the new boot must be in a later second.
        while int(time.time()) <= int(self._started_at):
            time.sleep(0.05)
        deadline = time.monotonic() + 10
        while _answers(self.nfs_port) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.start()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def close(self) -> None:
        """Stop for good: also removes the config/log folder when start_ganesha made it."""
        self.stop()
        if self.remove_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> GaneshaProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_ganesha(export_dir: str | os.PathLike[str], *, container: str = "container1",
                  allowed_clients: Iterable[str] | None = None, privileged_port: bool = False,
                  workdir: str | os.PathLike[str] | None = None) -> GaneshaProcess:
    """Start ganesha exporting ``export_dir`` as ``/<container>`` (NFSv3 over TCP on 127.0.0.1).

    ``allowed_clients``: None lets every client in; a list (addresses, CIDRs) lets only those in, like a
    cluster's NFS whitelist.  ``privileged_port`` refuses clients whose source port is 1024 or above.
    Raises ``GaneshaUnavailable`` when it cannot run.  Stop it with ``close()`` (or use it as a context
    manager); ``stop()``/``start()``/``restart()`` keep its folder and ports for another start.
    """
    export_path = Path(export_dir).resolve()
    export_path.mkdir(parents=True, exist_ok=True)
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="ganesha-")) if workdir is None else Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    proc = GaneshaProcess(export_dir=export_path, container=container, workdir=work, nfs_port=0, mount_port=0,
                          allowed_clients=None if allowed_clients is None else tuple(allowed_clients),
                          privileged_port=privileged_port, remove_workdir=own)
    for attempt in range(3):
        # A free port may be taken by someone else before ganesha binds it: then try other ports.
        proc.nfs_port = _free_port()
        proc.mount_port = _free_port()
        while proc.mount_port == proc.nfs_port:
            proc.mount_port = _free_port()
        try:
            proc.start()
            return proc
        except GaneshaUnavailable:
            proc.stop()
            if attempt == 2 or unavailable_reason():
                proc.close()
                raise
        except BaseException:
            proc.close()
            raise
    raise AssertionError("unreachable")


# -- pytest fixtures -----------------------------------------------------------------------------


if pytest is not None:
    def _skip_unless_possible() -> None:
        reason = unavailable_reason()
        if reason:
            pytest.skip(reason)


    @pytest.fixture(scope="session")
    def ganesha(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GaneshaProcess]:
        """One ganesha for the session, exporting a fresh directory as ``/container1``."""
        _skip_unless_possible()
        base = tmp_path_factory.mktemp("ganesha")
        proc = start_ganesha(base / "export", workdir=base / "run")
        try:
            yield proc
        finally:
            proc.stop()


    @pytest.fixture
    def ganesha_private(tmp_path: Path) -> Iterator[GaneshaProcess]:
        """A ganesha of the test's own, for tests that restart or stop it."""
        _skip_unless_possible()
        proc = start_ganesha(tmp_path / "export", workdir=tmp_path / "run")
        try:
            yield proc
        finally:
            proc.stop()


    @pytest.fixture
    def ganesha_factory(tmp_path: Path) -> Iterator[GaneshaFactory]:
        """``ganesha_factory(allowed_clients=[...], container=...)`` starts extra instances, all stopped after."""
        _skip_unless_possible()
        started: list[GaneshaProcess] = []

        def factory(*, container: str = "container1", allowed_clients: Iterable[str] | None = None,
                    privileged_port: bool = False, export_dir: Path | None = None) -> GaneshaProcess:
            n = len(started)
            proc = start_ganesha(export_dir or tmp_path / f"export{n}", container=container,
                                 allowed_clients=allowed_clients, privileged_port=privileged_port,
                                 workdir=tmp_path / f"run{n}")
            started.append(proc)
            return proc

        try:
            yield factory
        finally:
            for proc in started:
                proc.stop()
