"""pytest plugin that makes Qt unimportable, standing in for "PySide6 not installed".

Used by tests/test_architecture.py to run the domain and engine tests the way a
headless machine without PySide6 would (napari's habit: the model never needs Qt).
"""

from __future__ import annotations

import importlib.abc
import sys

BLOCKED = ("PySide6", "shiboken6", "qasync")


class _NoQt(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path, target=None):  # type: ignore[no-untyped-def]
        if fullname.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {fullname!r} (blocked: Qt-free test run)")
        return None


sys.meta_path.insert(0, _NoQt())
for name in list(sys.modules):
    if name.split(".")[0] in BLOCKED:
        del sys.modules[name]
