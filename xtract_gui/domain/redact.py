"""Scrubbing secrets from anything that is about to be logged or shown."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "********"

# key=value, key: value, "key": "value", -Password value, /p:value — the shapes secrets take in
# command lines, URLs and JSON that reach a log.
_PATTERNS = [
    re.compile(r'(?i)("?(?:password|passwd|pwd|secret|token|apikey|api_key)"?\s*[:=]\s*)("[^"]*"|\'[^\']*\'|[^\s,;&}]+)'),
    re.compile(r"(?i)(-(?:password|pass|pwd|secret|token)\s+)(\"[^\"]*\"|'[^']*'|\S+)"),
    re.compile(r"(?i)(/p(?:assword)?:)(\S+)"),
    re.compile(r"(?i)(://[^:/@\s]+:)([^@\s]+)(@)"),
    re.compile(r"(?i)(authorization:\s*(?:basic|bearer|negotiate|ntlm)\s+)(\S+)"),
]


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask known secret values and anything shaped like a credential."""
    for s in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(s, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK + (m.group(3) if m.lastindex and m.lastindex >= 3 else ""),
                           text)
    return text
