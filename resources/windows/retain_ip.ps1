<#
.SYNOPSIS
    Save the IP configuration of every NIC, keyed by MAC, for the first-boot restore on AHV.
.NOTES
    Task win.retain_ip (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
param([string]$ParamsFile)
$TaskId = 'win.retain_ip'

# --- xtract prelude: identical in every windows/*.ps1 (tests/guest_scripts keeps the copies equal) ---
# Contract (resources/README.md): params come as a JSON object in -ParamsFile, deleted at once
# because it may hold a secret; the last stdout line is one compact JSON result. PowerShell 2.0+.
Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Stop'
$script:Changed = $false
$script:Warnings = New-Object System.Collections.ArrayList
$script:StateDir = Join-Path $env:ProgramData 'xtract'

function Write-XtractLog([string]$Message) {
    [Console]::Error.WriteLine(('{0:u} {1}' -f (Get-Date), $Message))
}

function Add-XtractWarning([string]$Text) {
    Write-XtractLog ('WARNING: ' + $Text)
    [void]$script:Warnings.Add($Text)
}

function ConvertTo-XtractJson($Value) {
    if ($null -eq $Value) { return 'null' }
    if ($Value -is [System.Management.Automation.PSObject]) { $Value = $Value.PSObject.BaseObject }
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [datetime]) { $Value = $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ') }
    if ($Value -is [enum] -or $Value -is [char] -or $Value -is [guid] -or $Value -is [version]) { $Value = [string]$Value }
    if ($Value -is [string]) {
        $sb = New-Object System.Text.StringBuilder
        [void]$sb.Append('"')
        foreach ($c in $Value.ToCharArray()) {
            $code = [int]$c
            if ($c -eq '"') { [void]$sb.Append('\"') }
            elseif ($c -eq '\') { [void]$sb.Append('\\') }
            elseif ($code -eq 10) { [void]$sb.Append('\n') }
            elseif ($code -eq 13) { [void]$sb.Append('\r') }
            elseif ($code -eq 9) { [void]$sb.Append('\t') }
            elseif ($code -lt 32 -or $code -gt 126) { [void]$sb.Append(('\u{0:x4}' -f $code)) }
            else { [void]$sb.Append($c) }
        }
        [void]$sb.Append('"')
        return $sb.ToString()
    }
    if ($Value -is [System.ValueType]) {
        return ([System.IFormattable]$Value).ToString($null, [System.Globalization.CultureInfo]::InvariantCulture)
    }
    if ($Value -is [System.Collections.IDictionary]) {
        $parts = @()
        foreach ($key in @($Value.Keys | Sort-Object)) {
            $parts += ((ConvertTo-XtractJson ([string]$key)) + ':' + (ConvertTo-XtractJson $Value[$key]))
        }
        return '{' + ($parts -join ',') + '}'
    }
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $parts = @()
        foreach ($p in $Value.PSObject.Properties) { $parts += ((ConvertTo-XtractJson $p.Name) + ':' + (ConvertTo-XtractJson $p.Value)) }
        return '{' + ($parts -join ',') + '}'
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $parts = @()
        foreach ($item in $Value) { $parts += (ConvertTo-XtractJson $item) }
        return '[' + ($parts -join ',') + ']'
    }
    return (ConvertTo-XtractJson ([string]$Value))
}

function ConvertTo-XtractDictionary($Value) {
    if ($Value -is [System.Management.Automation.PSCustomObject]) {
        $d = @{}
        foreach ($p in $Value.PSObject.Properties) { $d[$p.Name] = ConvertTo-XtractDictionary $p.Value }
        return $d
    }
    if ($Value -is [System.Array]) { return ,@($Value | ForEach-Object { ConvertTo-XtractDictionary $_ }) }
    return $Value
}

# JavaScriptSerializer needs .NET 3.5 (any 2008 R2/7 with PowerShell 2.0 has it); ConvertFrom-Json
# is the fallback on PowerShell 3.0+ without System.Web.Extensions (Server Core).
function ConvertFrom-XtractJson([string]$Text) {
    try {
        Add-Type -AssemblyName System.Web.Extensions
        $serializer = New-Object System.Web.Script.Serialization.JavaScriptSerializer
        $serializer.MaxJsonLength = 67108864
        return ,$serializer.DeserializeObject($Text)
    } catch {
        if (Get-Command ConvertFrom-Json -ErrorAction SilentlyContinue) { return ,(ConvertTo-XtractDictionary ($Text | ConvertFrom-Json)) }
        throw
    }
}

function Complete-XtractTask([bool]$Ok, [string]$Message, $Data = @{}) {
    $result = @{ task = $TaskId; ok = $Ok; changed = $script:Changed; message = $Message;
                 warnings = @($script:Warnings); data = $Data }
    # Keys in contract order; ConvertTo-XtractJson sorts dictionary keys, so build the top level by hand.
    $line = '{"task":' + (ConvertTo-XtractJson $result.task) + ',"ok":' + (ConvertTo-XtractJson $result.ok) +
            ',"changed":' + (ConvertTo-XtractJson $result.changed) + ',"message":' + (ConvertTo-XtractJson $result.message) +
            ',"warnings":' + (ConvertTo-XtractJson $result.warnings) + ',"data":' + (ConvertTo-XtractJson $result.data) + '}'
    [Console]::Out.WriteLine($line)
    if ($Ok) { exit 0 } else { exit 1 }
}

$script:Params = @{}
if ($ParamsFile) {
    if (Test-Path -LiteralPath $ParamsFile) {
        $raw = [System.IO.File]::ReadAllText($ParamsFile)
        Remove-Item -LiteralPath $ParamsFile -Force
        if ($raw.Trim()) {
            try { $script:Params = ConvertFrom-XtractJson $raw }
            catch { Complete-XtractTask $false 'The parameters file is not valid JSON: this is a bug in the tool; report it.' }
        }
    }
}

function Get-XtractParam([string]$Name, $Default = $null) {
    if ($script:Params -is [System.Collections.IDictionary] -and $script:Params.ContainsKey($Name) -and $null -ne $script:Params[$Name]) {
        return $script:Params[$Name]
    }
    return $Default
}

function Test-XtractTrue($Value) {
    return ($Value -eq $true -or @('true', '1', 'yes') -contains ([string]$Value).ToLowerInvariant())
}

function Get-XtractRegValue([string]$Path, [string]$Name) {
    $item = Get-ItemProperty -LiteralPath $Path -Name $Name -ErrorAction SilentlyContinue
    if ($null -eq $item) { return $null }
    return $item.$Name
}

function Read-XtractState([string]$Name) {
    $path = Join-Path $script:StateDir $Name
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    return ,(ConvertFrom-XtractJson ([System.IO.File]::ReadAllText($path)))
}

# Save-XtractState NAME OBJECT: writes only when the content differs, so a second run changes nothing.
function Save-XtractState([string]$Name, $Object) {
    if (-not (Test-Path -LiteralPath $script:StateDir)) { [void](New-Item -ItemType Directory -Path $script:StateDir -Force) }
    $path = Join-Path $script:StateDir $Name
    $text = ConvertTo-XtractJson $Object
    if ((Test-Path -LiteralPath $path) -and ([System.IO.File]::ReadAllText($path) -eq $text)) { return $false }
    [System.IO.File]::WriteAllText($path, $text, (New-Object System.Text.UTF8Encoding($false)))
    $script:Changed = $true
    return $true
}

# Get-CimInstance on 3.0+, Get-WmiObject on 2.0; never wmic.exe (gone from Windows 11 / 2025).
function Get-XtractCim([string]$Class, [string]$Filter = $null) {
    if (Get-Command Get-CimInstance -ErrorAction SilentlyContinue) {
        if ($Filter) { return @(Get-CimInstance -ClassName $Class -Filter $Filter) }
        return @(Get-CimInstance -ClassName $Class)
    }
    if ($Filter) { return @(Get-WmiObject -Class $Class -Filter $Filter) }
    return @(Get-WmiObject -Class $Class)
}

function Get-XtractOsVersion {
    return [System.Environment]::OSVersion.Version
}
# --- end of xtract prelude ---

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
