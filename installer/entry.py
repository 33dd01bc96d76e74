"""Entry point PyInstaller freezes: the same ``main`` as the ``xtract-gui`` console script."""

from xtract_gui.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
