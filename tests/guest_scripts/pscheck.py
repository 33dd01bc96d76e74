"""A static checker for our Windows guest scripts, on the tree-sitter-powershell syntax tree.

No PowerShell runs here; the WinRM lab answers from ``result_example``. So the classes of fault that
stop real guests are caught on the tree instead. Rules (each has a failing example in test_pscheck.py):

- ``native-stderr``: a native program (``*.exe`` or a known one) with its stderr redirected (``2>&1``,
  ``2>$null``, ``*>``) outside ``Invoke-XtractNative``. Windows PowerShell 2.0-5.1 turn each redirected
  stderr line into a terminating NativeCommandError under ``$ErrorActionPreference = 'Stop'``
  (PowerShell/PowerShell issues #3996, #4002; changed only in 7.1+).
- ``version``: a cmdlet, operator, type, member, parameter or variable newer than the script's
  ``min_powershell`` (ps_versions.py, from Microsoft's documentation); a cmdlet is allowed inside the
  then-branch of an ``if`` whose condition asks ``Get-Command`` for it.
- ``temp-file``: a path built from ``$env:TEMP``. The SYSTEM and elevated sessions we run in use
  C:\\Windows\\Temp, where any user may create files: a planted file keeps its owner's write access
  after we overwrite it (a diskpart script swapped before diskpart reads it). Use the run folder or
  the protected state folder.
- ``unprotected-dir``: a directory made with ``New-Item -ItemType Directory`` or
  ``[IO.Directory]::CreateDirectory`` outside the prelude's ``Initialize-XtractFolder``: it would inherit
  its parent's ACL (issue 21.2).
- ``no-invoke-expression``: ``Invoke-Expression``/``iex`` runs text as code.
- ``plain-secure-string``: ``ConvertTo-SecureString -AsPlainText``: a secret would be written in the script.
- ``wmi-traps``: ``wmic`` (gone from Windows 11 / 2025) and ``Win32_Product`` (its enumeration runs an MSI
  consistency check that can reconfigure every installed product).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter
import tree_sitter_powershell

from .ps_versions import CMDLETS, MEMBERS, OPERATORS, PARAMETERS, TYPES, VARIABLES, newer_than

_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
NATIVE_HELPER = "invoke-xtractnative"
FOLDER_HELPER = "initialize-xtractfolder"
KNOWN_NATIVE = {"schtasks", "certutil", "pnputil", "diskpart", "ipconfig", "netsh", "whoami", "sc", "msiexec",
                "reg", "route", "bcdedit", "icacls", "takeown", "cmd", "wmic", "slmgr", "dism"}
_STDERR_TOKEN = re.compile(r"^(?:2|\*)>")


@dataclass(frozen=True)
class Finding:
    rule: str
    line: int  # 1-based
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: [{self.rule}] {self.message}"


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", errors="replace")


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    yield node
    for child in node.children:
        yield from _walk(child)


def _ancestors(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _inside_function(node: tree_sitter.Node, name: str) -> bool:
    for anc in _ancestors(node):
        if anc.type == "function_statement":
            fname = next((c for c in anc.children if c.type == "function_name"), None)
            if fname is not None and _text(fname).lower() == name:
                return True
    return False


def _guarded(node: tree_sitter.Node, cmdlet: str) -> bool:
    """Inside the then-branch of ``if (... Get-Command <cmdlet> ...)``."""
    probe = re.compile(rf"(?i)\bGet-Command\s+{re.escape(cmdlet)}\b")
    child = node
    for anc in _ancestors(node):
        if anc.type == "if_statement":
            parts = anc.children
            condition = next((c for c in parts if c.type == "pipeline"), None)
            then = next((c for c in parts if c.type == "statement_block"), None)
            if condition is not None and then is not None and probe.search(_text(condition)) \
                    and then.start_byte <= child.start_byte and child.end_byte <= then.end_byte:
                return True
        child = anc
    return False


def _command_name(command: tree_sitter.Node) -> tuple[str, bool]:
    """(name, native) of a command node: the program's file name, lower case."""
    for c in command.children:
        if c.type == "command_name":
            name = _text(c)
            break
        if c.type == "command_name_expr":
            name = _text(c).strip("\"'")
            break
    else:
        return "", False
    base = re.split(r"[\\/]", name)[-1].lower()
    stem = base[:-4] if base.endswith(".exe") else base
    return base, base.endswith(".exe") or stem in KNOWN_NATIVE


def _stderr_redirected(command: tree_sitter.Node) -> bool:
    for elements in (c for c in command.children if c.type == "command_elements"):
        for el in elements.children:
            if el.type == "redirection" and _STDERR_TOKEN.match(_text(el).strip()):
                return True
            if el.type == "generic_token" and _STDERR_TOKEN.match(_text(el)):
                return True
    return False


def check(source: str, min_powershell: str = "2.0") -> list[Finding]:
    """Every finding in ``source`` (a composed script: prelude + body) for a guest with ``min_powershell``."""
    tree = _PARSER.parse(source.encode("utf-8"))
    found: list[Finding] = []

    def add(rule: str, node: tree_sitter.Node, message: str) -> None:
        found.append(Finding(rule, node.start_point[0] + 1, message))

    def version(node: tree_sitter.Node, what: str, entry: tuple[str, str], guard: str = "") -> None:
        needed, source_doc = entry
        if newer_than(needed, min_powershell) and not (guard and _guarded(node, guard)):
            needs = "a module some guests lack" if needed == "module" else f"PowerShell {needed}"
            add("version", node, f"{what} needs {needs} (min_powershell {min_powershell}); {source_doc}"
                + (f"; guard it with: if (Get-Command {guard} -ErrorAction SilentlyContinue)" if guard else ""))

    for node in _walk(tree.root_node):
        kind = node.type
        if kind == "command":
            name, native = _command_name(node)
            if native and _stderr_redirected(node) and not _inside_function(node, NATIVE_HELPER):
                add("native-stderr", node, f"{name} runs with stderr redirected under ErrorActionPreference Stop: "
                    "Windows PowerShell 2.0-5.1 throw NativeCommandError at its first stderr line; use "
                    "Invoke-XtractNative")
            if name in CMDLETS:
                version(node, name, CMDLETS[name], guard=name)
            if name in ("invoke-expression", "iex"):
                add("no-invoke-expression", node, "Invoke-Expression runs text as code")
            if name == "new-item" and re.search(r"(?i)-ItemType\s+['\"]?Directory", _text(node)) \
                    and not _inside_function(node, FOLDER_HELPER):
                add("unprotected-dir", node, "a folder made with New-Item inherits its parent's ACL; use "
                    "Initialize-XtractFolder")
            if name == "convertto-securestring" and re.search(r"(?i)-AsPlainText", _text(node)):
                add("plain-secure-string", node, "ConvertTo-SecureString -AsPlainText: secrets come from the "
                    "parameters, never from the script")
            if name == "wmic" or name == "wmic.exe":
                add("wmi-traps", node, "wmic is gone from Windows 11 / Server 2025; use Get-XtractCim")
            for parameter, entry in PARAMETERS.items():
                if re.search(rf"(?i)(?<![\w-]){re.escape(parameter)}\b", _text(node)):
                    version(node, parameter, entry)
        elif kind == "comparison_operator" and _text(node).lower() in OPERATORS:
            version(node, _text(node), OPERATORS[_text(node).lower()])
        elif kind == "type_literal":
            name = _text(node).strip("[]").strip().lower()
            for key in dict.fromkeys((name, name.removeprefix("system."))):
                if key in TYPES:
                    version(node, f"[{name}]", TYPES[key])
        elif kind == "invokation_expression" or kind == "member_access":
            member = next((c for c in node.children if c.type == "member_name"), None)
            if member is None:
                continue
            mname = _text(member).lower()
            target = next((c for c in node.children if c.type == "type_literal"), None)
            static = target is not None and any(c.type == "::" for c in node.children)
            keys = [f".{mname}"]
            if static and target is not None:
                tname = _text(target).strip("[]").lower().removeprefix("system.")
                keys = [f"::{mname}", f"{tname}::{mname}"]
                if tname.endswith("directory") and mname == "createdirectory" \
                        and not _inside_function(node, FOLDER_HELPER):
                    add("unprotected-dir", node, "[IO.Directory]::CreateDirectory inherits its parent's ACL; "
                        "use Initialize-XtractFolder")
            for key in keys:
                if key in MEMBERS:
                    version(node, key, MEMBERS[key])
        elif kind == "variable":
            name = _text(node).lower()
            if name in VARIABLES:
                version(node, name, VARIABLES[name])
            if name == "$env:temp":
                add("temp-file", node, "$env:TEMP is C:\\Windows\\Temp for SYSTEM, where any user may plant the "
                    "file first; use the run folder or Join-Path $script:StateDir")
        elif kind in ("verbatim_string_characters", "expandable_string_literal", "generic_token"):
            text = _text(node)
            if re.search(r"(?i)\bwin32_product\b", text):
                add("wmi-traps", node, "Win32_Product runs an MSI consistency check on every installed product")
            if re.search(r"(?i)javascriptserializer|system\.web\.extensions", text):
                version(node, "System.Web.Extensions", TYPES["system.web.script.serialization.javascriptserializer"])
    found.sort(key=lambda f: (f.line, f.rule))
    return found
