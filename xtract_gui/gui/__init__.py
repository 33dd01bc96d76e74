"""The PySide6 desktop wizard and job monitor (the only package that imports Qt or qasync).

Layout: ``flow`` (wizard navigation and the plan, no Qt; its answers in
``flow_answers`` and per-page validation in ``flow_rules``) and ``texts`` (units, the
plan in words) · ``backend`` (slow calls as plain Python: connect, inventory,
readiness, guest test, keyring) · ``bridge`` (the one engine-events → Qt-signals
object, and the executor ``Service``) · ``controller`` (every call on the
JobManager) · ``models``/``steps_model`` (QAbstractTableModels) · ``pages_*`` and
``wizard`` (the six pages) · ``monitor``/``plot`` (job monitor; ``monitor_feed`` reads the engine's views off the GUI
thread and orders them with the events) · ``window`` (main
window; ``_connect_signals`` is the one place signals are wired) · ``app``
(composition root: ``run_gui``, translations, crash handler) · ``preview``
(scripted stand-in engine for screenshots and GUI-only tests) · ``screenshots``
and ``i18n`` (tools) · ``_compat`` (PySide6 6.12.0 refcount guard).

Qt Designer forms in ``ui/`` are loaded at run time with ``QUiLoader``
(``pages_base.load_ui``), not compiled: the frozen app ships the .ui files
under ``paths.ui_dir()``, and their strings are translated through the
installed ``QTranslator`` like the rest.  Translations: ``assets/i18n/*.ts``
compiled with ``pyside6-lrelease`` to ``.qm`` next to them.
"""

import contextlib

from ._compat import guard_singletons as _guard

# PySide6 6.12.0 on Python 3.11 drops references to True/None (see _compat); PySide6 missing: flow and
# backend still import for headless tests.
with contextlib.suppress(ImportError):
    _guard()
