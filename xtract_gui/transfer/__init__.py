"""Disk transfer: the CBT extent copy engine and the sparse image formats of the cold path.

Vendor-free: it sees the source and the target only through the
``DiskReader``/``DiskWriter`` ports (import-linter keeps it that way).
"""

from __future__ import annotations

from .copy import copy_disk
from .cursor import CursorStore, MemoryCursorStore
from .digest import ContentDigest, content_digest_of
from .image_stream import ImageEncoder, ImageStreamWriter, upload_to_file
from .local import FileDiskReader, LocalFileWriter
from .plan import coalesce
from .progress import CopyProgress, ProgressMeter
from .qcow2 import Qcow2Encoder, Qcow2Layout
from .result import CopyResult
from .retry import RetryPolicy
from .scheduler import CopyScheduler
from .throttle import TokenBucket
from .vmdk import VmdkStreamEncoder

__all__ = [
    "ContentDigest",
    "CopyProgress",
    "CopyResult",
    "CopyScheduler",
    "CursorStore",
    "FileDiskReader",
    "ImageEncoder",
    "ImageStreamWriter",
    "LocalFileWriter",
    "MemoryCursorStore",
    "ProgressMeter",
    "Qcow2Encoder",
    "Qcow2Layout",
    "RetryPolicy",
    "TokenBucket",
    "VmdkStreamEncoder",
    "coalesce",
    "content_digest_of",
    "copy_disk",
    "upload_to_file",
]
