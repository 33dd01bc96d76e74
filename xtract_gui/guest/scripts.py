"""What both channels share about running a resource script: params file, secrets, the result line."""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ..domain.errors import CancelledError
from ..domain.guest_tasks import GuestTask
from ..domain.redact import MASK

log = logging.getLogger("xtract_gui.guest")


def secret_values(task: GuestTask | None, params: Mapping[str, Any], extra: Iterable[str] = ()) -> list[str]:
    """Every value that must never reach a log: the task's secret params and the channel's own password."""
    values = [str(v) for v in extra if v]
    if task is not None:
        for name in task.secret_params:
            value = params.get(name)
            if value not in (None, ""):
                values.append(str(value))
    return values


def params_bytes(task: GuestTask | None, params: Mapping[str, Any]) -> bytes:
    """The params file: the task's parameters as one JSON object (the script reads then deletes it)."""
    body = dict(params)
    if task is not None:
        body.setdefault("task", task.id)
    return (json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def script_basename(task: GuestTask) -> str:
    name = posixpath.basename(task.script.replace("\\", "/"))
    return name or f"{task.id}.script"


def run_id() -> str:
    """A per-run folder name: two runs on one guest never share files."""
    return uuid.uuid4().hex[:16]


def parse_result(stdout: str) -> dict[str, Any]:
    """The last stdout line that is a JSON object (the script contract); {} when the script printed none."""
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return {}


def decode_output(data: bytes) -> str:
    # Windows PowerShell writes in the console code page unless told otherwise; our scripts print
    # UTF-8 JSON, so try that first and never fail on stray bytes.
    for encoding in ("utf-8-sig", "cp437"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


_CLIXML_STRING = re.compile(r"<S S=\"(?:Error|Warning)\">(.*?)</S>", re.S)
_CLIXML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def clean_clixml(text: str) -> str:
    """Windows PowerShell over WinRM writes error records to stderr as CLIXML; keep only their text."""
    if not text.lstrip().startswith("#< CLIXML"):
        return text
    pieces = [html.unescape(_CLIXML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), piece))
              for piece in _CLIXML_STRING.findall(text)]
    return "".join(pieces) or text


def check_cancel(cancel: Any, what: str) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError(f"Cancelled while {what}.", hint="Nothing else was started in the guest.")


def mask_values(text: str, secrets: Iterable[str]) -> str:
    """For script output handed back to the engine: only the known secret values are masked, so that
    JSON keys such as ``filter_administrator_token`` survive intact."""
    for value in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def mask_result(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        return mask_values(value, secrets)
    if isinstance(value, list):
        return [mask_result(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: mask_result(v, secrets) for k, v in value.items()}
    return value


def finish(exit_code: int, out: bytes, err: bytes, secrets: list[str]) -> tuple[str, str, dict[str, Any]]:
    """stdout, stderr and the parsed result of a script run, with every known secret value masked."""
    stdout = decode_output(out)
    result = mask_result(parse_result(stdout), secrets)
    return mask_values(stdout, secrets), mask_values(clean_clixml(decode_output(err)), secrets), result
