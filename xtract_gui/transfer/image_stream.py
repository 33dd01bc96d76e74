"""A sequential ``DiskWriter`` that turns the copy into a sparse image byte stream for an upload.

The copy engine's coordinator calls ``write`` in offset order; the encoder
(qcow2, streamOptimized VMDK) turns each write into image bytes, which go
through a bounded queue to the upload callable running in its own thread
(e.g. ``lambda stream: target.upload_image(name, ctr, stream, size=enc.length,
disk_format=enc.disk_format)``).  The queue bounds memory and gives
backpressure both ways: a slow upload slows the copy, and a failed upload
fails the next ``write``.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Protocol

from ..domain.errors import CancelledError, IntegrityError, XtractError
from .digest import BlockDigests

UploadFn = Callable[[Iterable[bytes]], str]


class ImageEncoder(Protocol):
    """What an image format supplies to ``ImageStreamWriter``.

    The pieces it yields go to the upload thread as they are (no copy): neither the encoder nor the
    engine may change a buffer after it was yielded (the engine hands every chunk a fresh one).
    """

    disk_format: str  # as Prism names it: "qcow2" | "vmdk"
    capacity: int
    block_size: int  # the format's cluster/grain: the engine copies whole ones
    skip_zeros: bool  # True when the format can leave a zero block out
    length: int | None  # image bytes, when known before the copy

    def start(self) -> Iterator[bytes]: ...

    def write(self, offset: int, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...

    def content_digest(self) -> str: ...


class _Abort:
    pass


_END = object()
_ABORT = _Abort()


class ImageStreamWriter:
    """``DiskWriter`` (sequential) over an ``ImageEncoder`` and an upload callable.

    ``finish()`` returns what the upload returned (the image uuid, a path).
    ``abort()`` makes the byte iterator raise ``CancelledError`` inside the
    upload, so the target adapter sees a failed upload, not a short image.
    ``bytes_sent`` counts the image bytes handed to the upload.
    """

    sequential = True

    def __init__(self, encoder: ImageEncoder, upload: UploadFn, *, queue_depth: int = 4) -> None:
        self.encoder = encoder
        self.capacity = encoder.capacity
        self.block_size = encoder.block_size
        self.skip_zeros = encoder.skip_zeros
        self.disk_format = encoder.disk_format
        self.length = encoder.length
        self.bytes_sent = 0
        self._queue: queue.Queue[bytes | object] = queue.Queue(maxsize=queue_depth)
        self._result: str | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run_upload, args=(upload,), name="xtract-image-upload",
                                        daemon=True)
        self._thread.start()
        self._put_all(encoder.start())

    def _run_upload(self, upload: UploadFn) -> None:
        try:
            self._result = upload(self._stream())
        except BaseException as err:  # handed to the copy thread by the next write/finish
            self._error = err
        finally:
            # Unblock a producer waiting on a full queue after the consumer stopped reading.
            self._closed = True

    def _stream(self) -> Iterator[bytes]:
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Abort):
                raise CancelledError("The image upload was stopped because the disk copy failed or was cancelled.")
            assert isinstance(item, bytes | bytearray | memoryview)
            # Handed on as is (a bytearray straight from the source reader): the socket takes any bytes-like
            # object, and a bytes() here would copy every byte of the image once more.
            yield item  # type: ignore[misc]

    def _put(self, item: bytes | object) -> None:
        while True:
            if self._closed:
                self._raise_upload_failure()
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def _put_all(self, pieces: Iterable[bytes]) -> None:
        for piece in pieces:
            if piece:
                self._put(piece)
                self.bytes_sent += len(piece)

    def _raise_upload_failure(self) -> None:
        if self._error is not None:
            raise self._error
        raise XtractError("The image upload ended before the whole image was sent.",
                          hint="Check the target's image service, then run the copy again.")

    def prepare(self, offset: int, data: bytes) -> None:
        """Encode ahead in the copy's worker thread, when the format has costly work (compression)."""
        prepare = getattr(self.encoder, "prepare", None)
        if prepare is not None:
            prepare(offset, data)

    def prepare_digested(self, offset: int, data: bytes, blocks: BlockDigests) -> None:
        """``prepare`` with the content digest's block hashes that the copy engine made from ``data``."""
        given = getattr(self.encoder, "prepare_digested", None)
        if given is not None:
            given(offset, data, blocks)
        else:
            self.prepare(offset, data)

    def write(self, offset: int, data: bytes) -> None:
        self._put_all(self.encoder.write(offset, data))

    def read_back(self, offset: int, length: int) -> bytes | None:
        return None

    def flush(self) -> None:
        """Nothing to make durable mid-stream: an image is whole or absent."""

    def content_digest(self) -> str:
        return self.encoder.content_digest()

    def finish(self) -> str:
        self._put_all(self.encoder.finish())
        if self.length is not None and self.bytes_sent != self.length:
            self.abort()
            raise IntegrityError(
                f"The {self.disk_format} image came to {self.bytes_sent} bytes instead of the {self.length} "
                "announced.", hint="This is a defect; report it with the log. The image was discarded.")
        self._put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def abort(self) -> None:
        if not self._thread.is_alive():
            return
        # Make room so the abort marker gets in even when the consumer is slow.
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        with contextlib.suppress(queue.Full):
            self._queue.put(_ABORT, timeout=5)
        self._thread.join(timeout=30)


def upload_to_file(path: str | Path) -> UploadFn:
    """An upload callable that writes the image to a local file (demo export, tests); returns the path."""

    def upload(stream: Iterable[bytes]) -> str:
        target = Path(path)
        try:
            with target.open("wb") as f:
                for piece in stream:
                    f.write(piece)
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return str(target)

    return upload
