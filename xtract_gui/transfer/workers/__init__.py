"""Copy workers: the byte path of every disk copy in child processes (see ``pool.py``)."""

from __future__ import annotations

from .pool import WorkerPool, default_size
from .protocol import CopyOrder

__all__ = ["CopyOrder", "WorkerPool", "default_size"]
