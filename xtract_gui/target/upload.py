"""A request body that streams an image from an iterator: bounded memory, progress, cancellation."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from ..domain.errors import IntegrityError
from ..engine.ports import Cancellation, ProgressFn


class UploadCancelled(Exception):
    """Raised inside the body iterator to abort the transfer; never leaves this package."""


class StreamBody:
    """Iterated by requests/urllib3 while sending.  With a known ``size`` it has a length, so requests sends
    ``Content-Length``; without one requests falls back to chunked transfer encoding."""

    def __init__(self, chunks: Iterable[bytes], size: int | None, progress: ProgressFn,
                 cancel: Cancellation | None, *, report_every: float = 0.5) -> None:
        self._chunks = chunks
        self.size = size
        self.sent = 0
        self._progress = progress
        self._cancel = cancel
        self._report_every = report_every
        self._last_report = 0.0

    def __iter__(self) -> Iterator[bytes]:
        for piece in self._chunks:
            if self._cancel is not None and self._cancel.is_set():
                raise UploadCancelled()
            if not piece:
                continue
            self.sent += len(piece)
            if self.size is not None and self.sent > self.size:
                raise IntegrityError(f"The image stream gave more than the announced {self.size} bytes.",
                                     hint="This is a bug in the disk source; report it with the log.")
            self._report()
            yield piece  # any bytes-like object; urllib3 sends it with sendall, so no copy into bytes
        if self.size is not None and self.sent != self.size:
            raise IntegrityError(f"The image stream ended after {self.sent} of {self.size} bytes.",
                                 hint="The source disk could not be read completely; retry the copy.")
        self._report(force=True)

    def __len__(self) -> int:
        if self.size is None:
            raise TypeError("unknown length")
        return self.size

    def _report(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_report < self._report_every:
            return
        self._last_report = now
        fraction = self.sent / self.size if self.size else 0.0
        self._progress(min(1.0, fraction), f"uploaded {self.sent / 2**20:.0f} MiB")


class UnsizedStreamBody:
    """The same stream without ``__len__``: requests sends it chunked."""

    def __init__(self, body: StreamBody) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)
