"""``NfsDiskWriter``: the ``DiskWriter`` port over NFSv3, one raw file per source disk in the container.

Writes go out UNSTABLE (the server may keep them in memory) and ``flush`` sends COMMIT.  Each WRITE reply
carries the server's write verifier; if COMMIT returns a different one, the server restarted and dropped
what it had not made durable, so everything still uncommitted is written again before the COMMIT is
repeated.  That is why the writer keeps uncommitted data: at most ``max_uncommitted`` bytes (it commits on
its own beyond that), so memory stays flat whatever the disk size.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass

from ...domain.errors import IntegrityError, XtractError
from .errors import NfsError
from .nfs3 import FILE_SYNC, Nfs3Client

_MAX_VERIFIER_CHANGES = 5


@dataclass
class _Unstable:
    offset: int
    data: memoryview
    verifier: bytes


class NfsDiskWriter:
    """Random-access writes into ``/<container>/<path>``; safe to call from several threads at once.

    Overlapping writes are ordered only when they are not in flight at the same time (the copy engine never
    has two chunks of one range in flight); after a server restart they are replayed in their original order.
    """

    sequential = False

    def __init__(self, nfs: Nfs3Client, handle: bytes, path: str, ndfs_path: str, capacity: int, *,
                 wsize: int, rsize: int, max_uncommitted: int, remove: Callable[[], None]) -> None:
        self.capacity = capacity
        self.path = path
        self.ndfs_path = ndfs_path
        self._nfs = nfs
        self._fh = handle
        self._wsize = max(4096, wsize)
        self._rsize = max(4096, rsize)
        self._max_uncommitted = max_uncommitted
        self._remove = remove
        self._lock = threading.Condition()
        self._commit_lock = threading.Lock()
        self._unstable: dict[int, _Unstable] = {}
        self._unstable_bytes = 0
        self._seq = itertools.count()
        self._active_writes = 0
        self._replaying = False
        self._state = "open"
        # Counters for logs and tests: how much had to be written again after a verifier change.
        self.commits = 0
        self.verifier_changes = 0
        self.rewritten_bytes = 0

    # -- DiskWriter ----------------------------------------------------------------------------------

    def write(self, offset: int, data: bytes) -> None:
        if self._state != "open":
            raise XtractError(f"The NFS disk {self.path} is {self._state}; no more writes are taken.")
        if offset < 0 or offset + len(data) > self.capacity:
            raise IntegrityError(f"A write at {offset} of {len(data)} bytes falls outside the disk "
                                 f"({self.capacity} bytes) of {self.path}.",
                                 hint="The source disk changed size during the migration; start it again.")
        if not data:
            return
        # No copy, even of a bytearray: the caller hands the buffer over (see DiskWriter in engine/ports.py),
        # and a 4 MiB copy per chunk is a tenth of a CPU second per GiB.
        view = memoryview(data).cast("B").toreadonly()
        with self._lock:
            while self._replaying:
                self._lock.wait()
            self._active_writes += 1
        kept: list[_Unstable] = []
        try:
            kept = self._write_pieces([(offset + i, view[i:i + self._wsize])
                                       for i in range(0, len(view), self._wsize)])
        finally:
            # Recorded before this write stops counting as active, so that a replay sees all of it.
            with self._lock:
                for entry in kept:
                    self._unstable[next(self._seq)] = entry
                    self._unstable_bytes += len(entry.data)
                over = self._unstable_bytes > self._max_uncommitted
                self._active_writes -= 1
                self._lock.notify_all()
        if over:
            self._commit(only_over_limit=True)

    def read_back(self, offset: int, length: int) -> bytes | None:
        end = min(offset + length, self.capacity)
        if end <= offset:
            return b""
        pendings = [(pos, self._nfs.read_async(self._fh, pos, min(self._rsize, end - pos)))
                    for pos in range(offset, end, self._rsize)]
        parts: list[bytes] = []
        for pos, pending in pendings:
            data, eof = self._nfs.read_result(pending, self.ndfs_path)
            want = min(self._rsize, end - pos)
            while len(data) < want and not eof:  # a short read: ask for the rest
                more, eof = self._nfs.read(self._fh, pos + len(data), want - len(data), self.ndfs_path)
                if not more:
                    break
                data += more
            parts.append(data)
        return b"".join(parts)

    def flush(self) -> None:
        self._commit()

    def finish(self) -> str:
        if self._state == "aborted":
            raise XtractError(f"The NFS disk {self.path} was aborted; it cannot be finished.")
        if self._state == "open":
            self._commit()
            self._state = "finished"
        return self.ndfs_path

    def abort(self) -> None:
        self._state = "aborted"
        with self._lock:
            self._unstable.clear()
            self._unstable_bytes = 0
        self._remove()  # a file that is gone already is not an error

    # -- inside --------------------------------------------------------------------------------------

    @property
    def uncommitted_bytes(self) -> int:
        return self._unstable_bytes

    def _write_pieces(self, pieces: list[tuple[int, memoryview]]) -> list[_Unstable]:
        """Send all pieces at once (pipelined on the connection), then collect; returns what is not durable."""
        pendings = [(off, piece, self._nfs.write_async(self._fh, off, piece)) for off, piece in pieces]
        kept: list[_Unstable] = []
        error: XtractError | None = None
        for off, piece, pending in pendings:
            try:
                result = self._nfs.write_result(pending, self.ndfs_path)
                done = result.count
                while done < len(piece):  # a short write: the server took part of it
                    result = self._nfs.write_result(self._nfs.write_async(self._fh, off + done, piece[done:]),
                                                    self.ndfs_path)
                    if result.count == 0:
                        raise NfsError(f"The NFS server accepted no bytes writing {self.path} at {off + done}.",
                                       hint="Check free space and the server's log, then resume the copy.")
                    done += result.count
            except XtractError as exc:
                error = error or exc  # collect the other replies first so none is left dangling
                continue
            if result.committed != FILE_SYNC:
                kept.append(_Unstable(off, piece, result.verifier))
        if error is not None:
            raise error
        return kept

    def _commit(self, *, only_over_limit: bool = False) -> None:
        with self._commit_lock:
            if only_over_limit and self._unstable_bytes <= self._max_uncommitted:
                return  # another stream committed while this one waited for the lock
            for _ in range(_MAX_VERIFIER_CHANGES):
                with self._lock:
                    snapshot = dict(self._unstable)
                verifier = self._nfs.commit(self._fh, self.ndfs_path)
                self.commits += 1
                if all(e.verifier == verifier for e in snapshot.values()):
                    with self._lock:
                        for key, entry in snapshot.items():
                            if self._unstable.pop(key, None) is not None:
                                self._unstable_bytes -= len(entry.data)
                    return
                self.verifier_changes += 1
                self._replay()
        raise NfsError(f"The NFS server's write verifier changed {_MAX_VERIFIER_CHANGES} times while committing "
                       f"{self.path}: it keeps restarting and losing unwritten data.",
                       hint="Check the cluster's health (CVM restarts, storage failover), then resume the copy.")

    def _replay(self) -> None:
        """Write every uncommitted range again, in the order first written, with no other write in flight."""
        with self._lock:
            self._replaying = True
            while self._active_writes:
                self._lock.wait()
            entries = sorted(self._unstable.items())
        try:
            for batch in _batches(entries):
                kept = self._write_pieces([(e.offset, e.data) for _, e in batch])
                self.rewritten_bytes += sum(len(e.data) for _, e in batch)
                fresh = {(k.offset, len(k.data)): k.verifier for k in kept}
                with self._lock:
                    for key, entry in batch:
                        verifier = fresh.get((entry.offset, len(entry.data)))
                        if verifier is None:  # came back FILE_SYNC: durable already
                            if self._unstable.pop(key, None) is not None:
                                self._unstable_bytes -= len(entry.data)
                        else:
                            entry.verifier = verifier
        finally:
            with self._lock:
                self._replaying = False
                self._lock.notify_all()


def _batches(entries: list[tuple[int, _Unstable]], window: int = 16) -> list[list[tuple[int, _Unstable]]]:
    """Runs of entries that may be in flight together: a batch's writes travel on several connections and
    land in any order, so an entry that overlaps one already in the batch starts the next batch."""
    batches: list[list[tuple[int, _Unstable]]] = []
    current: list[tuple[int, _Unstable]] = []
    for key, entry in entries:
        end = entry.offset + len(entry.data)
        if len(current) >= window or any(e.offset < end and entry.offset < e.offset + len(e.data)
                                         for _, e in current):
            batches.append(current)
            current = []
        current.append((key, entry))
    if current:
        batches.append(current)
    return batches
