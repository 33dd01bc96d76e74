"""Work around PySide6 6.12.0's reference-count bug on Python 3.11.

On Python < 3.12 (no immortal objects), PySide6/shiboken6 6.12.0 drops a
reference to ``True`` on every ``SignalInstance.emit()`` and to ``None`` when
``QModelIndex.data()`` or a callback yields an invalid QVariant.  After a few
hundred signals the interpreter aborts with "Fatal Python error: bool_dealloc"
(or ``none_dealloc``).  Python 3.12 made these singletons immortal; here we do
the same by giving them a reference count they can never exhaust.  The
singletons are statically allocated and never freed, so extra references are
harmless.  ``needs_refcount_guard()`` measures the bug rather than trusting a
version number, so a fixed PySide6 leaves the interpreter untouched.
"""

from __future__ import annotations

import ctypes
import sys

_RESERVE = 1 << 40
_applied = False


def needs_refcount_guard() -> bool:
    if sys.version_info >= (3, 12):
        return False
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(4):
        probe.ping.emit()
    leaked = before - sys.getrefcount(True)
    if leaked > 0:
        _add_refs(True, leaked)  # give back what the probe itself took
    return leaked > 0


def _add_refs(obj: object, n: int) -> None:
    ctypes.c_ssize_t.from_address(id(obj)).value += n  # ob_refcnt is the first field of every PyObject


def guard_singletons() -> bool:
    """Make None/True/False effectively immortal when the running PySide6 needs it; True if applied."""
    global _applied
    if _applied or not needs_refcount_guard():
        return _applied
    for singleton in (None, True, False, Ellipsis, NotImplemented):
        _add_refs(singleton, _RESERVE)
    _applied = True
    return True
