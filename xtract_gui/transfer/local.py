"""A disk reader and a disk writer over local files (lab stand-in, tests, exports to a laptop folder)."""

from __future__ import annotations

import contextlib
import errno
import mmap
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..domain.errors import XtractError
from ..engine.ports import WorkerDisk

_POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # Linux: map the pages at once, not one fault per 4 KiB


def _os_error(action: str, path: Path, err: OSError) -> XtractError:
    if err.errno == errno.ENOSPC:
        hint = f"Free space on the file system holding {path.parent} (or pick another folder) and resume the copy."
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"Give this user write access to {path.parent}, or pick another folder."
    else:
        hint = "Check the disk and the path, then resume the copy."
    return XtractError(f"Cannot {action} {path}: {err.strerror or err}.", hint=hint, detail=repr(err))


class FileDiskReader:
    """``DiskReader`` over a raw disk file; ``pread`` keeps it safe across threads without a lock."""

    def __init__(self, path: str | os.PathLike[str], capacity: int | None = None) -> None:
        self.path = Path(path)
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except OSError as err:
            raise _os_error("open", self.path, err) from err
        self.capacity = capacity if capacity is not None else os.fstat(self._fd).st_size

    def read(self, offset: int, length: int) -> bytes:
        length = max(0, min(length, self.capacity - offset))
        try:
            data = os.pread(self._fd, length, offset)
        except OSError as err:
            raise _os_error("read", self.path, err) from err
        if len(data) < length:
            # A file shorter than the declared capacity reads as zeros past its end, like a thin disk.
            data += bytes(length - len(data))
        return data

    def read_into(self, offset: int, into: memoryview) -> None:
        try:
            got = os.preadv(self._fd, [into], offset)
        except OSError as err:
            raise _os_error("read", self.path, err) from err
        if got < into.nbytes:  # past the file's end: zeros, as in ``read``
            into[got:] = bytes(into.nbytes - got)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def worker_spec(self) -> WorkerDisk:
        """The same file, opened again by a copy worker."""
        return WorkerDisk(FileReaderSpec(str(self.path), self.capacity))


@dataclass(frozen=True)
class FileReaderSpec:
    """A ``FileDiskReader`` described for a copy worker (``engine.ports.WorkerDisk``)."""

    path: str
    capacity: int

    def open(self, call: Any) -> FileDiskReader:
        return FileDiskReader(self.path, self.capacity)


@dataclass(frozen=True)
class LocalWriterSpec:
    """A ``LocalFileWriter`` described for a copy worker; ``finish_as``: what ``finish`` returns instead of the path."""

    path: str
    capacity: int
    fresh: bool
    finish_as: str = ""

    def open(self, call: Any) -> LocalFileWriter:
        return LocalFileWriter(self.path, self.capacity, fresh=self.fresh, finish_as=self.finish_as)


class LocalFileWriter:
    """``DiskWriter`` into a raw, sparse local file.

    ``fresh=True`` creates (truncates) the file at ``capacity``: unwritten
    areas read as zeros, so the copy engine may skip zero chunks
    (``skip_zeros``), and ``abort`` deletes the file.  ``fresh=False`` updates
    an existing copy (a delta): every chunk is written, zeros included, because
    a zero the guest wrote must overwrite the old data there.  Resuming an
    interrupted *seed* opens with ``fresh=False, skip_zeros=True``: every area
    still to copy was either never written or written from the same snapshot.
    """

    sequential = False
    retains_writes = False  # ``write`` is done with the buffer when it returns: the engine may reuse it

    def __init__(self, path: str | os.PathLike[str], capacity: int, *, fresh: bool = True,
                 skip_zeros: bool | None = None, finish_as: str = "") -> None:
        self.path = Path(path)
        self.finish_as = finish_as
        self.capacity = capacity
        self.fresh = fresh
        self.skip_zeros = fresh if skip_zeros is None else skip_zeros
        self._lock = threading.Lock()
        flags = os.O_RDWR | (os.O_CREAT | os.O_TRUNC if fresh else 0)
        try:
            self._fd = os.open(self.path, flags, 0o600)
            if fresh:
                os.ftruncate(self._fd, capacity)
            elif os.fstat(self._fd).st_size < capacity:
                # The source disk grew since the seed: extend, the new area reads as zeros.
                os.ftruncate(self._fd, capacity)
        except OSError as err:
            raise _os_error("create" if fresh else "open", self.path, err) from err

    def write(self, offset: int, data: bytes) -> None:
        if offset + len(data) > self.capacity:
            raise ValueError(f"write past the end of {self.path}: {offset}+{len(data)} > {self.capacity}")
        try:
            view = memoryview(data)
            while view:
                n = os.pwrite(self._fd, view, offset)
                view, offset = view[n:], offset + n
        except OSError as err:
            raise _os_error("write to", self.path, err) from err

    def read_back(self, offset: int, length: int) -> bytes | None:
        try:
            return os.pread(self._fd, length, offset)
        except OSError as err:
            raise _os_error("read back", self.path, err) from err

    @contextlib.contextmanager
    def read_back_view(self, offset: int, length: int) -> Iterator[memoryview]:
        """The written bytes as the file system now holds them, mapped rather than copied into a buffer.

        A read-back check only hashes the bytes: mapping the page cache costs a third of the CPU of reading
        it into a buffer (``benchmarks/transfer.py``, verification on).
        """
        start = offset - offset % mmap.ALLOCATIONGRANULARITY
        try:
            if sys.platform == "win32":
                mapped = mmap.mmap(self._fd, offset + length - start, access=mmap.ACCESS_READ, offset=start)
            else:
                mapped = mmap.mmap(self._fd, offset + length - start, flags=mmap.MAP_SHARED | _POPULATE,
                                   prot=mmap.PROT_READ, offset=start)
        except (OSError, ValueError) as err:
            raise _os_error("read back", self.path, err if isinstance(err, OSError) else OSError(str(err))) from err
        view = memoryview(mapped)
        part = view[offset - start:]
        try:
            yield part
        finally:
            part.release()
            view.release()
            mapped.close()

    def read_back_into(self, offset: int, into: memoryview) -> int:
        try:
            return os.preadv(self._fd, [into], offset)
        except OSError as err:
            raise _os_error("read back", self.path, err) from err

    def flush(self) -> None:
        try:
            os.fsync(self._fd)
        except OSError as err:
            raise _os_error("flush", self.path, err) from err

    def finish(self) -> str:
        self.flush()
        self._close()
        return self.finish_as or str(self.path)

    def close(self) -> None:
        """Let go of the file without finishing it (a failed copy keeps what it wrote, for a resume)."""
        self._close()

    def abort(self) -> None:
        self._close()
        if self.fresh:
            self.path.unlink(missing_ok=True)

    def _close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
