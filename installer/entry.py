"""Entry point PyInstaller freezes: the same ``main`` as the ``xtract-gui`` console script."""

import multiprocessing

from xtract_gui.cli import main

if __name__ == "__main__":
    # The engine process and the copy workers are started with the spawn method: in the frozen app each one
    # is this executable again, and freeze_support turns it into that child instead of a second app.
    multiprocessing.freeze_support()
    raise SystemExit(main())
