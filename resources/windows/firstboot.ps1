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

# Only the disks AHV gave this VM (Nutanix vDisks, VirtIO), and none at all when the VM has shared
# disks: set_san_policy kept the policy for them, and bringing a cluster's shared disk online on a
# second node corrupts it.
$TargetDisk = 'NUTANIX|VirtIO|VEN_1AF4|Red Hat'

function Set-DisksOnline([bool]$SharedDisks) {
    $onlined = @()
    if ($SharedDisks) {
        Write-Step 'The VM has shared disks: disks are left as they are; bring them online by hand after checking the cluster.'
        return $onlined
    }
    if ((Get-Command Get-Disk -ErrorAction SilentlyContinue) -and (Get-Command Set-Disk -ErrorAction SilentlyContinue)) {
        # Windows Server 2022 offlines data disks whose bus changed even with SAN policy OnlineAll.
        foreach ($d in @(Get-Disk | Where-Object { ($_.IsOffline -or $_.IsReadOnly) -and ('{0} {1}' -f $_.FriendlyName, $_.Model) -match $TargetDisk })) {
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
        if (('{0} {1}' -f $disk.Model, $disk.PNPDeviceID) -notmatch $TargetDisk) { continue }
        $lines += ('select disk {0}' -f $disk.Index), 'online disk noerr', 'attributes disk clear readonly noerr'
    }
    if ($lines.Count -eq 0) { return $onlined }
    $file = New-XtractWorkFile 'online.txt'
    [System.IO.File]::WriteAllText($file, ($lines -join "`r`n") + "`r`n", [System.Text.Encoding]::ASCII)
    $run = Invoke-XtractNative "$env:SystemRoot\System32\diskpart.exe" @('/s', $file)
    Write-Step ('diskpart: ' + $run.Text)
    Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    return $onlined
}

function Get-PresentAdapters {
    return @(Get-WmiObject -Class Win32_NetworkAdapter -Filter 'PhysicalAdapter = TRUE' | Where-Object { $_.MACAddress })
}

# The old VMware adapter is now a non-present ("ghost") device whose TCP/IP settings still hold
# the address; Windows then refuses it on the new adapter. Free the name and the address in the
# registry, then remove the device through SetupAPI (every Windows version).
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
    if ($Nic['pnp_device_id']) {
        $code = Remove-XtractDevice ([string]$Nic['pnp_device_id'])
        Write-Step ('SetupAPI removal of {0}: {1}' -f $Nic['pnp_device_id'], $code)
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

function Get-SavedList($Nic, [string]$Key) {
    if ($Nic -is [System.Collections.IDictionary] -and $Nic.Contains($Key) -and $null -ne $Nic[$Key]) { return @($Nic[$Key]) }
    return @()
}

# Addresses, gateways, DNS, WINS and routes first; the rename comes last and may fail alone (the
# hidden VMware adapter can still hold the name) without costing the NIC its addresses.
function Restore-Nic($Nic, $Adapter) {
    $name = [string]$Nic['name']
    $cfg = Get-WmiObject -Class Win32_NetworkAdapterConfiguration -Filter ('Index = {0}' -f $Adapter.Index)
    $v4 = @(Get-SavedList $Nic 'addresses' | Where-Object { $_ -notlike '*:*' })
    $v6 = @(Get-SavedList $Nic 'addresses' | Where-Object { $_ -like '*:*' })
    if ($Nic['dhcp']) {
        [void](Test-WmiResult ($cfg.EnableDHCP()) "DHCP on $name")
    } elseif ($v4.Count -gt 0) {
        $ips = [string[]]@($v4 | ForEach-Object { ($_ -split '/')[0] })
        $masks = [string[]]@($v4 | ForEach-Object { ConvertTo-Mask ([int](($_ -split '/')[1])) })
        [void](Test-WmiResult ($cfg.EnableStatic($ips, $masks)) "Static address on $name")
        # IPv4 routers only: SetGateways takes no IPv6 address (retain_ip keeps those apart).
        $gws = [string[]]@(Get-SavedList $Nic 'gateways' | Where-Object { $_ -notlike '*:*' })
        if ($gws.Count -gt 0) {
            $metrics = @(Get-SavedList $Nic 'gateway_metrics')
            $valid = @($metrics | Where-Object { [int]$_ -ge 1 -and [int]$_ -le 9999 })
            if ($metrics.Count -eq $gws.Count -and $valid.Count -eq $gws.Count) {
                [void](Test-WmiResult ($cfg.SetGateways($gws, [uint16[]]@($metrics | ForEach-Object { [uint16]$_ }))) "Gateway on $name")
            } else {
                # A metric outside 1-9999 (0: "automatic") is not a value SetGateways takes: let Windows choose.
                [void](Test-WmiResult ($cfg.SetGateways($gws)) "Gateway on $name")
            }
        }
    }
    foreach ($a in $v6) {
        $run = Invoke-XtractNative "$env:SystemRoot\System32\netsh.exe" @('interface', 'ipv6', 'add', 'address', ('interface={0}' -f $Adapter.InterfaceIndex), ('address={0}' -f $a))
        if ($run.ExitCode -ne 0 -and $run.Text -notmatch 'exist') { Add-Problem ('IPv6 address {0} on {1}: {2}' -f $a, $name, $run.Text) }
    }
    foreach ($gw in (Get-SavedList $Nic 'gateways_v6')) {
        $run = Invoke-XtractNative "$env:SystemRoot\System32\netsh.exe" @('interface', 'ipv6', 'add', 'route', '::/0', ('interface={0}' -f $Adapter.InterfaceIndex), ('nexthop={0}' -f $gw))
        if ($run.ExitCode -ne 0 -and $run.Text -notmatch 'exist') { Add-Problem ('IPv6 default route via {0} on {1}: {2}' -f $gw, $name, $run.Text) }
    }
    $dns = [string[]]@(Get-SavedList $Nic 'dns_servers')
    if ($dns.Count -gt 0) { [void](Test-WmiResult ($cfg.SetDNSServerSearchOrder($dns)) "DNS servers on $name") }
    if ($Nic['dns_suffix']) { [void](Test-WmiResult ($cfg.SetDNSDomain([string]$Nic['dns_suffix'])) "DNS suffix on $name") }
    [void](Test-WmiResult ($cfg.SetDynamicDNSRegistration([bool]$Nic['register_in_dns'], [bool]$Nic['register_with_suffix'])) "DNS registration on $name")
    $wins = @(@(Get-SavedList $Nic 'wins_servers') + @('', '') | Select-Object -First 2)
    if (@(Get-SavedList $Nic 'wins_servers').Count -gt 0) { [void](Test-WmiResult ($cfg.SetWINSServer([string]$wins[0], [string]$wins[1])) "WINS on $name") }
    $netbios = @{ 'default' = 0; 'enabled' = 1; 'disabled' = 2 }[[string]$Nic['netbios']]
    if ($null -ne $netbios) { [void](Test-WmiResult ($cfg.SetTcpipNetbios([uint32]$netbios)) "NetBIOS on $name") }
    foreach ($r in (Get-SavedList $Nic 'routes')) {
        if (-not $r) { continue }
        if ((Get-Command New-NetRoute -ErrorAction SilentlyContinue) -and (Get-Command Get-NetRoute -ErrorAction SilentlyContinue)) {
            if (-not (Get-NetRoute -DestinationPrefix $r['destination'] -InterfaceIndex $Adapter.InterfaceIndex -PolicyStore PersistentStore -ErrorAction SilentlyContinue)) {
                [void](New-NetRoute -DestinationPrefix $r['destination'] -InterfaceIndex $Adapter.InterfaceIndex -NextHop $r['next_hop'] -RouteMetric $r['metric'] -PolicyStore PersistentStore)
            }
        } else { Add-Problem ('Route {0} via {1} was not restored: add it with "route -p add".' -f $r['destination'], $r['next_hop']) }
    }
    if ($Adapter.NetConnectionID -ne $name) {
        try {
            if (Get-Command Rename-NetAdapter -ErrorAction SilentlyContinue) { Rename-NetAdapter -Name $Adapter.NetConnectionID -NewName $name }
            else {
                # NetConnectionID is writable through WMI from Vista / 2008 on.
                $Adapter.NetConnectionID = $name
                [void]$Adapter.Put()
            }
        } catch {
            Write-Step ('Could not rename "{0}" to "{1}" ({2}); its addresses are restored all the same.' -f $Adapter.NetConnectionID, $name, $_.Exception.Message)
        }
    }
    $cfg = Get-WmiObject -Class Win32_NetworkAdapterConfiguration -Filter ('Index = {0}' -f $Adapter.Index)
    return @(@($cfg.IPAddress) | Where-Object { $_ -and $_ -notlike 'fe80:*' })
}

# Saved NIC -> present adapter: by MAC (AHV keeps the source MACs when the plan retains them); a
# single saved NIC and a single adapter left over are matched one to one (the plan did not retain
# the MAC; readiness allows that only for one NIC).
function Find-Adapters($Nics) {
    $present = Get-PresentAdapters
    $found = @{}
    foreach ($nic in $Nics) {
        $mac = [string]$nic['mac']
        foreach ($a in $present) { if ($a.MACAddress.ToLowerInvariant() -eq $mac) { $found[$mac] = $a } }
    }
    $unmatched = @($Nics | Where-Object { -not $found.ContainsKey([string]$_['mac']) })
    if (@($Nics).Count -eq 1 -and $unmatched.Count -eq 1) {
        $taken = @($found.Values | ForEach-Object { $_.Index })
        $spare = @($present | Where-Object { $taken -notcontains $_.Index })
        if ($spare.Count -eq 1) {
            $found[[string]$unmatched[0]['mac']] = $spare[0]
            Write-Step ('Matched {0} to the only new adapter {1} ({2}).' -f $unmatched[0]['mac'], $spare[0].NetConnectionID, $spare[0].MACAddress)
        }
    }
    return $found
}

try {
    $force = Test-XtractTrue (Get-XtractParam 'force' $false)
    $identity = Read-XtractState 'source-identity.json'
    $config = Read-XtractState 'firstboot-config.json'
    $taskName = '\Xtract\FirstBoot'
    $deadlineMinutes = 30
    $sharedDisks = $false
    if ($config) {
        $taskName = $config['task_name']
        if ($config.ContainsKey('deadline_minutes')) { $deadlineMinutes = [int]$config['deadline_minutes'] }
        if ($config.ContainsKey('has_shared_disks')) { $sharedDisks = [bool]$config['has_shared_disks'] }
    }
    $current = [string](Get-XtractCim 'Win32_ComputerSystemProduct')[0].UUID
    if (-not $force -and $identity -and $identity['smbios_uuid'] -eq $current) {
        Complete-XtractTask $true ('Still on the source VM ({0}); nothing to do.' -f $current) @{ on_target = $false }
    }
    # The deadline is a time counted from the first run on AHV, not a number of runs: the task runs
    # every minute for 30 minutes after each boot, and a boot may take longer than that.
    $state = Read-XtractState 'firstboot-state.json'
    $attempt = 1
    $deadline = (Get-Date).ToUniversalTime().AddMinutes($deadlineMinutes)
    if ($state) {
        $attempt = [int]$state['attempts'] + 1
        if ($state['deadline']) { $deadline = [datetime]::Parse([string]$state['deadline'], [System.Globalization.CultureInfo]::InvariantCulture, [System.Globalization.DateTimeStyles]'AdjustToUniversal, AssumeUniversal') }
    }
    Write-Step ('On the target (UUID {0}), attempt {1}, deadline {2:u}.' -f $current, $attempt, $deadline)

    $disks = @(Set-DisksOnline $sharedDisks)
    $saved = Read-XtractState 'network.json'
    $nics = @()
    if ($saved) { $nics = @($saved['nics']) }
    # AHV's VirtIO NICs appear once netkvm has loaded: wait a little for all of them, then restore
    # every one that is there, on every run (a run is idempotent); missing ones are reported.
    $wait = (Get-Date).AddMinutes(2)
    do {
        $adapters = Find-Adapters $nics
        $missing = @($nics | Where-Object { -not $adapters.ContainsKey([string]$_['mac']) })
        if ($missing.Count -gt 0) { Start-Sleep -Seconds 10 }
    } while ($missing.Count -gt 0 -and (Get-Date) -lt $wait)

    $results = @()
    foreach ($nic in $nics) { try { Clear-GhostAdapter $nic } catch { Add-Problem ('Ghost adapter of {0}: {1}' -f $nic['name'], $_.Exception.Message) } }
    foreach ($nic in $nics) {
        $mac = [string]$nic['mac']
        if (-not $adapters.ContainsKey($mac)) {
            $results += @{ mac = $mac; name = $nic['name']; restored = $false; addresses = @() }
            continue
        }
        $adapter = $adapters[$mac]
        if ($adapter.ServiceName -ne 'netkvm') { Write-Step ('{0} uses driver {1}, not netkvm.' -f $mac, $adapter.ServiceName) }
        $before = $errors.Count
        $addresses = @()
        try { $addresses = @(Restore-Nic $nic $adapter) } catch { Add-Problem ('Restoring {0}: {1}' -f $nic['name'], $_.Exception.Message) }
        $results += @{ mac = $mac; name = $nic['name']; restored = ($errors.Count -eq $before); addresses = $addresses }
    }
    $missingMacs = @($missing | ForEach-Object { [string]$_['mac'] })
    if ($missingMacs.Count -gt 0 -and (Get-Date).ToUniversalTime() -lt $deadline) {
        [void](Save-XtractState 'firstboot-state.json' @{ attempts = $attempt; deadline = $deadline; missing = $missingMacs })
        Complete-XtractTask $false ('Restored the adapters present; {0} have not appeared yet; the task tries again in a minute until {1:u}.' -f $missingMacs.Count, $deadline) @{ pending = $true; attempts = $attempt; deadline = $deadline; missing = $missingMacs }
    }
    foreach ($m in $missing) {
        Add-Problem ('No adapter with MAC {0} ({1}) appeared by {2:u}: check that the AHV VM kept the source MAC addresses and has the VirtIO network driver.' -f $m['mac'], $m['name'], $deadline)
    }
    [void](Invoke-XtractNative "$env:SystemRoot\System32\ipconfig.exe" @('/registerdns'))

    $result = @{ ok = ($errors.Count -eq 0); on_target = $true; nics = $results; disks_onlined = $disks; errors = @($errors)
                 finished_at = (Get-Date); attempts = $attempt }
    [void](Save-XtractState 'firstboot-state.json' @{ attempts = $attempt; deadline = $deadline; missing = @() })
    [void](Save-XtractState 'firstboot-result.json' $result)
    # Done on the target: the task removes itself and never runs again.
    [void](Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Delete', '/TN', $taskName, '/F'))
    Remove-Item -LiteralPath (Join-Path $script:StateDir 'firstboot.ps1') -Force -ErrorAction SilentlyContinue
    Write-Step ('Finished: {0} error(s).' -f $errors.Count)
    if ($errors.Count -eq 0) { Complete-XtractTask $true ('On AHV: restored {0} network adapter(s), {1} disk(s) brought online.' -f $results.Count, $disks.Count) $result }
    Complete-XtractTask $false 'On AHV, part of the network configuration was not restored: see errors.' $result
} catch {
    Write-Step ('Unexpected error: ' + $_.Exception.Message)
    Complete-XtractTask $false ('The first-boot task failed: {0} See C:\ProgramData\xtract\firstboot.log on the VM.' -f $_.Exception.Message)
}
