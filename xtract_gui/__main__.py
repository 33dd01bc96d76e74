"""``python -m xtract_gui`` is the ``xtract-gui`` command."""

import sys

from .cli import main

sys.exit(main())
