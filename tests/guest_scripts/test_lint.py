"""Static checks: each prelude and each composed script (prelude + body, what a channel sends) parses,
passes shellcheck, and avoids the known traps."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import tree_sitter
import tree_sitter_powershell

from xtract_gui.resources import load_script

from .helpers import RESOURCES, composed_file

pytestmark = pytest.mark.guest

PRELUDES = [RESOURCES / "windows/_prelude.ps1", RESOURCES / "linux/_prelude.sh"]
PS1 = sorted(p for p in RESOURCES.glob("windows/*.ps1") if not p.name.startswith("_"))  # task bodies
SH = sorted(p for p in RESOURCES.glob("linux/*.sh") if not p.name.startswith("_"))


def composed(path: Path) -> str:
    return load_script(path.relative_to(RESOURCES).as_posix())
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def ps_errors(source: str) -> list[tuple[int, int]]:
    """Rows/columns of syntax errors tree-sitter-powershell finds (empty when the script parses)."""
    tree = _PARSER.parse(source.encode("utf-8"))
    found: list[tuple[int, int]] = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == "ERROR" or node.is_missing:
            found.append(node.start_point)
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    assert tree.root_node.has_error is bool(found)
    return found


def shellcheck(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["shellcheck", "--shell=bash", str(path)], capture_output=True, text=True, check=False)


def without_comments(text: str, marker: str) -> str:
    return "\n".join(line.split(marker, 1)[0] for line in text.splitlines())


def test_powershell_prelude_parses():
    assert ps_errors(PRELUDES[0].read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_powershell_parses(path):
    text = composed(path)
    assert text.startswith(PRELUDES[0].read_text(encoding="utf-8").rstrip("\n"))
    assert ps_errors(text) == []


@pytest.mark.parametrize("snippet", [
    "function Get-X { if ($a) { 1 }\n",  # unbalanced brace
    "$x = @(1, 2\n",  # unclosed array
    "try { 1 } catch {\n",
])
def test_powershell_lint_detects_broken_code(snippet):
    assert ps_errors(snippet) != []


@pytest.mark.parametrize("path", [PRELUDES[0], *PS1], ids=lambda p: p.name)
def test_powershell_is_ascii(path):
    # Windows PowerShell reads a BOM-less script in the ANSI code page: non-ASCII would be mangled.
    path.read_bytes().decode("ascii")


def bash_lint(path: Path) -> None:
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    result = shellcheck(path)
    assert result.returncode == 0, result.stdout


def test_bash_prelude_syntax_and_shellcheck():
    bash_lint(PRELUDES[1])


@pytest.mark.parametrize("path", SH, ids=lambda p: p.name)
def test_bash_syntax_and_shellcheck(path):
    script = composed_file(path.relative_to(RESOURCES).as_posix())
    try:
        assert script.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
        bash_lint(script)
    finally:
        script.unlink()


def test_shell_lint_detects_broken_code(tmp_path):
    bad_syntax = tmp_path / "bad.sh"
    bad_syntax.write_text("#!/usr/bin/env bash\nif true; then\n  echo x\n")
    assert subprocess.run(["bash", "-n", str(bad_syntax)], capture_output=True, check=False).returncode != 0
    unquoted = tmp_path / "unquoted.sh"
    unquoted.write_text('#!/usr/bin/env bash\nrm -rf $1/tmp\n')
    assert shellcheck(unquoted).returncode != 0


@pytest.mark.parametrize("path", PS1 + SH, ids=lambda p: p.name)
def test_bodies_carry_no_copy_of_the_prelude(path):
    """The prelude is kept once per OS; a body that defined its helpers again would drift from it."""
    text = path.read_text(encoding="utf-8")
    for needle in ("xtract prelude", "function Complete-XtractTask", "function Get-XtractParam", "param([string]",
                   "finish() {", "param() {", "json_str() {", "#!/"):
        assert needle not in text, needle


@pytest.mark.parametrize("path", PRELUDES + PS1 + SH, ids=lambda p: p.name)
def test_no_known_traps(path):
    text = path.read_text(encoding="utf-8")
    code = without_comments(text, "#")
    assert "Win32_Product" not in code, "Win32_Product triggers an MSI consistency check on every product"
    assert not re.search(r"\bwmic\b", code, re.IGNORECASE), "wmic is gone from Windows 11 / 2025"
    assert not re.search(r"CurrentVersion\\RunOnce", code), "RunOnce waits for an interactive logon"
    # Secrets arrive in the params file only, never as literals or on a command line.
    assert not re.search(r"(?i)(password|passwd|pwd)\s*=\s*['\"][^'\"$]+['\"]", code)
    assert not re.search(r"(?i)-Password\s", code)
    assert not re.search(r"(?i)ConvertTo-SecureString\s+-String\s+['\"]", code)


def test_certificates_use_certutil_with_fallbacks():
    code = without_comments((RESOURCES / "windows" / "add_certificate.ps1").read_text(encoding="utf-8"), "#")
    assert re.search(r"certutil\.exe\" @\('-f', '-addstore', 'TrustedPublisher'", code)
    assert "Import-Certificate" in code and "X509Store" in code
    assert "Thumbprint" in code  # idempotent by thumbprint
    assert "Get-XtractParam 'hash_family'" in code  # one script for sha1 and sha2: the manifest says which


def test_firstboot_is_a_scheduled_task_as_system_with_bounded_retries():
    code = (RESOURCES / "windows" / "install_firstboot.ps1").read_text(encoding="utf-8")
    assert "schtasks.exe\" @('/Create'" in code and "<BootTrigger>" in code
    assert "<UserId>S-1-5-18</UserId>" in code
    assert re.search(r"<Interval>PT1M</Interval><Duration>PT\d+M</Duration>", code)
    assert "Win32_ComputerSystemProduct" in code
    firstboot = (RESOURCES / "windows" / "firstboot.ps1").read_text(encoding="utf-8")
    assert "Win32_ComputerSystemProduct" in firstboot and "@('/Delete', '/TN'" in firstboot
    assert "ipconfig.exe\" @('/registerdns')" in firstboot and "firstboot-result.json" in firstboot
    assert "deadline_minutes" in firstboot and "AddMinutes($deadlineMinutes)" in firstboot  # a time, not runs


def test_virtio_install_is_silent_and_repairs_the_boot_driver():
    code = (RESOURCES / "windows" / "install_virtio.ps1").read_text(encoding="utf-8")
    for needle in ("'/quiet'", "'/norestart'", "'/l*v'", "AddSeconds(120)", "'Start' 0 'DWord'", "'SCSI miniport'",
                   "package_sha256", "Get-Sha256 $copy",
                   "StartOverride", "CriticalDeviceDatabase", "DriverDatabase", "VEN_1AF4&DEV_1048",
                   "VEN_1AF4&DEV_1004", "VEN_1AF4&DEV_1001", "VEN_1AF4&DEV_1042", "Sysnative",
                   "DeviceInstall\\Restrictions"):
        assert needle in code, needle


def test_vmware_tools_removal_accepts_3010_and_has_a_fallback():
    code = (RESOURCES / "windows" / "remove_vmware_tools.ps1").read_text(encoding="utf-8")
    assert "REBOOT=ReallySuppress" in code and "3010" in code
    for service in ("VMTools", "VGAuthService", "vmvss", "VM3DService"):
        assert f"'{service}'" in code


def test_shellcheck_and_bash_are_available():
    # The lint tests above would be vacuous without the tools: tests/run.sh installs them.
    assert shutil.which("shellcheck") and shutil.which("bash")


# Windows 7 / 2008 R2 ship PowerShell 2.0: no 3.0+ syntax, and newer cmdlets only behind a Get-Command test.
_PS3_SYNTAX = [r"\s-in\s", r"-notin\b", r"\[ordered\]", r"\[pscustomobject\]", r"::new\(", r"\.ForEach\(",
               r"\.Where\(", r"-ErrorAction Ignore", r"\$PSItem", r"\s-Tail\b", r"-NoNewline", r"-shl\b", r"-shr\b"]
_NEWER_CMDLETS = ["Get-CimInstance", "ConvertFrom-Json", "Get-Disk", "Set-Disk", "Set-StorageSetting", "Get-NetRoute",
                  "New-NetRoute", "Get-NetIPAddress", "Import-Certificate", "Rename-NetAdapter", "Get-PnpDevice"]


@pytest.mark.parametrize("path", PS1, ids=lambda p: p.name)
def test_powershell_2_compatible(path):
    code = without_comments(composed(path), "#")
    for pattern in _PS3_SYNTAX:
        assert not re.search(pattern, code), pattern
    for cmdlet in _NEWER_CMDLETS:
        if re.search(rf"\b{cmdlet}\b", code):
            assert f"Get-Command {cmdlet} -ErrorAction SilentlyContinue" in code, cmdlet


def test_powershell_2_check_catches_newer_syntax():
    code = "$a = [ordered]@{}; if ($x -in $list) { Get-CimInstance Win32_OperatingSystem }"
    assert any(re.search(p, code) for p in _PS3_SYNTAX)
    assert "Get-Command Get-CimInstance -ErrorAction SilentlyContinue" not in code
