"""Entry point PyInstaller freezes: the same ``main`` as the ``xtract-gui`` console script."""

import multiprocessing

from xtract_gui.cli import main

if __name__ == "__main__":
    # Copy workers are started with the spawn method: in the frozen app each one is this executable again,
    # and freeze_support turns it into the worker instead of a second app.
    multiprocessing.freeze_support()
    raise SystemExit(main())
