<#
.SYNOPSIS
    Check the Windows Installer and PowerShell versions, and the SHA-2 update on Windows 7 / 2008 R2.
.NOTES
    Task win.check_installer (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.check_installer'

# Never Win32_Product (wmic product): enumerating it runs a consistency check that can reconfigure
# every MSI on the machine. The version of msi.dll is the Windows Installer version.
try {
    $minMsi = [version](Get-XtractParam 'min_msi_version' '4.5')
    $minPs = [version](Get-XtractParam 'min_powershell_version' '2.0')
    $msiDll = Join-Path $env:SystemRoot 'System32\msi.dll'
    $info = (Get-Item -LiteralPath $msiDll).VersionInfo
    $msiVersion = New-Object System.Version($info.FileMajorPart, $info.FileMinorPart, $info.FileBuildPart, $info.FilePrivatePart)
    $psVersion = $PSVersionTable.PSVersion
    $os = Get-XtractOsVersion
    $cv = 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $caption = Get-XtractRegValue $cv 'ProductName'
    $build = [int]$os.Build
    $is64 = [IntPtr]::Size -eq 8 -or $env:PROCESSOR_ARCHITEW6432 -eq 'AMD64'
    if ($env:PROCESSOR_ARCHITEW6432) {
        Add-XtractWarning 'This is a 32-bit PowerShell on 64-bit Windows: driver tools must be called through %SystemRoot%\Sysnative.'
    }

    # Windows 7 / 2008 R2 (6.1) verify SHA-2 signed drivers only with KB3033929 (or the later
    # SHA-2 servicing update KB4474419, which supersedes it).
    $needsKb = ($os.Major -eq 6 -and $os.Minor -eq 1)
    $kbInstalled = $null
    if ($needsKb) {
        $found = @(Get-HotFix -ErrorAction SilentlyContinue | Where-Object { @('KB3033929', 'KB4474419') -contains $_.HotFixID })
        $kbInstalled = $found.Count -gt 0
        if (-not $kbInstalled) {
            Add-XtractWarning 'Neither KB3033929 nor KB4474419 is installed: SHA-2 signed VirtIO drivers will not load on this Windows 7 / 2008 R2. Install KB3033929 before cutover, or use a SHA-1 signed driver package.'
        }
    }
    $data = @{
        msi_version = [string]$msiVersion; powershell_version = [string]$psVersion; os_version = ('{0}.{1}.{2}' -f $os.Major, $os.Minor, $os.Build)
        os_caption = $caption; os_build = $build; is_64bit = $is64; needs_kb3033929 = $needsKb; kb3033929_installed = $kbInstalled
    }
    if ($msiVersion -lt $minMsi) {
        Complete-XtractTask $false ("Windows Installer {0} is older than {1}: install Windows Installer {1} or later (Windows Update), then run the preparation again." -f $msiVersion, $minMsi) $data
    }
    if ($psVersion -lt $minPs) {
        Complete-XtractTask $false ("PowerShell {0} is older than {1}: install Windows Management Framework {1} or later, then run the preparation again." -f $psVersion, $minPs) $data
    }
    Complete-XtractTask $true ("Windows Installer {0} and PowerShell {1} are recent enough." -f $msiVersion, $psVersion) $data
} catch {
    Complete-XtractTask $false ('Could not read the Windows Installer version: {0} Check that {1} exists.' -f $_.Exception.Message, 'System32\msi.dll')
}
