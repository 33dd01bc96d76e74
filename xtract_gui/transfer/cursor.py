"""Where a copy remembers which extents are safely on the target, so that a restart resumes.

The engine's SQLite store implements ``CursorStore`` with one row per
(job, disk, sync number); ``MemoryCursorStore`` is the in-process one for
tests and the lab.  The copy engine saves only after ``writer.flush()``
returned, so a saved extent is durable on the target.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..domain.extents import Extent, normalize


@runtime_checkable
class CursorStore(Protocol):
    """The done extents of one disk copy (one store object per copy, bound to its key by the engine)."""

    def load(self) -> list[Extent]:
        """What an earlier, interrupted run of this copy finished; empty for a new copy."""
        ...

    def save(self, done: Sequence[Extent]) -> None:
        """Replace the record with ``done`` (normalized, durable on the target).

        Called from the copy's checkpoint thread, never by two threads at once.
        """
        ...

    def clear(self) -> None:
        """Forget the copy (it finished, or the target was discarded)."""
        ...


class MemoryCursorStore:
    """A ``CursorStore`` in memory; ``saves`` counts the checkpoints (tests look at it)."""

    def __init__(self, done: Sequence[Extent] = ()) -> None:
        self._lock = threading.Lock()
        self._done = normalize(done)
        self.saves = 0

    def load(self) -> list[Extent]:
        with self._lock:
            return list(self._done)

    def save(self, done: Sequence[Extent]) -> None:
        with self._lock:
            self._done = normalize(done)
            self.saves += 1

    def clear(self) -> None:
        with self._lock:
            self._done = []
