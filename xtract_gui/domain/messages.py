"""User-facing text as data: a message is an id, its English template and its parameters.

Every sentence the engine or the domain shows a person (readiness findings, errors and their hints, step
titles, step results, durations) is a ``Message``.  A ``Message`` *is* a ``str`` — its English rendering —
so the CLI, the logs, the report, JSON output and every existing comparison keep working unchanged; the GUI
looks at ``isinstance(text, Message)`` and renders it again in its own language (``render(translate)``,
where ``translate`` returns the template translated from the .ts catalog, looked up by the English template
with the id as disambiguation, see gui/i18n.py).

Parameters are plain values or other messages (a reason inside a sentence), rendered in the same language.
A message crosses the SQLite store as JSON (``encode``/``decode``), so a step result read back after a
restart is still translatable; text that is not an encoded message decodes to itself (a plain ``str``).

The extractor (``python -m xtract_gui.gui.i18n update``) finds every ``msg("id", "template", …)`` and
``plural("id", n, "one", "other", …)`` call whose id and templates are literals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Translate = Callable[["Message"], str]  # the template of a message in another language (or the English one)
RAW = "raw"  # the id of text that is final as it is (a remote system's own words)
_MARK = '{"msg":'


class Message(str):
    """A sentence for people: ``str(m)`` is English; ``m.render(translate)`` is the same in another language."""

    id: str
    template: str
    params: dict[str, Any]

    def __new__(cls, id: str, template: str, params: Mapping[str, Any] | None = None) -> Message:
        values = dict(params or {})
        self = super().__new__(cls, _format(template, template, values, None))
        self.id, self.template, self.params = id, template, values
        return self

    def render(self, translate: Translate | None = None) -> str:
        """The message in the language ``translate`` gives templates in (English without one)."""
        if translate is None or self.id == RAW:
            return _format(self.template, self.template, self.params, translate)
        return _format(translate(self), self.template, self.params, translate)

    def map_text(self, fn: Callable[[str], str]) -> Message:
        """The same message with ``fn`` applied to every text parameter (scrubbing secrets before storage)."""
        return Message(self.id, self.template, {k: _map(v, fn) for k, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        return {"msg": self.id, "en": self.template, "p": {k: _dump(v) for k, v in self.params.items()}}

    def __reduce__(self) -> tuple[Any, ...]:  # pickling and deepcopy keep the structure
        return (Message, (self.id, self.template, self.params))

    def __repr__(self) -> str:
        return f"Message({self.id!r}, {str(self)!r})"


def _format(template: str, english: str, params: Mapping[str, Any], translate: Translate | None) -> str:
    values = {k: (v.render(translate) if isinstance(v, Message) else v) for k, v in params.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):  # a translation that names a field wrongly: English is better
        return english.format(**values) if template is not english else template


def _map(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, Message):
        return value.map_text(fn)
    return fn(value) if isinstance(value, str) else value


def _dump(value: Any) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    return value if isinstance(value, int | float | bool) or value is None else str(value)


def _load(value: Any) -> Any:
    if isinstance(value, dict) and "msg" in value and "en" in value:
        return Message(str(value["msg"]), str(value["en"]), {k: _load(v) for k, v in dict(value.get("p", {})).items()})
    return value


def msg(id: str, template: str, **params: Any) -> Message:
    """A message: ``id`` names it for translators ("readiness.tools_not_running"), ``template`` is its English
    text with ``{name}`` fields filled from ``params``."""
    return Message(id, template, params)


def plural(id: str, n: int, one: str, other: str, **params: Any) -> Message:
    """English needs two forms ("1 VM", "2 VMs"); each is its own message (``id.one``/``id.other``) so that a
    language with one form translates both alike.  ``n`` is passed to the template as ``{n}``."""
    return Message(f"{id}.{'one' if n == 1 else 'other'}", one if n == 1 else other, {"n": n, **params})


def raw(text: str) -> Message:
    """Text that is final as it is: a guest script's or a remote system's own words."""
    return text if isinstance(text, Message) else Message(RAW, "{text}", {"text": str(text)})


def seconds(s: float | None) -> Message:
    """A duration as people read it: "42 s", "3 min 05 s", "2 h 10 min" ("–" when unknown)."""
    if s is None or s < 0:
        return msg("units.unknown", "–")
    whole = int(s)
    if whole < 60:
        return msg("units.seconds", "{s} s", s=whole)
    if whole < 3600:
        return msg("units.minutes", "{m} min {s:02d} s", m=whole // 60, s=whole % 60)
    return msg("units.hours", "{h} h {m:02d} min", h=whole // 3600, m=whole % 3600 // 60)


def took(s: float) -> Message:
    """How long a step took ("12.3 s")."""
    return msg("units.took", "{s:.1f} s", s=float(s))


def encode(value: str) -> str:
    """What the store keeps: a message as JSON (so it can be shown in another language later), text as is."""
    if isinstance(value, Message) and value.id != RAW:
        return json.dumps(value.to_dict(), ensure_ascii=False)
    return str(value)


def decode(stored: str | None) -> str:
    """The inverse of ``encode``: a ``Message`` for an encoded one, the text itself otherwise."""
    if not stored or not stored.startswith(_MARK):
        return stored or ""
    try:
        loaded = _load(json.loads(stored))
    except ValueError:
        return stored
    return loaded if isinstance(loaded, Message) else stored


def joined(items: list[str], id: str = "list.items") -> Message:
    """Several messages in one line ("a; b; c"), each still translatable."""
    params = {f"i{k}": item if isinstance(item, Message) else raw(item) for k, item in enumerate(items)}
    return Message(id, "; ".join(f"{{i{k}}}" for k in range(len(items))), params) if items else msg(id + ".none", "")
