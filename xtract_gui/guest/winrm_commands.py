"""The command lines the WinRM channel sends.  Kept apart so that their shapes are easy to review.

Helper commands go through ``-EncodedCommand`` (UTF-16LE base64) so that no cmd.exe or PowerShell
quoting rule can bite.  File contents and a task's parameters travel on stdin, never on a command
line (visible to every process on the guest, and kept in the security log by event 4688) and never
in a file (the parameters can hold a secret).

Run folders (issue 21): ``C:\\Windows\\Temp\\xtract\\<random>``, made fresh by the prelude's folder rules
(``Initialize-XtractFolder -Fresh``): every folder above it checked (owner SYSTEM, Administrators,
TrustedInstaller or the account; nobody else may replace what is inside), the folder itself created
with a protected ACL (SYSTEM, Administrators, the account) before anything is written into it.
"""

from __future__ import annotations

import base64

from ..resources import prelude_section

WORK_ROOT = "C:\\Windows\\Temp\\xtract"
REFUSED = 3  # exit code of a folder command that found a folder it must not use
POWERSHELL = "powershell.exe -NoProfile -NonInteractive"


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string literal."""
    return "'" + text.replace("'", "''") + "'"


def encoded(script: str) -> str:
    return f"{POWERSHELL} -EncodedCommand {base64.b64encode(script.encode('utf-16-le')).decode('ascii')}"


def folder_rules() -> bytes:
    """What a folder command reads on stdin: the prelude's folder rules (Initialize-XtractFolder and what
    it needs), base64. On stdin, because as an -EncodedCommand they would pass cmd.exe's 8191 characters."""
    return base64.b64encode(prelude_section("windows", "folder rules").encode("utf-8")) + b"\r\n"


def make_folder(path: str, *, fresh: bool) -> str:
    """Makes ``path`` by the folder rules read from stdin (``folder_rules()``); exit REFUSED with the reason
    on stderr when it must not be used. ``fresh``: it must not exist before (a run folder)."""
    return encoded(
        "$ErrorActionPreference='Stop';"
        "$s=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String((@($input) -join '').Trim()));"
        ". ([scriptblock]::Create($s));"
        f"try{{Initialize-XtractFolder {ps_quote(path)}{' -Fresh' if fresh else ''};exit 0}}"
        f"catch{{[Console]::Error.WriteLine($_.Exception.Message);exit {REFUSED}}}")


def write_chunk(path: str, *, append: bool, fresh: bool = False) -> str:
    """Reads one base64 piece from stdin and writes (first piece) or appends it to ``path``, whose folder
    was made by ``make_folder``. ``fresh``: the file must not exist yet (a file of a run folder)."""
    mode = "Append" if append else ("CreateNew" if fresh else "Create")
    return encoded(
        "$ErrorActionPreference='Stop';"
        f"$p={ps_quote(path)};"
        "$b=[Convert]::FromBase64String((@($input) -join '').Trim());"
        f"$f=[IO.File]::Open($p,[IO.FileMode]::{mode});"
        "try{$f.Write($b,0,$b.Length)}finally{$f.Close()}"
    )


def read_file(path: str) -> str:
    return encoded("$ErrorActionPreference='Stop';"
                   f"[Convert]::ToBase64String([IO.File]::ReadAllBytes({ps_quote(path)}))")


def remove_tree(path: str) -> str:
    return encoded(f"Remove-Item -LiteralPath {ps_quote(path)} -Recurse -Force -ErrorAction SilentlyContinue")


def run_script(script_path: str) -> str:
    """Runs the uploaded script with the parameters the channel sends on stdin (base64 of the JSON).

    ``$input`` is how powershell.exe sees piped stdin (the channel opens the command with
    WINRS_CONSOLEMODE_STDIN=FALSE); the script's exit code becomes this process's.
    """
    return (f"{POWERSHELL} -ExecutionPolicy Bypass -EncodedCommand " + base64.b64encode((
        "$ErrorActionPreference='Stop';"
        "$j=[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String((@($input) -join '').Trim()));"
        f"& {ps_quote(script_path)} -ParamsJson $j;exit $LASTEXITCODE").encode("utf-16-le")).decode("ascii"))


def decode_encoded(command: str) -> str:
    """The PowerShell text inside an ``-EncodedCommand`` line (for logs); the line itself otherwise."""
    marker = " -EncodedCommand "
    if marker not in command:
        return command
    try:
        return base64.b64decode(command.split(marker, 1)[1]).decode("utf-16-le")
    except ValueError:
        return command
