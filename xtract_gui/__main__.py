"""``python -m xtract_gui`` is the ``xtract-gui`` command."""

import multiprocessing
import sys

from .cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless frozen; copy workers are spawned (transfer/workers)
    sys.exit(main())
