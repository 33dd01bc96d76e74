"""A stand-in app for the SIGKILL tests: ``python -m tests.transfer.worker_parent SRC DST [--eof-only]``.

Starts a copy pool, begins a slow copy of SRC into DST in a worker, prints ``WORKER <pid>`` and waits to be
killed.  ``--eof-only`` starts the worker without its parent-death signal, so only the pipe's end can stop it.
"""

from __future__ import annotations

import os
import sys
import threading
import time

from tests.transfer.worker_specs import SlowReaderSpec, eof_only_worker
from xtract_gui.domain.extents import Extent
from xtract_gui.engine.ports import WorkerDisk
from xtract_gui.transfer.local import LocalWriterSpec
from xtract_gui.transfer.throttle import TokenBucket
from xtract_gui.transfer.workers import pool as pool_module


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    if "--eof-only" in sys.argv:
        pool_module.WORKER_MAIN = eof_only_worker
    pool = pool_module.WorkerPool(1, threads=2, throttle=TokenBucket(None))
    size = os.path.getsize(src)
    copying = threading.Event()
    threading.Thread(target=pool.copy, daemon=True, kwargs={
        "reader": WorkerDisk(SlowReaderSpec(src, size, delay=0.5)),
        "writer": WorkerDisk(LocalWriterSpec(dst, size, True)),
        "extents": [Extent(0, size)], "name": "slow", "chunk_size": 64 * 1024,
        "progress": lambda p: copying.set(), "progress_interval": 0.05}).start()
    copying.wait()  # the worker runs its copy: well past its start, where a gone parent is checked once
    print(f"WORKER {pool.processes()[0].pid}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
