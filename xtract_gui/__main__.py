"""``python -m xtract_gui`` is the ``xtract-gui`` command."""

import multiprocessing
import sys

from .cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a no-op unless frozen; the GUI's engine process and copy workers are spawned
    sys.exit(main())
