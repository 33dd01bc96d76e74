<#
.SYNOPSIS
    After cutover: find the non-present VMware devices and remove them through SetupAPI.
.NOTES
    Task win.remove_ghost_devices (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.remove_ghost_devices'

# After cutover the VMware devices (vendor 15AD: vmxnet3, PVSCSI, SVGA...) remain as non-present
# devices. They are device instances under HKLM\...\Enum that no present Win32_PnPEntity matches.
# Windows 10 / 2016 and later list non-present devices in Win32_PnPEntity too, with Present = False:
# only entities whose Present is not False count as present. Removal goes through SetupAPI
# (DIF_REMOVE) on every version; the first boot already freed their names and addresses.
try {
    $classes = @(Get-XtractParam 'classes' @())
    $present = @{}
    foreach ($e in (Get-XtractCim 'Win32_PnPEntity')) {
        if (-not $e.DeviceID) { continue }
        if ($e.PSObject.Properties['Present'] -and $e.Present -eq $false) { continue }
        $present[([string]$e.DeviceID).ToUpperInvariant()] = $true
    }
    $ghosts = @()
    foreach ($bus in @('PCI', 'SCSI', 'ROOT')) {
        $enum = 'HKLM:\SYSTEM\CurrentControlSet\Enum\' + $bus
        foreach ($dev in @(Get-ChildItem -LiteralPath $enum -ErrorAction SilentlyContinue)) {
            foreach ($inst in @(Get-ChildItem -LiteralPath $dev.PSPath -ErrorAction SilentlyContinue)) {
                $id = ('{0}\{1}\{2}' -f $bus, $dev.PSChildName, $inst.PSChildName)
                if ($present.ContainsKey($id.ToUpperInvariant())) { continue }
                $name = [string](Get-XtractRegValue $inst.PSPath 'FriendlyName')
                if (-not $name) { $name = [string](Get-XtractRegValue $inst.PSPath 'DeviceDesc') }
                $name = ($name -split ';')[-1]
                if ($dev.PSChildName -notmatch 'VEN_15AD' -and $name -notmatch 'VMware|vmxnet|PVSCSI') { continue }
                $class = [string](Get-XtractRegValue $inst.PSPath 'Class')
                if ($classes.Count -gt 0 -and $classes -notcontains $class) { continue }
                $ghosts += @{ instance_id = $id; class = $class; name = $name }
            }
        }
    }
    $data = @{ method = 'setupapi'; removed = @(); failed = @(); found = $ghosts }
    if ($ghosts.Count -eq 0) { Complete-XtractTask $true 'No non-present VMware devices are left.' $data }
    foreach ($g in $ghosts) {
        $code = Remove-XtractDevice $g.instance_id
        if ($code -eq 0) { $data.removed += $g; $script:Changed = $true }
        else { $g['error'] = ('SetupAPI error {0}' -f $code); $data.failed += $g }
    }
    if ($data.failed.Count -gt 0) {
        Complete-XtractTask $false ('{0} device(s) could not be removed: remove them in Device Manager (View > Show hidden devices).' -f $data.failed.Count) $data
    }
    Complete-XtractTask $true ('Removed {0} non-present device(s) left behind by VMware.' -f $data.removed.Count) $data
} catch {
    Complete-XtractTask $false ('Could not remove the non-present devices: {0} Use Device Manager (View > Show hidden devices).' -f $_.Exception.Message)
}
