"""The command lines the WinRM channel sends.  Kept apart so that their shapes are easy to review.

Helper commands go through ``-EncodedCommand`` (UTF-16LE base64) so that no cmd.exe or PowerShell
quoting rule can bite.  File contents always travel on stdin, never on a command line: a command
line is visible to every process on the guest and may land in the security log (event 4688), and
the params file can hold a secret.
"""

from __future__ import annotations

import base64

WORK_ROOT = "C:\\Windows\\Temp\\xtract"
POWERSHELL = "powershell.exe -NoProfile -NonInteractive"


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string literal."""
    return "'" + text.replace("'", "''") + "'"


def encoded(script: str) -> str:
    return f"{POWERSHELL} -EncodedCommand {base64.b64encode(script.encode('utf-16-le')).decode('ascii')}"


def write_chunk(path: str, *, append: bool) -> str:
    """Reads one base64 piece from stdin and writes (first piece) or appends it to ``path``."""
    mode = "Append" if append else "Create"
    return encoded(
        "$ErrorActionPreference='Stop';"
        f"$p={ps_quote(path)};"
        "[IO.Directory]::CreateDirectory([IO.Path]::GetDirectoryName($p))|Out-Null;"
        "$b=[Convert]::FromBase64String((@($input) -join '').Trim());"
        f"$f=[IO.File]::Open($p,[IO.FileMode]::{mode});"
        "try{$f.Write($b,0,$b.Length)}finally{$f.Close()}"
    )


def read_file(path: str) -> str:
    return encoded("$ErrorActionPreference='Stop';"
                   f"[Convert]::ToBase64String([IO.File]::ReadAllBytes({ps_quote(path)}))")


def remove_tree(path: str) -> str:
    return encoded(f"Remove-Item -LiteralPath {ps_quote(path)} -Recurse -Force -ErrorAction SilentlyContinue")


def run_script(script_path: str, params_path: str) -> str:
    return (f'{POWERSHELL} -ExecutionPolicy Bypass -File "{script_path}" '
            f'-ParamsFile "{params_path}"')


def decode_encoded(command: str) -> str:
    """The PowerShell text inside an ``-EncodedCommand`` line (for logs); the line itself otherwise."""
    marker = " -EncodedCommand "
    if marker not in command:
        return command
    try:
        return base64.b64decode(command.split(marker, 1)[1]).decode("utf-16-le")
    except ValueError:
        return command
