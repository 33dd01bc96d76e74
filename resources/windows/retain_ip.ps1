<#
.SYNOPSIS
    Save the IP configuration of every NIC, keyed by MAC, for the first-boot restore on AHV.
.NOTES
    Task win.retain_ip (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.retain_ip'

# On AHV each NIC is new hardware: the old adapter turns into a hidden "ghost" that keeps the IP
# and the new one comes up on DHCP as "Ethernet 2". We save everything needed to rebuild the
# configuration, keyed by MAC (AHV keeps the source MACs), so any number of NICs can be restored.
function ConvertTo-PrefixLength([string]$Mask) {
    if ($Mask -match '^\d+$') { return [int]$Mask }  # IPv6 entries already hold a prefix length
    $bits = 0
    # Count the one bits octet by octet; -shl/-shr would need PowerShell 3.0.
    foreach ($octet in $Mask.Split('.')) { $bits += ([System.Convert]::ToString([int]$octet, 2) -replace '0', '').Length }
    return $bits
}

function Get-PersistentRoutes($InterfaceIndex) {
    $routes = @()
    if (Get-Command Get-NetRoute -ErrorAction SilentlyContinue) {
        # 2012+: per-interface persistent routes are tied to the adapter and vanish with it.
        foreach ($r in @(Get-NetRoute -InterfaceIndex $InterfaceIndex -PolicyStore PersistentStore -ErrorAction SilentlyContinue)) {
            if ($r.DestinationPrefix -eq '0.0.0.0/0' -or $r.DestinationPrefix -eq '::/0') { continue }
            $routes += @{ destination = $r.DestinationPrefix; next_hop = $r.NextHop; metric = [int]$r.RouteMetric; persistent = $true }
        }
    }
    return $routes
}

# Addresses that belong to a failover cluster or an availability-group listener move between
# nodes: restoring them as static on this node would duplicate them after the next failover.
function Get-ClusterAddresses {
    $addresses = @()
    if (-not (Get-Command Get-ClusterResource -ErrorAction SilentlyContinue)) {
        Import-Module FailoverClusters -ErrorAction SilentlyContinue
    }
    if (Get-Command Get-ClusterResource -ErrorAction SilentlyContinue) {
        try {
            foreach ($r in @(Get-ClusterResource -ErrorAction Stop | Where-Object { $_.ResourceType -like 'IP*Address' })) {
                foreach ($p in @($r | Get-ClusterParameter -Name Address -ErrorAction SilentlyContinue)) { if ($p.Value) { $addresses += [string]$p.Value } }
            }
        } catch { Add-XtractWarning ('The cluster''s IP address resources could not be read ({0}); check that no cluster address was saved.' -f $_.Exception.Message) }
    }
    return $addresses
}

# Addresses marked SkipAsSource (cluster and AG listener addresses, secondary service IPs) are not
# this node's own: 2012+ tells, 2008 R2 cannot.
function Get-SkipAsSourceAddresses {
    $addresses = @()
    if (Get-Command Get-NetIPAddress -ErrorAction SilentlyContinue) {
        $addresses = @(Get-NetIPAddress -ErrorAction SilentlyContinue | Where-Object { $_.SkipAsSource } | ForEach-Object { [string]$_.IPAddress })
    }
    return $addresses
}

# Only manual IPv6 addresses are configuration; SLAAC/DHCPv6 ones come back by themselves.
function Get-ManualIPv6 {
    $addresses = @()
    if (Get-Command Get-NetIPAddress -ErrorAction SilentlyContinue) {
        $addresses = @(Get-NetIPAddress -AddressFamily IPv6 -ErrorAction SilentlyContinue | Where-Object { [string]$_.PrefixOrigin -eq 'Manual' } | ForEach-Object { [string]$_.IPAddress })
    }
    return $addresses
}

# IPv6 default routers the administrator set (not learned from router advertisements): 2012+ only.
function Get-StaticIPv6Gateways($InterfaceIndex) {
    $gateways = @()
    if (Get-Command Get-NetRoute -ErrorAction SilentlyContinue) {
        $gateways = @(Get-NetRoute -InterfaceIndex $InterfaceIndex -DestinationPrefix '::/0' -PolicyStore PersistentStore -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.NextHop })
    }
    return $gateways
}

# The DNS servers set by hand (the NameServer value); the effective list (DNSServerSearchOrder)
# also holds what DHCP gave, which must not come back as static on AHV.
function Get-StaticDnsServers([string]$SettingId) {
    $value = Get-XtractRegValue ('HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces\' + $SettingId) 'NameServer'
    if (-not $value) { return @() }
    return @(([string]$value).Split(', ', [System.StringSplitOptions]::RemoveEmptyEntries))
}

try {
    $tcpip = 'HKLM:\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters'
    $searchList = @()
    $sl = Get-XtractRegValue $tcpip 'SearchList'
    if ($sl) { $searchList = @($sl.Split(',') | Where-Object { $_ }) }
    # Global IPv4 persistent routes (route -p) live here and are not bound to an adapter: they
    # survive the move; we record them so the result can be checked.
    $globalRoutes = @()
    $pr = Join-Path $tcpip 'PersistentRoutes'
    if (Test-Path -LiteralPath $pr) {
        foreach ($p in (Get-Item -LiteralPath $pr).Property) {
            $f = $p.Split(',')
            if ($f.Count -ge 3) { $globalRoutes += @{ destination = ('{0}/{1}' -f $f[0], (ConvertTo-PrefixLength $f[1])); next_hop = $f[2]; metric = [int]$f[3]; persistent = $true } }
        }
    }
    $excluded = @(@(Get-ClusterAddresses) + @(Get-SkipAsSourceAddresses) | Select-Object -Unique)
    $manualV6 = @(Get-ManualIPv6)
    $canTellV6 = [bool](Get-Command Get-NetIPAddress -ErrorAction SilentlyContinue)
    $skipped = @()
    $adapters = @{}
    foreach ($a in (Get-XtractCim 'Win32_NetworkAdapter' 'PhysicalAdapter = TRUE')) { $adapters[[int]$a.Index] = $a }
    $nics = @()
    foreach ($cfg in (Get-XtractCim 'Win32_NetworkAdapterConfiguration' 'IPEnabled = TRUE')) {
        if (-not $cfg.MACAddress -or -not $adapters.ContainsKey([int]$cfg.Index)) { continue }
        $adapter = $adapters[[int]$cfg.Index]
        $addresses = @()
        $ips = @($cfg.IPAddress)
        $masks = @($cfg.IPSubnet)
        for ($i = 0; $i -lt $ips.Count; $i++) {
            $ip = $ips[$i]
            if (-not $ip -or $ip -like 'fe80:*' -or $ip -like '169.254.*') { continue }
            if ($excluded -contains $ip) { $skipped += $ip; continue }
            if ($canTellV6 -and $ip -like '*:*' -and $manualV6 -notcontains $ip) { continue }
            $prefix = 64
            if ($i -lt $masks.Count -and $masks[$i]) { $prefix = ConvertTo-PrefixLength $masks[$i] }
            $addresses += ('{0}/{1}' -f $ip, $prefix)
        }
        # DefaultIPGateway mixes IPv4 and IPv6 routers; SetGateways takes IPv4 only, so they are
        # kept apart. GatewayCostMetric 0 means "automatic" and is outside what SetGateways takes (1-9999).
        $allGateways = @(@($cfg.DefaultIPGateway) | Where-Object { $_ })
        $allMetrics = @($cfg.GatewayCostMetric)
        $gateways = @()
        $metrics = @()
        for ($i = 0; $i -lt $allGateways.Count; $i++) {
            if ($allGateways[$i] -like '*:*') { continue }
            $gateways += $allGateways[$i]
            $m = $null
            if ($i -lt $allMetrics.Count -and [int]$allMetrics[$i] -ge 1 -and [int]$allMetrics[$i] -le 9999) { $m = [int]$allMetrics[$i] }
            $metrics += $m
        }
        if (@($metrics | Where-Object { $null -eq $_ }).Count -gt 0) { $metrics = @() }
        $netbios = @{ 0 = 'default'; 1 = 'enabled'; 2 = 'disabled' }[[int]$cfg.TcpipNetbiosOptions]
        $wins = @(@($cfg.WINSPrimaryServer, $cfg.WINSSecondaryServer) | Where-Object { $_ })
        $nics += @{
            mac = $cfg.MACAddress.ToLowerInvariant(); name = [string]$adapter.NetConnectionID; description = [string]$cfg.Description
            setting_id = [string]$cfg.SettingID; pnp_device_id = [string]$adapter.PNPDeviceID
            interface_index = [int]$cfg.InterfaceIndex; dhcp = [bool]$cfg.DHCPEnabled; addresses = $addresses
            gateways = $gateways; gateway_metrics = $metrics; gateways_v6 = @(Get-StaticIPv6Gateways $cfg.InterfaceIndex)
            routes = @(Get-PersistentRoutes $cfg.InterfaceIndex); dns_servers = @(Get-StaticDnsServers ([string]$cfg.SettingID))
            dns_suffix = [string]$cfg.DNSDomain; register_in_dns = [bool]$cfg.FullDNSRegistrationEnabled
            register_with_suffix = [bool]$cfg.DomainDNSRegistrationEnabled; wins_servers = $wins; netbios = $netbios
        }
    }
    $nics = @($nics | Sort-Object { $_['mac'] })
    if ($nics.Count -eq 0) {
        Complete-XtractTask $false 'No IP-enabled physical network adapter was found: check the VM''s NICs in vCenter, then run the task again.'
    }
    if ($skipped.Count -gt 0) {
        Add-XtractWarning ('Not saved, as they belong to a cluster or are marked SkipAsSource: {0}.' -f ($skipped -join ', '))
    }
    if (-not $canTellV6) {
        Add-XtractWarning 'This Windows cannot tell manual IPv6 addresses and routers from learned ones: IPv6 default routes are not saved; check IPv6 on AHV.'
    }
    $global = @{ search_list = $searchList; primary_suffix = [string](Get-XtractRegValue $tcpip 'NV Domain'); persistent_routes = $globalRoutes }
    [void](Save-XtractState 'network.json' @{ version = 2; nics = $nics; global = $global; excluded_addresses = $skipped })
    $data = @{ file = (Join-Path $script:StateDir 'network.json'); global = $global; nics = $nics; excluded_addresses = $skipped }
    Complete-XtractTask $true ("Saved the IP configuration of {0} network adapter(s)." -f $nics.Count) $data
} catch {
    Complete-XtractTask $false ('Could not read the IP configuration: {0} Check that the WMI service runs, then run the task again.' -f $_.Exception.Message)
}
