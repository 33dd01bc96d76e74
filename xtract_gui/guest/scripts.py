"""What both channels share about running a resource script: params file, secrets, the result line."""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re
import shlex
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


# -- run folders on Linux (issue 21.1) ------------------------------------------------------------
# ONE rule for every channel that reaches a Linux guest (VMware Tools, SSH), as shell code that runs in the
# guest as the guest account: make a fresh run folder, and check it again right before a script runs as root.
# The folder is a new entry directly in a root-owned sticky parent (/tmp): nobody else can have made it (the
# name is random and mkdir is exclusive), rename it or delete it (sticky), and it is the account's, 0700, so
# nobody else can put or swap a file inside.  No shared intermediate folder such as /tmp/xtract, which any
# local user could create first (the attack issue 21.1 reproduced) or another guest account may own.
LINUX_RUN_PARENT = "/tmp"
REFUSED = 86  # exit code of that shell code when a folder must not be used (rare for a script)

_LINUX_FOLDER_RULES = r"""
xtract_me=$(id -u)
xtract_refuse() { echo "refused: $*" >&2; return 1; }
# A folder on the way is safe when it is a directory and no link, belongs to root or to this account, and
# nobody else may write it, unless it is root's and sticky (/tmp: others cannot rename or delete our entries).
xtract_safe() {
  [ -L "$1" ] && { xtract_refuse "$1 is a symbolic link"; return 1; }
  [ -d "$1" ] || { xtract_refuse "$1 is not a directory"; return 1; }
  set -- "$1" $(stat -c '%u %a' -- "$1")
  if [ "$2" != 0 ] && [ "$2" != "$xtract_me" ]; then
    xtract_refuse "$1 is owned by uid $2, neither root nor the guest account"; return 1
  fi
  if [ $((8#$3 & 8#022)) -ne 0 ] && { [ "$2" != 0 ] || [ $((8#$3 & 8#1000)) -eq 0 ]; }; then
    xtract_refuse "$1 is writable by group or others (mode $3)"; return 1
  fi
}
xtract_path_safe() {
  xtract_safe / || return 1
  p=""
  for part in $(printf '%s' "$1" | tr '/' ' '); do p="$p/$part"; xtract_safe "$p" || return 1; done
}
# The run folder itself: this account's, mode 0700, nothing else.
xtract_leaf_safe() {
  xtract_path_safe "$(dirname -- "$1")" || return 1
  [ -L "$1" ] && { xtract_refuse "$1 is a symbolic link"; return 1; }
  [ -d "$1" ] || { xtract_refuse "$1 is not a directory"; return 1; }
  set -- "$1" $(stat -c '%u %a' -- "$1")
  if [ "$2" != "$xtract_me" ] || [ "$3" != 700 ]; then
    xtract_refuse "$1 has mode $3 owned by uid $2; a fresh run folder is 0700 and the guest account's"; return 1
  fi
}
"""


def linux_run_folder(parent: str = LINUX_RUN_PARENT) -> str:
    """A new run folder's path: a random name directly in ``parent`` (never a name someone could guess)."""
    return posixpath.join(parent.rstrip("/") or "/", f"xtract.{run_id()}")


def linux_make_run_folder(folder: str) -> str:
    """Shell code: make ``folder`` (mode 0700; it must not exist) after checking every folder above it, then
    check the folder itself; exit REFUSED with the reason on stderr otherwise.  Runs as the guest account,
    before anything is uploaded."""
    parent, q = posixpath.dirname(folder), shlex.quote(folder)
    return (_LINUX_FOLDER_RULES + f"umask 077\nxtract_path_safe {shlex.quote(parent)} || exit {REFUSED}\n"
            f"mkdir -m 0700 -- {q} || {{ xtract_refuse {shlex.quote(folder + ' exists already')}; exit {REFUSED}; }}\n"
            f"xtract_leaf_safe {q} || exit {REFUSED}\n")


def linux_guard_run(folder: str, command: str) -> str:
    """Shell code: check ``folder`` and every folder above it again, then run ``command`` (which may redirect
    into the folder: it is this account's, 0700, so nobody else can have planted a link there)."""
    return _LINUX_FOLDER_RULES + f"xtract_leaf_safe {shlex.quote(folder)} || exit {REFUSED}\nset -C\n{command}\n"


def refusal(exit_code: int, stderr: str) -> str:
    """The rule's reason when a run was refused by it ("" otherwise: a script's own exit code)."""
    if exit_code != REFUSED:
        return ""
    reasons = [line[len("refused: "):] for line in stderr.splitlines() if line.startswith("refused: ")]
    return reasons[-1] if reasons else ""


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
