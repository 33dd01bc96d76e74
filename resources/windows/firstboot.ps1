<#
.SYNOPSIS
    First boot on AHV: bring disks online, restore every NIC's IP configuration by MAC, write the result file.
.NOTES
    Task win.firstboot (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.firstboot'

# Run by the scheduled task \Xtract\FirstBoot at every startup until it has run on the target.
# It compares the SMBIOS UUID with the one saved on the source: on ESXi it does nothing.
# A manual run may pass -ParamsFile with {"force": true} to act regardless of the UUID.
$LogFile = Join-Path $script:StateDir 'firstboot.log'
$ClassNet = 'HKLM:\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}'
$errors = New-Object System.Collections.ArrayList

function Write-Step([string]$Text) {
    Write-XtractLog $Text
    try { [System.IO.File]::AppendAllText($LogFile, ('{0:u} {1}' -f (Get-Date), $Text) + "`r`n") } catch { Write-XtractLog 'cannot write the log file' }
}

function Add-Problem([string]$Text) {
    Write-Step ('ERROR: ' + $Text)
    [void]$errors.Add($Text)
}

function Test-WmiResult($Result, [string]$What) {
    # 0 = done, 1 = done but needs a restart (Win32_NetworkAdapterConfiguration method codes).
    if ($null -ne $Result -and @(0, 1) -notcontains [int]$Result.ReturnValue) { Add-Problem ('{0} failed (WMI {1}).' -f $What, $Result.ReturnValue); return $false }
    return $true
}

function Set-DisksOnline {
    $onlined = @()
    if ((Get-Command Get-Disk -ErrorAction SilentlyContinue) -and (Get-Command Set-Disk -ErrorAction SilentlyContinue)) {
        # Windows Server 2022 offlines data disks whose bus changed even with SAN policy OnlineAll.
        foreach ($d in @(Get-Disk | Where-Object { $_.IsOffline -or $_.IsReadOnly })) {
            try {
                if ($d.IsOffline) { Set-Disk -Number $d.Number -IsOffline $false }
                if ($d.IsReadOnly) { Set-Disk -Number $d.Number -IsReadOnly $false }
                $onlined += [int]$d.Number
            } catch { Add-Problem ('Disk {0} could not be brought online ({1}): use Disk Management.' -f $d.Number, $_.Exception.Message) }
        }
        return $onlined
    }
    # Windows 7 / 2008 R2: diskpart, with noerr because online disks refuse "online disk".
    $lines = @()
    foreach ($disk in (Get-XtractCim 'Win32_DiskDrive')) {
        $lines += ('select disk {0}' -f $disk.Index), 'online disk noerr', 'attributes disk clear readonly noerr'
    }
    $file = Join-Path $env:TEMP 'xtract-online.txt'
    [System.IO.File]::WriteAllText($file, ($lines -join "`r`n") + "`r`n", [System.Text.Encoding]::ASCII)
    $out = & "$env:SystemRoot\System32\diskpart.exe" /s $file 2>&1
    Write-Step ('diskpart: ' + ($out -join ' '))
    Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    return $onlined
}

function Get-PresentAdapter([string]$Mac) {
    foreach ($a in @(Get-WmiObject -Class Win32_NetworkAdapter -Filter 'PhysicalAdapter = TRUE')) {
        if ($a.MACAddress -and $a.MACAddress.ToLowerInvariant() -eq $Mac) { return $a }
    }
    return $null
}

# The old VMware adapter is now a non-present ("ghost") device whose TCP/IP settings still hold
# the address; Windows then refuses it on the new adapter. Free the name and the address in the
# registry (works on every version, no SetupAPI), then remove the device where pnputil can.
function Clear-GhostAdapter($Nic) {
    $guid = [string]$Nic['setting_id']
    if (-not $guid) { return }
    if (@(Get-WmiObject -Class Win32_NetworkAdapter -Filter ("GUID = '{0}'" -f $guid) -ErrorAction SilentlyContinue).Count -gt 0) { return }
    $conn = '{0}\{1}\Connection' -f $ClassNet, $guid
    if (Test-Path -LiteralPath $conn) { Set-ItemProperty -LiteralPath $conn -Name 'Name' -Value ('{0} (VMware, removed)' -f $Nic['name']) }
    $tcp = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\' + $guid
    if (Test-Path -LiteralPath $tcp) {
        Set-ItemProperty -LiteralPath $tcp -Name 'EnableDHCP' -Value 1
        Set-ItemProperty -LiteralPath $tcp -Name 'IPAddress' -Value @('0.0.0.0') -Type MultiString
        Set-ItemProperty -LiteralPath $tcp -Name 'SubnetMask' -Value @('0.0.0.0') -Type MultiString
        Set-ItemProperty -LiteralPath $tcp -Name 'DefaultGateway' -Value @('') -Type MultiString
    }
    if ($Nic['pnp_device_id'] -and (Get-XtractOsVersion).Build -ge 18362) {
        $out = & "$env:SystemRoot\System32\pnputil.exe" /remove-device $Nic['pnp_device_id'] 2>&1
        Write-Step ('pnputil /remove-device: ' + ($out -join ' '))
    }
    Write-Step ('Cleared the ghost adapter {0} ({1}).' -f $Nic['name'], $guid)
}

# 24 -> 255.255.255.0 without -shl (PowerShell 3.0+).
function ConvertTo-Mask([int]$Bits) {
    $octets = @()
    for ($k = 0; $k -lt 4; $k++) {
        $n = [math]::Min(8, [math]::Max(0, $Bits - 8 * $k))
        $octets += [string](256 - [math]::Pow(2, 8 - $n))
    }
    return ($octets -join '.')
}

function Restore-Nic($Nic, $Adapter) {
    $name = [string]$Nic['name']
    if ($Adapter.NetConnectionID -ne $name) {
        if (Get-Command Rename-NetAdapter -ErrorAction SilentlyContinue) { Rename-NetAdapter -Name $Adapter.NetConnectionID -NewName $name }
        else {
            # NetConnectionID is writable through WMI from Vista / 2008 on.
            $old = $Adapter.NetConnectionID
            $Adapter.NetConnectionID = $name
            try { [void]$Adapter.Put() } catch { Add-Problem ('Could not rename "{0}" to "{1}": {2}' -f $old, $name, $_.Exception.Message) }
        }
    }
    $cfg = Get-WmiObject -Class Win32_NetworkAdapterConfiguration -Filter ('Index = {0}' -f $Adapter.Index)
    $v4 = @(@($Nic['addresses']) | Where-Object { $_ -notlike '*:*' })
    $v6 = @(@($Nic['addresses']) | Where-Object { $_ -like '*:*' })
    if ($Nic['dhcp']) {
        [void](Test-WmiResult ($cfg.EnableDHCP()) "DHCP on $name")
    } elseif ($v4.Count -gt 0) {
        $ips = [string[]]@($v4 | ForEach-Object { ($_ -split '/')[0] })
        $masks = [string[]]@($v4 | ForEach-Object { ConvertTo-Mask ([int](($_ -split '/')[1])) })
        [void](Test-WmiResult ($cfg.EnableStatic($ips, $masks)) "Static address on $name")
        $gws = [string[]]@($Nic['gateways'])
        if ($gws.Count -gt 0) {
            $metrics = [uint16[]]@(@($Nic['gateway_metrics']) | ForEach-Object { [uint16]$_ })
            if ($metrics.Count -ne $gws.Count) { $metrics = [uint16[]]@($gws | ForEach-Object { [uint16]1 }) }
            [void](Test-WmiResult ($cfg.SetGateways($gws, $metrics)) "Gateway on $name")
        }
    }
    foreach ($a in $v6) {
        $out = & "$env:SystemRoot\System32\netsh.exe" interface ipv6 add address ('interface={0}' -f $Adapter.InterfaceIndex) ('address={0}' -f $a) 2>&1
        if ($LASTEXITCODE -ne 0 -and ($out -join ' ') -notmatch 'exist') { Add-Problem ('IPv6 address {0} on {1}: {2}' -f $a, $name, ($out -join ' ')) }
    }
    $dns = [string[]]@($Nic['dns_servers'])
    if ($dns.Count -gt 0) { [void](Test-WmiResult ($cfg.SetDNSServerSearchOrder($dns)) "DNS servers on $name") }
    if ($Nic['dns_suffix']) { [void](Test-WmiResult ($cfg.SetDNSDomain([string]$Nic['dns_suffix'])) "DNS suffix on $name") }
    [void](Test-WmiResult ($cfg.SetDynamicDNSRegistration([bool]$Nic['register_in_dns'], [bool]$Nic['register_with_suffix'])) "DNS registration on $name")
    $wins = @(@($Nic['wins_servers']) + @('', '') | Select-Object -First 2)
    if (@($Nic['wins_servers']).Count -gt 0) { [void](Test-WmiResult ($cfg.SetWINSServer([string]$wins[0], [string]$wins[1])) "WINS on $name") }
    $netbios = @{ 'default' = 0; 'enabled' = 1; 'disabled' = 2 }[[string]$Nic['netbios']]
    if ($null -ne $netbios) { [void](Test-WmiResult ($cfg.SetTcpipNetbios([uint32]$netbios)) "NetBIOS on $name") }
    foreach ($r in @($Nic['routes'])) {
        if (-not $r) { continue }
        if ((Get-Command New-NetRoute -ErrorAction SilentlyContinue) -and (Get-Command Get-NetRoute -ErrorAction SilentlyContinue)) {
            if (-not (Get-NetRoute -DestinationPrefix $r['destination'] -InterfaceIndex $Adapter.InterfaceIndex -PolicyStore PersistentStore -ErrorAction SilentlyContinue)) {
                [void](New-NetRoute -DestinationPrefix $r['destination'] -InterfaceIndex $Adapter.InterfaceIndex -NextHop $r['next_hop'] -RouteMetric $r['metric'] -PolicyStore PersistentStore)
            }
        } else { Add-Problem ('Route {0} via {1} was not restored: add it with "route -p add".' -f $r['destination'], $r['next_hop']) }
    }
    $cfg = Get-WmiObject -Class Win32_NetworkAdapterConfiguration -Filter ('Index = {0}' -f $Adapter.Index)
    return @(@($cfg.IPAddress) | Where-Object { $_ -and $_ -notlike 'fe80:*' })
}

try {
    $force = Test-XtractTrue (Get-XtractParam 'force' $false)
    $identity = Read-XtractState 'source-identity.json'
    $config = Read-XtractState 'firstboot-config.json'
    $taskName = '\Xtract\FirstBoot'
    $maxAttempts = 15
    if ($config) { $taskName = $config['task_name']; $maxAttempts = [int]$config['max_attempts'] }
    $current = [string](Get-XtractCim 'Win32_ComputerSystemProduct')[0].UUID
    if (-not $force -and $identity -and $identity['smbios_uuid'] -eq $current) {
        Complete-XtractTask $true ('Still on the source VM ({0}); nothing to do.' -f $current) @{ on_target = $false }
    }
    $state = Read-XtractState 'firstboot-state.json'
    $attempt = 1
    if ($state) { $attempt = [int]$state['attempts'] + 1 }
    [void](Save-XtractState 'firstboot-state.json' @{ attempts = $attempt })
    Write-Step ('On the target (UUID {0}), attempt {1} of {2}.' -f $current, $attempt, $maxAttempts)

    $disks = @(Set-DisksOnline)
    $saved = Read-XtractState 'network.json'
    $nics = @()
    if ($saved) { $nics = @($saved['nics']) }
    # AHV's VirtIO NICs appear once netkvm has loaded; wait for every saved MAC (at most 5 minutes).
    $deadline = (Get-Date).AddMinutes(5)
    do {
        $missing = @($nics | Where-Object { -not (Get-PresentAdapter ([string]$_['mac'])) })
        if ($missing.Count -gt 0) { Start-Sleep -Seconds 10 }
    } while ($missing.Count -gt 0 -and (Get-Date) -lt $deadline)
    if ($missing.Count -gt 0 -and $attempt -lt $maxAttempts) {
        Complete-XtractTask $false ('{0} network adapter(s) have not appeared yet; the task tries again in a minute.' -f $missing.Count) @{ pending = $true; attempts = $attempt }
    }

    $results = @()
    foreach ($nic in $nics) { try { Clear-GhostAdapter $nic } catch { Add-Problem ('Ghost adapter of {0}: {1}' -f $nic['name'], $_.Exception.Message) } }
    foreach ($nic in $nics) {
        $mac = [string]$nic['mac']
        $adapter = Get-PresentAdapter $mac
        if (-not $adapter) {
            Add-Problem ('No adapter with MAC {0} ({1}) appeared: check that the AHV VM kept the source MAC addresses and has the VirtIO network driver.' -f $mac, $nic['name'])
            $results += @{ mac = $mac; name = $nic['name']; restored = $false; addresses = @() }
            continue
        }
        if ($adapter.ServiceName -ne 'netkvm') { Write-Step ('{0} uses driver {1}, not netkvm.' -f $mac, $adapter.ServiceName) }
        $before = $errors.Count
        $addresses = @()
        try { $addresses = @(Restore-Nic $nic $adapter) } catch { Add-Problem ('Restoring {0}: {1}' -f $nic['name'], $_.Exception.Message) }
        $results += @{ mac = $mac; name = $nic['name']; restored = ($errors.Count -eq $before); addresses = $addresses }
    }
    & "$env:SystemRoot\System32\ipconfig.exe" /registerdns 2>&1 | Out-Null

    $result = @{ ok = ($errors.Count -eq 0); on_target = $true; nics = $results; disks_onlined = $disks; errors = @($errors)
                 finished_at = (Get-Date); attempts = $attempt }
    [void](Save-XtractState 'firstboot-result.json' $result)
    # Done on the target: the task removes itself and never runs again.
    & "$env:SystemRoot\System32\schtasks.exe" /Delete /TN $taskName /F 2>&1 | Out-Null
    Remove-Item -LiteralPath (Join-Path $script:StateDir 'firstboot.ps1') -Force -ErrorAction SilentlyContinue
    Write-Step ('Finished: {0} error(s).' -f $errors.Count)
    if ($errors.Count -eq 0) { Complete-XtractTask $true ('On AHV: restored {0} network adapter(s), {1} disk(s) brought online.' -f $results.Count, $disks.Count) $result }
    Complete-XtractTask $false 'On AHV, part of the network configuration was not restored: see errors.' $result
} catch {
    Write-Step ('Unexpected error: ' + $_.Exception.Message)
    Complete-XtractTask $false ('The first-boot task failed: {0} See C:\ProgramData\xtract\firstboot.log on the VM.' -f $_.Exception.Message)
}
