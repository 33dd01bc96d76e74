<#
.SYNOPSIS
    After cutover: uninstall VMware Tools (msiexec /x), or remove its services and files when the MSI refuses.
.NOTES
    Task win.remove_vmware_tools (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.remove_vmware_tools'

# Runs on AHV after the target snapshot. msiexec /x often ends with 1603 off VMware (its custom
# actions look for VMware hardware); then the services and files are removed by hand.
$Services = @('VMTools', 'VGAuthService', 'vmvss', 'VM3DService')
$Folders = @((Join-Path $env:ProgramFiles 'VMware\VMware Tools'), (Join-Path $env:ProgramData 'VMware\VMware Tools'))
$UninstallKeys = @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall')

function Find-VMwareTools {
    foreach ($root in $UninstallKeys) {
        foreach ($key in @(Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue)) {
            if ((Get-XtractRegValue $key.PSPath 'DisplayName') -eq 'VMware Tools') {
                return @{ code = $key.PSChildName; version = (Get-XtractRegValue $key.PSPath 'DisplayVersion'); key = $key.PSPath }
            }
        }
    }
    return $null
}

try {
    $identity = Read-XtractState 'source-identity.json'
    $uuid = [string](Get-XtractCim 'Win32_ComputerSystemProduct')[0].UUID
    if ($identity -and $identity['smbios_uuid'] -eq $uuid) {
        Complete-XtractTask $false 'This VM still runs on VMware (same SMBIOS UUID as the source): VMware Tools are removed only after cutover, on AHV.'
    }
    $product = Find-VMwareTools
    $data = @{ product_code = $null; version = $null; msiexec_exit_code = $null; reboot_required = $false; fallback_used = $false
               services_removed = @(); leftovers_removed = @() }
    $log = Join-Path $script:StateDir 'vmware-tools-uninstall.log'
    $needFallback = $false
    if ($product) {
        $data.product_code = $product.code
        $data.version = $product.version
        $p = Start-Process -FilePath 'msiexec.exe' -ArgumentList @('/x', $product.code, '/quiet', '/norestart', 'REBOOT=ReallySuppress', '/l*v', ('"{0}"' -f $log)) -Wait -PassThru
        $data.msiexec_exit_code = $p.ExitCode
        $data.reboot_required = ($p.ExitCode -eq 3010)
        if (@(0, 3010, 1605) -notcontains $p.ExitCode) {
            Add-XtractWarning ('msiexec /x ended with {0}; removing the VMware services and files directly.' -f $p.ExitCode)
            $needFallback = $true
        }
        $script:Changed = $true
    }
    foreach ($svc in $Services) {
        if (-not (Get-Service -Name $svc -ErrorAction SilentlyContinue)) { continue }
        if (-not $needFallback -and $product) { continue }
        Stop-Service -Name $svc -Force -ErrorAction SilentlyContinue
        $run = Invoke-XtractNative "$env:SystemRoot\System32\sc.exe" @('delete', $svc)
        if ($run.ExitCode -eq 0) { $data.services_removed += $svc; $script:Changed = $true }
        else { Add-XtractWarning ('sc delete {0}: {1}' -f $svc, $run.Text) }
    }
    if ($needFallback -or (-not $product -and $data.services_removed.Count -gt 0)) {
        $data.fallback_used = $true
        foreach ($f in $Folders) {
            if (Test-Path -LiteralPath $f) {
                Remove-Item -LiteralPath $f -Recurse -Force -ErrorAction SilentlyContinue
                if (Test-Path -LiteralPath $f) { Add-XtractWarning ("{0} is in use; it goes away after a restart, or delete it then." -f $f) } else { $data.leftovers_removed += $f }
            }
        }
        $product = Find-VMwareTools
        if ($product) { Remove-Item -LiteralPath $product.key -Recurse -Force; $data.leftovers_removed += $product.key }
        $data.reboot_required = $true
        $script:Changed = $true
    }
    if (-not $script:Changed) { Complete-XtractTask $true 'VMware Tools are not installed.' $data }
    $msg = 'VMware Tools were uninstalled'
    if ($data.reboot_required) { $msg += '; restart the VM to finish' }
    Complete-XtractTask $true ($msg + '.') $data
} catch {
    Complete-XtractTask $false ('Could not uninstall VMware Tools: {0} Uninstall it from Programs and Features, then restart the VM.' -f $_.Exception.Message)
}
