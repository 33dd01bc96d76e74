"""Pure domain model: neutral inventory, plan, readiness rules, extent arithmetic.

Nothing here does I/O or imports anything outside ``xtract_gui.domain`` and the
standard library.
"""
