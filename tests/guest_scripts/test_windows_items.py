"""Issue 14, Windows items 2-10: what each script must do, read off its syntax tree.

No PowerShell runs here (the WinRM lab answers from the manifest's examples), so each test pins the
shape of the fix on the code itself; .github/workflows/windows-guest.yml runs the scripts for real.
Item 1 (native stderr) and item 5 (no System.Web.Extensions) are rules of pscheck.py.
"""

from __future__ import annotations

import re

import pytest
import tree_sitter
import tree_sitter_powershell

from .helpers import RESOURCES, task

pytestmark = pytest.mark.guest
_PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def code(name: str) -> str:
    """The script body without comments (what runs)."""
    text = (RESOURCES / "windows" / name).read_text(encoding="utf-8")
    tree = _PARSER.parse(text.encode("utf-8"))
    raw = text.encode("utf-8")
    cuts = []

    def walk(node: tree_sitter.Node) -> None:
        if node.type == "comment":
            cuts.append((node.start_byte, node.end_byte))
        for child in node.children:
            walk(child)

    walk(tree.root_node)
    for start, end in reversed(cuts):
        raw = raw[:start] + raw[end:]
    return raw.decode("utf-8")


def function(name: str, fn: str) -> str:
    text = code(name)
    match = re.search(rf"(?ms)^function {re.escape(fn)}\b.*?^}}", text)
    assert match, fn
    return match.group(0)


def main(name: str) -> str:
    text = code(name)
    return text[text.rindex("\ntry {"):]


def test_item2_firstboot_restores_present_nics_before_waiting_and_has_a_deadline_in_time() -> None:
    body = main("firstboot.ps1")
    assert body.index("Restore-Nic $nic $adapter") < body.index("pending = $true"), \
        "the present NICs are restored on every run, before the run reports the missing ones as pending"
    assert "max_attempts" not in code("firstboot.ps1") and "AddMinutes($deadlineMinutes)" in body
    assert "missing = $missingMacs" in body  # read_firstboot_result names them
    one_to_one = function("firstboot.ps1", "Find-Adapters")
    assert "@($Nics).Count -eq 1" in one_to_one and "$spare.Count -eq 1" in one_to_one
    assert task("win.install_firstboot").params == ("firstboot_script", "deadline_minutes", "has_shared_disks")
    assert "missing" in task("win.read_firstboot_result").extra["pending_example"]["data"]


def test_item3_ipv4_and_ipv6_gateways_apart_and_no_zero_metric() -> None:
    capture = main("retain_ip.ps1")
    assert "$allGateways[$i] -like '*:*'" in capture and "gateways_v6 =" in capture
    assert "-ge 1 -and [int]$allMetrics[$i] -le 9999" in capture
    restore = function("firstboot.ps1", "Restore-Nic")
    assert "Where-Object { $_ -notlike '*:*' }" in restore.split("$gws =", 1)[1].split("\n", 1)[0]
    assert "'::/0'" in restore and "gateways_v6" in restore
    assert "-le 9999" in restore


def test_item4_addresses_before_the_rename_and_the_rename_guarded() -> None:
    restore = function("firstboot.ps1", "Restore-Nic")
    assert restore.index("EnableStatic") < restore.index("Rename-NetAdapter")
    rename_block = restore[restore.index("if ($Adapter.NetConnectionID -ne $name)"):]
    assert rename_block.lstrip().startswith("if") and "try {" in rename_block.split("Rename-NetAdapter")[0]
    ghost = function("firstboot.ps1", "Clear-GhostAdapter")
    assert "Remove-XtractDevice" in ghost and "18362" not in ghost


def test_item6_only_static_dns_servers_are_saved() -> None:
    capture = code("retain_ip.ps1")
    assert "DNSServerSearchOrder" not in capture
    assert "'NameServer'" in function("retain_ip.ps1", "Get-StaticDnsServers")


def test_item7_cluster_and_skip_as_source_addresses_are_left_out() -> None:
    assert "Get-ClusterResource" in function("retain_ip.ps1", "Get-ClusterAddresses")
    assert "SkipAsSource" in function("retain_ip.ps1", "Get-SkipAsSourceAddresses")
    assert "$excluded -contains $ip" in main("retain_ip.ps1")


def test_item8_first_boot_onlines_only_ahv_disks_and_none_with_shared_disks() -> None:
    disks = function("firstboot.ps1", "Set-DisksOnline")
    assert disks.startswith("function Set-DisksOnline([bool]$SharedDisks)")
    assert "if ($SharedDisks)" in disks
    assert disks.count("-match $TargetDisk") + disks.count("-notmatch $TargetDisk") == 2
    assert "NUTANIX" in code("firstboot.ps1")
    assert "has_shared_disks = $sharedDisks" in main("install_firstboot.ps1")


def test_item9_non_present_entities_do_not_count_as_present() -> None:
    body = main("remove_ghost_devices.ps1")
    assert "$e.PSObject.Properties['Present'] -and $e.Present -eq $false" in body
    assert "Remove-XtractDevice" in body and "18362" not in body


def test_item10_only_an_msi_and_its_hash_checked_right_before_msiexec() -> None:
    body = main("install_virtio.ps1")
    assert "-notmatch '\\.msi$'" in body and "'*.inf'" not in code("install_virtio.ps1")
    assert "Find-DriverFile $name $Package" not in code("install_virtio.ps1")
    check = body.index("$actual = Get-Sha256 $copy")
    assert check < body.index("Start-Process") and "('\"{0}\"' -f $copy)" in body  # installs the checked copy
    assert "package_sha256" in task("win.install_virtio").params
