"""Recognise the command lines a WinRM client sends and answer them from the guest's state.

Only the shapes the product's WinRM channel sends are understood (make a run folder with the
prelude's folder rules, write a base64 piece read from stdin, read a file as base64, remove a folder,
run a script with its parameters on stdin, or with ``-ParamsFile``); anything else ends with exit
code 1 and says so on stderr, as PowerShell would for a command it cannot run.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from ...domain.errors import XtractError
from ...resources import load_manifest, script_tasks
from . import tasks
from .state import WindowsGuest

_ENCODED = re.compile(r"(?i)^powershell(?:\.exe)?\b.*?-EncodedCommand\s+(\S+)\s*$")
_WRITE = re.compile(r"\$p='((?:[^']|'')*)';.*FromBase64String.*FileMode\]::(Append|CreateNew|Create)\b", re.S)
_FOLDER = re.compile(r"Initialize-XtractFolder '((?:[^']|'')*)'( -Fresh)?")
_RUN_STDIN = re.compile(r"& '((?:[^']|'')*)' -ParamsJson \$j")
_READ = re.compile(r"ReadAllBytes\('((?:[^']|'')*)'\)")
_REMOVE = re.compile(r"Remove-Item -LiteralPath '((?:[^']|'')*)'")
_RUN = re.compile(r'(?i)^powershell(?:\.exe)?\s.*-File\s+"([^"]+)"\s+-ParamsFile\s+"([^"]+)"\s*$')


@lru_cache(maxsize=1)
def _manifest() -> tuple[frozenset[str], dict[str, str]]:
    """Task ids, and script file name (lower case) -> task id for scripts only one task runs."""
    try:
        return frozenset(t.id for t in load_manifest()), script_tasks()
    except XtractError:
        return frozenset(), {}


def task_of(script_name: str, params: dict[str, object]) -> str:
    """Which task a run is: the id the channel put in the params file, else the script's name.

    Never the script's text: every script starts with the same prelude, and the sha1 and sha2
    certificate tasks share one script, told apart only by their id and fixed params.
    """
    ids, by_script = _manifest()
    claimed = str(params.get("task", ""))
    if claimed in ids:
        return claimed
    return by_script.get(script_name.lower()) or claimed


def _unquote(text: str) -> str:
    return text.replace("''", "'")


@dataclass
class Command:
    """One command in a shell: its line, the stdin received so far, and its outcome once run."""

    line: str
    console_stdin: bool = True  # WINRS_CONSOLEMODE_STDIN: a console is not a pipe, $input sees nothing
    stdin: bytearray = field(default_factory=bytearray)
    stdin_closed: bool = False
    terminated: threading.Event = field(default_factory=threading.Event)
    outcome: tuple[int, str, str] | None = None
    delivered: bool = False


def execute(guest: WindowsGuest, user: str, command: Command) -> tuple[int, str, str] | None:
    """The command's (exit code, stdout, stderr), or None while it is still running (a hung task)."""
    line = command.line.strip()
    encoded = _ENCODED.match(line)
    if encoded:
        try:
            script = base64.b64decode(encoded.group(1)).decode("utf-16-le")
        except (binascii.Error, UnicodeDecodeError):
            return 1, "", "Cannot decode the -EncodedCommand argument.\r\n"
        stdin = b"" if command.console_stdin else bytes(command.stdin)
        run = _RUN_STDIN.search(script)
        if run:
            try:
                raw = base64.b64decode(b"".join(stdin.split()), validate=True)
            except binascii.Error:
                return 1, "", "Exception calling \"FromBase64String\": The input is not a valid Base-64 string.\r\n"
            return _run_script(guest, user, _unquote(run.group(1)), raw, command)
        return _helper(guest, script, stdin)
    run = _RUN.match(line)
    if run:
        params_file = guest.read_file(run.group(2))
        guest.remove_tree(run.group(2))  # what every script does first: the file may hold a secret
        return _run_script(guest, user, run.group(1), params_file, command)
    guest.log.append("unknown")
    return 1, "", f"lab: this simulator does not run arbitrary commands ({line.split(' ', 1)[0]}).\r\n"


def _helper(guest: WindowsGuest, script: str, stdin: bytes) -> tuple[int, str, str]:
    folder = _FOLDER.search(script)
    if folder:
        # The folder rules come on stdin (the real command dot-sources them); the lab checks they did.
        if b"function Initialize-XtractFolder" not in base64.b64decode(b"".join(stdin.split()) or b""):
            return 1, "", "The term 'Initialize-XtractFolder' is not recognized as the name of a cmdlet.\r\n"
        path = _unquote(folder.group(1))
        fresh = bool(folder.group(2))
        refused = guest.unsafe(path) or (f"Refused: {path} exists already; a run folder must be new."
                                         if fresh and guest.exists(path) else "")
        if refused:
            guest.log.append("refused")
            return 3, "", refused + "\r\n"
        with guest.lock:
            guest.folders.add(path.lower().rstrip("\\"))
        guest.log.append("folder")
        return 0, "", ""
    write = _WRITE.search(script)
    if write:
        path = _unquote(write.group(1))
        if write.group(2) == "CreateNew" and guest.read_file(path) is not None:
            return 1, "", f"Exception calling \"Open\": The file '{path}' already exists.\r\n"
        try:
            data = base64.b64decode(b"".join(stdin.split()), validate=True)
        except binascii.Error:
            return 1, "", "Exception calling \"FromBase64String\": The input is not a valid Base-64 string.\r\n"
        guest.write_file(path, data, append=write.group(2) == "Append")
        guest.log.append("write")
        return 0, "", ""
    read = _READ.search(script)
    if read:
        path = _unquote(read.group(1))
        body = guest.read_file(path)
        guest.log.append("read")
        if body is None:
            return 1, "", f"Exception calling \"ReadAllBytes\": Could not find file '{path}'.\r\n"
        return 0, base64.b64encode(body).decode("ascii") + "\r\n", ""
    remove = _REMOVE.search(script)
    if remove:
        guest.remove_tree(_unquote(remove.group(1)))
        guest.log.append("remove")
        return 0, "", ""
    guest.log.append("unknown")
    return 1, "", "lab: unrecognised PowerShell command.\r\n"


def _run_script(guest: WindowsGuest, user: str, script_path: str, raw: bytes | None,
                command: Command) -> tuple[int, str, str] | None:
    if command.outcome is not None:
        return command.outcome
    script = guest.read_file(script_path)
    if script is None:
        return 1, "", (f"The argument '{script_path}' to the -File parameter does not exist. Provide the path "
                       "to an existing '.ps1' file as an argument to the -File parameter.\r\n")
    try:
        params = json.loads((raw or b"{}").decode("utf-8-sig") or "{}")
    except ValueError:
        return 2, "", "The params file is not valid JSON.\r\n"
    if not isinstance(params, dict):
        return 2, "", "The params file must hold a JSON object.\r\n"
    task_id = task_of(script_path.replace("\\", "/").rsplit("/", 1)[-1], params)
    guest.log.append(f"run {task_id}")
    if task_id in guest.faults.hang_tasks:
        return None
    with guest.lock:
        command.outcome = tasks.run(guest, task_id, user, params, script)
    return command.outcome
