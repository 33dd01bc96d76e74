<#
.SYNOPSIS
    Install the user-supplied VirtIO package silently and make sure the storage driver starts at boot without a VirtIO device.
.NOTES
    Task win.install_virtio (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.install_virtio'

# Staging the VirtIO package on ESXi does not create the boot-start storage service: vioscsi.inf
# creates it only when a VirtIO device is installed, and there is none yet. Without it AHV stops
# with INACCESSIBLE_BOOT_DEVICE (0x7B). So after the install we check, and create what is missing:
# the .sys file, the service (Start=0, "SCSI miniport") and the PCI id -> service mapping, as
# virt-v2v does offline (libguestfs-common mlcustomize/inject_virtio_win.ml).
$ScsiClassGuid = '{4D36E97B-E325-11CE-BFC1-08002BE10318}'
$BootDrivers = @(
    @{ name = 'vioscsi'; ids = @('VEN_1AF4&DEV_1004&REV_00', 'VEN_1AF4&DEV_1048&REV_01'); required = $true },
    @{ name = 'viostor'; ids = @('VEN_1AF4&DEV_1001&REV_00', 'VEN_1AF4&DEV_1042&REV_01'); required = $false }
)
$UninstallKeys = @('HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall', 'HKLM:\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Uninstall')

function Find-Product([string]$Pattern) {
    foreach ($root in $UninstallKeys) {
        if (-not (Test-Path -LiteralPath $root)) { continue }
        foreach ($key in @(Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue)) {
            $name = Get-XtractRegValue $key.PSPath 'DisplayName'
            if ($name -and $name -match $Pattern) {
                return @{ name = $name; version = (Get-XtractRegValue $key.PSPath 'DisplayVersion'); product_code = $key.PSChildName }
            }
        }
    }
    return $null
}

function Get-PnpUtil {
    # A 32-bit host on 64-bit Windows would reach the 32-bit System32; Sysnative is the real one.
    if ($env:PROCESSOR_ARCHITEW6432) { return (Join-Path $env:SystemRoot 'Sysnative\pnputil.exe') }
    return (Join-Path $env:SystemRoot 'System32\pnputil.exe')
}

function Add-DriverPackage([string]$Inf) {
    $build = (Get-XtractOsVersion).Build
    # /add-driver exists from Windows 10 1607 / Server 2016 (build 14393); older pnputil takes -i -a.
    $arguments = @('-i', '-a', $Inf)
    if ($build -ge 14393) { $arguments = @('/add-driver', $Inf, '/install') }
    $run = Invoke-XtractNative (Get-PnpUtil) $arguments
    Write-XtractLog ("pnputil {0}: exit {1}: {2}" -f $Inf, $run.ExitCode, $run.Text)
    # 259 = ERROR_NO_MORE_ITEMS: staged, no device to install on (expected on ESXi); 3010 = reboot.
    return @(0, 259, 3010) -contains $run.ExitCode
}

function Find-DriverFile([string]$Name) {
    # Only what the MSI put into the driver store: a file picked from a folder of another Windows
    # version or architecture would install and then fail at boot on AHV.
    $repo = Join-Path $env:SystemRoot 'System32\DriverStore\FileRepository'
    $found = @(Get-ChildItem -Path (Join-Path $repo ($Name + '.inf_*')) -ErrorAction SilentlyContinue |
        ForEach-Object { Get-ChildItem -LiteralPath $_.FullName -Filter ($Name + '.sys') -ErrorAction SilentlyContinue } |
        Sort-Object LastWriteTime -Descending)
    if ($found.Count -gt 0) { return $found[0].FullName }
    return $null
}

function Get-Sha256([string]$Path) {
    $sha = [System.Security.Cryptography.SHA256]::Create()
    $stream = [System.IO.File]::OpenRead($Path)
    try { return ([System.BitConverter]::ToString($sha.ComputeHash($stream)) -replace '-', '').ToLowerInvariant() }
    finally { $stream.Close() }
}

function Set-RegValue([string]$Path, [string]$Name, $Value, [string]$Type) {
    if (-not (Test-Path -LiteralPath $Path)) { [void](New-Item -Path $Path -Force); $script:Changed = $true }
    $current = Get-XtractRegValue $Path $Name
    if ($null -ne $current -and [string]$current -eq [string]$Value) { return $false }
    [void](New-ItemProperty -LiteralPath $Path -Name $Name -Value $Value -PropertyType $Type -Force)
    $script:Changed = $true
    return $true
}

function Test-DriverDatabaseMapping([string[]]$Ids) {
    $root = 'HKLM:\SYSTEM\DriverDatabase\DeviceIds\PCI'
    if (-not (Test-Path -LiteralPath $root)) { return $false }
    $names = @(Get-ChildItem -LiteralPath $root -ErrorAction SilentlyContinue | ForEach-Object { $_.PSChildName })
    foreach ($id in $Ids) {
        $prefix = ($id -split '&REV_')[0]
        if (@($names | Where-Object { $_ -like ($prefix + '*') }).Count -gt 0) { return $true }
    }
    return $false
}

function Repair-BootDriver($Driver) {
    $name = $Driver.name
    $sys = Join-Path $env:SystemRoot ('System32\drivers\' + $name + '.sys')
    $state = @{ service = $name; sys_present = $false; start = $null; created = $false; device_mapping = $null; start_override_cleared = $false }
    if (-not (Test-Path -LiteralPath $sys)) {
        $from = Find-DriverFile $name
        if (-not $from) { return $state }
        Copy-Item -LiteralPath $from -Destination $sys -Force
        $script:Changed = $true
        $state.created = $true
    }
    $state.sys_present = $true
    $svc = 'HKLM:\SYSTEM\CurrentControlSet\Services\' + $name
    if (-not (Test-Path -LiteralPath $svc)) { $state.created = $true }
    [void](Set-RegValue $svc 'Type' 1 'DWord')
    [void](Set-RegValue $svc 'Start' 0 'DWord')
    [void](Set-RegValue $svc 'ErrorControl' 1 'DWord')
    [void](Set-RegValue $svc 'Group' 'SCSI miniport' 'String')
    [void](Set-RegValue $svc 'ImagePath' ('system32\drivers\' + $name + '.sys') 'ExpandString')
    # PnP records a per-profile StartOverride that disables a boot driver it found no device for.
    $override = Join-Path $svc 'StartOverride'
    if (Test-Path -LiteralPath $override) {
        Remove-Item -LiteralPath $override -Recurse -Force
        $state.start_override_cleared = $true
        $script:Changed = $true
    }
    $state.start = Get-XtractRegValue $svc 'Start'
    $os = Get-XtractOsVersion
    if ($os.Major -lt 6 -or ($os.Major -eq 6 -and $os.Minor -lt 2)) {
        # Before Windows 8 the boot loader maps PCI ids to services through the CriticalDeviceDatabase.
        foreach ($id in $Driver.ids) {
            $cdd = 'HKLM:\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\PCI#' + $id
            [void](Set-RegValue $cdd 'Service' $name 'String')
            [void](Set-RegValue $cdd 'ClassGUID' $ScsiClassGuid 'String')
        }
        $state.device_mapping = 'CriticalDeviceDatabase'
    } elseif (Test-DriverDatabaseMapping $Driver.ids) {
        # Windows 8+: staging the INF wrote its hardware ids into the DriverDatabase.
        $state.device_mapping = 'DriverDatabase'
    } else {
        $inf = @(Get-ChildItem -Path (Join-Path $env:SystemRoot ('System32\DriverStore\FileRepository\' + $name + '.inf_*\' + $name + '.inf')) -ErrorAction SilentlyContinue)
        if ($inf.Count -gt 0 -and (Add-DriverPackage $inf[0].FullName) -and (Test-DriverDatabaseMapping $Driver.ids)) {
            $state.device_mapping = 'DriverDatabase'
            $script:Changed = $true
        }
    }
    return $state
}

function Get-InstallRestrictions {
    $key = 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\DeviceInstall\Restrictions'
    return @{
        deny_unspecified = ((Get-XtractRegValue $key 'DenyUnspecified') -eq 1)
        deny_device_classes = ((Get-XtractRegValue $key 'DenyDeviceClasses') -eq 1)
        deny_device_ids = ((Get-XtractRegValue $key 'DenyDeviceIDs') -eq 1)
    }
}

try {
    $package = Get-XtractParam 'package_path' $null
    $expected = ([string](Get-XtractParam 'package_sha256' '')).ToLowerInvariant()
    $pattern = [string](Get-XtractParam 'product_name_pattern' 'VirtIO')
    if (-not $package) { Complete-XtractTask $false 'No VirtIO package was given: choose the Nutanix VirtIO MSI (or virtio-win-gt-x64.msi) in the plan.' }
    # Only an MSI: it installs the drivers of this Windows version and architecture itself. A folder
    # of INF files (a virtio-win ISO tree) holds every version's drivers side by side.
    if ($package -notmatch '\.msi$') { Complete-XtractTask $false ("{0} is not an MSI: give the Nutanix VirtIO MSI or the virtio-win guest tools MSI (virtio-win-gt-x64.msi), not a folder or an ISO." -f $package) }
    if (-not (Test-Path -LiteralPath $package -PathType Leaf)) { Complete-XtractTask $false ("The VirtIO package {0} is not on the guest: upload it again, then run the task again." -f $package) }
    if (-not $expected) { Complete-XtractTask $false 'The SHA-256 of the VirtIO package was not sent (package_sha256): this is a bug in the tool; report it.' }
    $log = Join-Path $script:StateDir 'virtio-install.log'
    Initialize-XtractStateDir
    $exitCode = $null
    $product = $null

    $restrictions = Get-InstallRestrictions
    foreach ($k in @($restrictions.Keys)) {
        if ($restrictions[$k]) { Add-XtractWarning ("Group Policy device installation restriction '{0}' is on: it can keep the VirtIO drivers from loading on AHV (0x7B); allow them or lift the policy before cutover." -f $k) }
    }

    $product = Find-Product $pattern
    if (-not $product) {
        # msiexec runs elevated: it installs a copy in this run's protected folder, checked against the
        # SHA-256 of the file the user chose right before msiexec starts.
        $copy = New-XtractWorkFile 'virtio.msi'
        Copy-Item -LiteralPath $package -Destination $copy -Force
        $actual = Get-Sha256 $copy
        if ($actual -ne $expected) {
            Remove-Item -LiteralPath $copy -Force -ErrorAction SilentlyContinue
            Complete-XtractTask $false ("The VirtIO package on the guest is not the one that was uploaded (SHA-256 {0}, expected {1}): something changed it. Upload it again, then run the task again." -f $actual, $expected) @{ package_sha256 = $actual; expected_sha256 = $expected }
        }
        Write-XtractLog "Installing $package (SHA-256 $actual)"
        $p = Start-Process -FilePath (Join-Path $env:SystemRoot 'System32\msiexec.exe') -ArgumentList @('/i', ('"{0}"' -f $copy), '/quiet', '/norestart', '/l*v', ('"{0}"' -f $log)) -Wait -PassThru
        $exitCode = $p.ExitCode
        Remove-Item -LiteralPath $copy -Force -ErrorAction SilentlyContinue
        if (@(0, 3010, 1641) -notcontains $exitCode) {
            $hint = ''
            if (Test-Path -LiteralPath $log) {
                $hint = (@([System.IO.File]::ReadAllLines($log) | Where-Object { $_ -match 'Return value 3|error \d{4}' } | Select-Object -First 3) -join ' | ')
            }
            $what = 'read the log {0}, fix the cause, then run the task again.'
            if ($exitCode -eq 1618) { $what = 'another installation is running; wait for it to finish, then run the task again.' }
            Complete-XtractTask $false (("msiexec could not install the VirtIO package (exit {0}); " + $what) -f $exitCode, $log) @{ msiexec_exit_code = $exitCode; log_file = $log; log_excerpt = $hint }
        }
        $script:Changed = $true
        # The product registers under the Uninstall keys a little after msiexec returns.
        $deadline = (Get-Date).AddSeconds(120)
        while (-not $product -and (Get-Date) -lt $deadline) {
            $product = Find-Product $pattern
            if (-not $product) { Start-Sleep -Seconds 3 }
        }
        if (-not $product) { Add-XtractWarning ("msiexec succeeded but no product matching '{0}' appeared under the Uninstall keys within 120 s." -f $pattern) }
    }

    $drivers = @()
    foreach ($driver in $BootDrivers) { $drivers += (Repair-BootDriver $driver) }
    $netkvm = @(Get-ChildItem -Path (Join-Path $env:SystemRoot 'System32\DriverStore\FileRepository\netkvm.inf_*') -ErrorAction SilentlyContinue).Count -gt 0
    if (-not $netkvm) { Add-XtractWarning 'The VirtIO network driver (netkvm) is not staged: the VM will have no network on AHV.' }
    $viostor = $drivers[1]
    if (-not $viostor.sys_present) { Add-XtractWarning 'viostor.sys is not in the package; disks will only boot on VirtIO SCSI (the AHV default).' }

    $data = @{ product = $product; msiexec_exit_code = $exitCode; reboot_required = (@(3010, 1641) -contains $exitCode); log_file = $log
               boot_drivers = $drivers; netkvm_staged = $netkvm; device_install_restrictions = $restrictions }
    $scsi = $drivers[0]
    if (-not $scsi.sys_present) {
        Complete-XtractTask $false 'vioscsi.sys is not in the driver store after the install: use a VirtIO MSI that supports this Windows version, then run the task again.' $data
    }
    if ($scsi.start -ne 0 -or -not $scsi.device_mapping) {
        Complete-XtractTask $false 'The vioscsi boot driver is installed but not mapped to the VirtIO SCSI controller: reinstall the VirtIO package with an administrator account, then run the task again.' $data
    }
    $name = 'the VirtIO drivers'
    if ($product) { $name = ('{0} {1}' -f $product.name, $product.version) }
    if ($script:Changed) { Complete-XtractTask $true ("Installed {0}; vioscsi will start at boot on AHV." -f $name) $data }
    Complete-XtractTask $true ("{0} already installed; vioscsi starts at boot." -f $name) $data
} catch {
    Complete-XtractTask $false ('Could not install the VirtIO drivers: {0} Fix the cause, then run the task again.' -f $_.Exception.Message)
}
