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
    $adapters = @{}
    foreach ($a in (Get-XtractCim 'Win32_NetworkAdapter' 'PhysicalAdapter = TRUE')) { $adapters[[int]$a.Index] = $a }
    $useNetIp = [bool](Get-Command Get-NetIPAddress -ErrorAction SilentlyContinue)
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
            if ($useNetIp -and $ip -like '*:*') {
                # Only manual IPv6 addresses are configuration; SLAAC/DHCPv6 ones come back by themselves.
                $origin = @(Get-NetIPAddress -IPAddress $ip -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.PrefixOrigin })
                if ($origin.Count -gt 0 -and $origin[0] -ne 'Manual') { continue }
            }
            $prefix = 64
            if ($i -lt $masks.Count -and $masks[$i]) { $prefix = ConvertTo-PrefixLength $masks[$i] }
            $addresses += ('{0}/{1}' -f $ip, $prefix)
        }
        $netbios = @{ 0 = 'default'; 1 = 'enabled'; 2 = 'disabled' }[[int]$cfg.TcpipNetbiosOptions]
        $wins = @(@($cfg.WINSPrimaryServer, $cfg.WINSSecondaryServer) | Where-Object { $_ })
        $nics += @{
            mac = $cfg.MACAddress.ToLowerInvariant(); name = [string]$adapter.NetConnectionID; description = [string]$cfg.Description
            setting_id = [string]$cfg.SettingID; pnp_device_id = [string]$adapter.PNPDeviceID
            interface_index = [int]$cfg.InterfaceIndex; dhcp = [bool]$cfg.DHCPEnabled; addresses = $addresses
            gateways = @(@($cfg.DefaultIPGateway) | Where-Object { $_ }); gateway_metrics = @(@($cfg.GatewayCostMetric) | Where-Object { $null -ne $_ })
            routes = @(Get-PersistentRoutes $cfg.InterfaceIndex); dns_servers = @(@($cfg.DNSServerSearchOrder) | Where-Object { $_ })
            dns_suffix = [string]$cfg.DNSDomain; register_in_dns = [bool]$cfg.FullDNSRegistrationEnabled
            register_with_suffix = [bool]$cfg.DomainDNSRegistrationEnabled; wins_servers = $wins; netbios = $netbios
        }
    }
    $nics = @($nics | Sort-Object { $_['mac'] })
    if ($nics.Count -eq 0) {
        Complete-XtractTask $false 'No IP-enabled physical network adapter was found: check the VM''s NICs in vCenter, then run the task again.'
    }
    $global = @{ search_list = $searchList; primary_suffix = [string](Get-XtractRegValue $tcpip 'NV Domain'); persistent_routes = $globalRoutes }
    [void](Save-XtractState 'network.json' @{ version = 1; nics = $nics; global = $global })
    $data = @{ file = (Join-Path $script:StateDir 'network.json'); global = $global; nics = $nics }
    Complete-XtractTask $true ("Saved the IP configuration of {0} network adapter(s)." -f $nics.Count) $data
} catch {
    Complete-XtractTask $false ('Could not read the IP configuration: {0} Check that the WMI service runs, then run the task again.' -f $_.Exception.Message)
}
