"""Disk transfer: the CBT extent copy engine and the sparse image formats of the cold path.

Vendor-free: it sees the source and the target only through the
``DiskReader``/``DiskWriter`` ports (import-linter keeps it that way).
"""

from __future__ import annotations

from .copy import CopyResult, copy_disk
from .cursor import CursorStore, MemoryCursorStore
from .digest import ContentDigest, content_digest_of
from .local import FileDiskReader, LocalFileWriter
from .progress import CopyProgress, ProgressMeter
from .retry import RetryPolicy
from .scheduler import CopyScheduler
from .throttle import TokenBucket

__all__ = [
    "ContentDigest",
    "CopyProgress",
    "CopyResult",
    "CopyScheduler",
    "CursorStore",
    "FileDiskReader",
    "LocalFileWriter",
    "MemoryCursorStore",
    "ProgressMeter",
    "RetryPolicy",
    "TokenBucket",
    "content_digest_of",
    "copy_disk",
]
