"""The PySide6 desktop wizard and job monitor (the only package that imports Qt or qasync).

Layout, by screen (each module one job):

- top level: ``app`` (composition root: ``run_gui``, translations, crash handler) · ``window`` (main window;
  ``_connect_signals`` is the one place signals are wired) · ``bridge`` (the one engine-events → Qt-signals
  object, and the executor ``Service``) · ``controller`` (every call on the JobManager) · ``preview``
  (scripted stand-in engine for screenshots and GUI-only tests) · ``screenshots`` and ``i18n`` (tools) ·
  ``gc_guard``, ``qpa_check``, ``_compat`` (process-wide guards).
- ``wizard/``: ``flow`` (navigation and the plan, no Qt; answers in ``flow_answers``, per-page validation in
  ``flow_rules``) · ``backend`` (slow calls as plain Python: connect, inventory, readiness, guest test,
  keyring) · ``pages_*`` and ``widget`` (the six pages).
- ``monitor/``: ``widget`` (the job monitor) · ``feed`` (reads the engine's views off the GUI thread and
  orders them with the events) · ``steps_model`` · ``plot``.
- ``shared/``: ``models`` (QAbstractTableModels and their plumbing) · ``icons`` · ``texts`` (units, the plan
  in words).

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
