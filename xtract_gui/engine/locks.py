"""One process drives a job at a time: the wizard and a CLI ``run`` (or two CLIs) on one data folder would
otherwise both copy into the same files, both create the VM, both roll back.

Each job has a lock file in the data folder (``locks/<hash of the VM id>.lock``) that the driving process holds
with an OS lock (``flock``; ``msvcrt.locking`` on Windows), which the OS releases when the process ends, however
it ends: a crashed process never leaves a job locked.  Next to it, ``.who`` says who holds it (command, pid,
user, host, since when), for the message the second process shows.  Locks are per process, not per thread: one
``JobLocks`` serves a whole ``JobManager``.
"""

from __future__ import annotations

import getpass
import os
import socket
import threading
import time
from pathlib import Path

from ..domain.errors import ConflictError
from .naming import short_hash

if os.name == "nt":  # pragma: no cover - the Windows app
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class JobLockedError(ConflictError):
    """Another process drives this job; ``holder`` says which."""

    def __init__(self, message: str, *, holder: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.holder = holder


def describe_process(command: str = "") -> str:
    """What the ``.who`` file says about this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    what = command or "xtract-gui"
    return f"{what} (pid {os.getpid()}, {user}@{socket.gethostname()}, since {time.strftime('%Y-%m-%d %H:%M')})"


class JobLocks:
    def __init__(self, folder: Path, *, who: str = "") -> None:
        self.folder = Path(folder)
        self.who = who or describe_process()
        self._held: dict[str, int] = {}  # vm_id -> descriptor holding its lock
        self._lock = threading.Lock()

    def _path(self, vm_id: str) -> Path:
        return self.folder / f"{short_hash(vm_id, 16)}.lock"

    def held(self, vm_id: str) -> bool:
        with self._lock:
            return vm_id in self._held

    def acquire(self, vm_id: str, name: str = "") -> bool:
        """Take the job's lock; True when taken now, False when this process held it already.  Raises
        ``JobLockedError`` naming the holder when another process drives the job."""
        with self._lock:
            if vm_id in self._held:
                return False
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(vm_id)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                holder = self._who(path)
                raise JobLockedError(
                    f"{name or vm_id} is being migrated by another xtract-gui process: {holder}.",
                    holder=holder,
                    hint="Use that window or terminal (its 'cutover' requests are picked up from here too), or stop "
                         "it and run this again.")
            self._held[vm_id] = fd
            path.with_suffix(".who").write_text(f"{self.who}\n", encoding="utf-8")
            return True

    def release(self, vm_id: str) -> None:
        with self._lock:
            fd = self._held.pop(vm_id, None)
        if fd is not None:
            try:
                _unlock(fd)
            finally:
                os.close(fd)

    def release_all(self) -> None:
        for vm_id in list(self._held):
            self.release(vm_id)

    def holder(self, vm_id: str) -> str | None:
        """Who drives the job: None when nobody, this process's description when we do."""
        with self._lock:
            if vm_id in self._held:
                return self.who
        path = self._path(vm_id)
        if not path.exists():
            return None
        fd = os.open(path, os.O_RDWR)
        try:
            if _try_lock(fd):
                _unlock(fd)
                return None
            return self._who(path)
        finally:
            os.close(fd)

    def elsewhere(self, vm_id: str) -> bool:
        """Another process drives the job now."""
        return not self.held(vm_id) and self.holder(vm_id) is not None

    @staticmethod
    def _who(path: Path) -> str:
        try:
            return path.with_suffix(".who").read_text(encoding="utf-8").strip() or "another xtract-gui"
        except OSError:
            return "another xtract-gui"
