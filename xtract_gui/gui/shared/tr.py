"""Engine and domain text shown in the GUI's language, and the units every screen uses.

A ``domain.messages.Message`` is looked up in the installed Qt translators under the context ``messages``, by its
English template with its id as the disambiguation (the .ts entries ``gui/i18n.py`` extracts); plain text (a
remote system's own words, a VM name) is shown as it is.  Step titles the engine keeps as plain English (guest
task titles from the manifest) are looked up the same way with the id ``step``.

Rates are in Mbit/s everywhere (the unit network people speak and the bandwidth limit is set in), sizes in
binary units.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ...domain.messages import Message

CONTEXT = "messages"
STEP_ID = "step"  # the disambiguation of step titles kept as plain text


def translate(m: Message) -> str:
    """The template of ``m`` in the installed language (the English one when there is no translation)."""
    return QCoreApplication.translate(CONTEXT, m.template, m.id)


def shown(text: object) -> str:
    """``text`` as a person reads it in the GUI's language."""
    if isinstance(text, Message):
        return text.render(translate)
    return "" if text is None else str(text)


def step_title(title: object) -> str:
    if isinstance(title, Message):
        return shown(title)
    return QCoreApplication.translate(CONTEXT, str(title), STEP_ID) if title else ""


def mbit_per_s(bytes_per_s: float) -> float:
    return bytes_per_s * 8 / 1e6


def human_rate(bytes_per_s: float) -> str:
    """A transfer rate in the network unit: "380 Mbit/s", "1.25 Gbit/s"."""
    mbit = mbit_per_s(bytes_per_s)
    if mbit >= 1000:
        return f"{mbit / 1000:.2f} Gbit/s"
    return f"{mbit:.1f} Mbit/s" if mbit < 10 else f"{mbit:.0f} Mbit/s"
