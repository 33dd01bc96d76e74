"""What a disk copy reports, and how its errors name the disk and the place."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.errors import CancelledError, XtractError
from ..domain.extents import Extent


@dataclass(frozen=True)
class CopyResult:
    target: str  # what ``writer.finish()`` returned ("" with ``finish=False``)
    total_bytes: int  # bytes planned: the requested extents plus the small gaps merged into them
    requested_bytes: int  # bytes of the requested extents (clipped to the disk; whole clusters for images)
    copied_bytes: int  # read from the source in this run
    written_bytes: int  # sent to the writer (copied minus skipped zeros)
    skipped_zero_bytes: int
    resumed_bytes: int  # already done according to the cursor; not read again
    chunks: int
    retries: int
    verified_bytes: int  # read back and compared (random-access writers)
    content_digest: str  # of the source as copied (sequential writers), "" otherwise
    peak_chunks_in_flight: int
    seconds: float
    worker_pid: int = 0  # the copy worker process that did the byte work (0: the engine's own process)


def annotate(err: BaseException, name: str, ext: Extent | None) -> BaseException:
    """The same error type, its message prefixed with the disk and offset, so a person knows where."""
    if not isinstance(err, XtractError) or isinstance(err, CancelledError):
        return err
    where = f"Copying {name}" + (f" at offset {ext.offset} ({ext.length} bytes)" if ext else "")
    new = type(err).__new__(type(err))
    new.__dict__.update(err.__dict__)
    new.message = f"{where}: {err.message}"
    new.args = (new.message,)
    new.__cause__ = err
    return new
