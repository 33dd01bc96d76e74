"""The static PowerShell checker (pscheck.py): every shipped Windows script passes it, and each rule
catches its own example (a rule that could not fail would prove nothing)."""

from __future__ import annotations

import pytest

from xtract_gui.resources import load_manifest, load_script

from .ps_versions import CMDLETS, MEMBERS, MODULE, OPERATORS, TYPES, newer_than
from .pscheck import check

pytestmark = pytest.mark.guest

WINDOWS = {t.script: t for t in load_manifest() if t.os_family.value == "windows"}


@pytest.mark.parametrize("script", sorted(WINDOWS))
def test_every_windows_script_passes_the_checker(script: str) -> None:
    task = WINDOWS[script]
    minimum = str(task.extra.get("min_powershell", "2.0"))
    findings = check(load_script(script), minimum)
    assert findings == [], "\n".join(map(str, findings))


def rules(source: str, minimum: str = "2.0") -> list[str]:
    return [f.rule for f in check(source, minimum)]


@pytest.mark.parametrize("snippet", [
    "& \"$env:SystemRoot\\System32\\schtasks.exe\" /Query /TN $n 2>&1 | Out-Null",  # issue 14 item 1
    "$out = & certutil.exe -addstore TrustedPublisher $f 2>&1",
    "pnputil /remove-device $id 2> $null",
    "sc.exe delete $svc 2>$null",
    "$o = @(diskpart.exe /s $file *>&1)",
])
def test_native_stderr_redirect_is_caught(snippet: str) -> None:
    assert "native-stderr" in rules(snippet)


def test_native_stderr_is_fine_inside_the_helper_and_for_cmdlets() -> None:
    helper = ("function Invoke-XtractNative([string]$FilePath, [string[]]$ArgumentList) {\n"
              "  $ErrorActionPreference = 'Continue'\n  $o = @(& $FilePath @ArgumentList 2>&1)\n}\n")
    assert rules(helper) == []
    assert rules("Get-Item -LiteralPath $p 2>&1 | Out-Null") == []
    assert rules("$o = & schtasks.exe /Query") == []  # not redirected: stderr goes to the console as is


@pytest.mark.parametrize(("snippet", "what"), [
    ("if ($x -in $list) { 1 }", "-in"),
    ("$m = 1 -shl 4", "-shl"),
    ("$h = [ordered]@{ a = 1 }", "[ordered]"),
    ("$o = [pscustomobject]@{ a = 1 }", "[pscustomobject]"),
    ("$l = [System.Collections.ArrayList]::new()", "::new"),
    ("$a = $list.Where({ $_ })", ".where"),
    ("Get-CimInstance -ClassName Win32_OperatingSystem", "get-ciminstance"),
    ("$j = $text | ConvertFrom-Json", "convertfrom-json"),
    ("Get-Item $p -ErrorAction Ignore", "-erroraction ignore"),
    ("$x | ForEach-Object { $PSItem }", "$psitem"),
    ("[string]::IsNullOrWhiteSpace($s)", "string::isnullorwhitespace"),
    ("Add-Type -AssemblyName System.Web.Extensions", "System.Web.Extensions"),  # issue 14 item 5
    ("$s = New-Object System.Web.Script.Serialization.JavaScriptSerializer", "System.Web.Extensions"),
    ("Get-ClusterResource | Where-Object { $_.ResourceType -eq 'IP Address' }", "get-clusterresource"),
])
def test_newer_features_are_caught_on_powershell_2(snippet: str, what: str) -> None:
    found = check(snippet, "2.0")
    assert [f.rule for f in found] == ["version"], found
    assert what in found[0].message and "https://learn.microsoft.com/" in found[0].message


def test_a_newer_cmdlet_is_fine_behind_its_get_command_guard_only() -> None:
    guarded = ("if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {\n"
               "  Get-CimInstance -ClassName Win32_BIOS\n} else { Get-WmiObject -Class Win32_BIOS }\n")
    assert rules(guarded) == []
    wrong_branch = ("if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) { 1 }\n"
                    "else { Get-CimInstance -ClassName Win32_BIOS }\n")
    assert rules(wrong_branch) == ["version"]
    other_guard = "if (Get-Command Get-Disk -ErrorAction SilentlyContinue) { Set-Disk -Number 1 -IsOffline $false }"
    assert rules(other_guard) == ["version"]


def test_the_script_minimum_decides() -> None:
    assert rules("$h = [ordered]@{}", "3.0") == []
    assert rules("$a = $l.Where({ $_ })", "3.0") == ["version"]
    assert rules("Get-Disk", "5.1") == ["version"]  # a module some systems lack: always guarded


def test_the_version_table_cites_microsoft_for_every_entry() -> None:
    for table in (CMDLETS, OPERATORS, TYPES, MEMBERS):
        for name, (version, source) in table.items():
            assert version == MODULE or newer_than(version, "2.0"), name
            assert source.startswith("https://learn.microsoft.com/"), name


@pytest.mark.parametrize(("snippet", "rule"), [
    ("$file = Join-Path $env:TEMP 'xtract-online.txt'", "temp-file"),
    ("[void](New-Item -ItemType Directory -Path $dir -Force)", "unprotected-dir"),
    ("[IO.Directory]::CreateDirectory($dir) | Out-Null", "unprotected-dir"),
    ("Invoke-Expression $text", "no-invoke-expression"),
    ("$s = ConvertTo-SecureString -String $p -AsPlainText -Force", "plain-secure-string"),
    ("wmic product get name", "wmi-traps"),
    ("Get-WmiObject -Class Win32_Product", "wmi-traps"),
])
def test_other_rules_catch_their_example(snippet: str, rule: str) -> None:
    assert rule in rules(snippet)


def test_folders_are_made_in_the_prelude_helper_only() -> None:
    helper = ("function Initialize-XtractFolder([string]$Path) {\n"
              "  [void][System.IO.Directory]::CreateDirectory($Path, $security)\n}\n")
    assert rules(helper) == []
