<#
.SYNOPSIS
    After cutover: uninstall VMware Tools (msiexec /x), or remove its services and files when the MSI refuses.
.NOTES
    Task win.remove_vmware_tools (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
param([string]$ParamsFile)
$TaskId = 'win.remove_vmware_tools'

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
        $out = & "$env:SystemRoot\System32\sc.exe" delete $svc 2>&1
        if ($LASTEXITCODE -eq 0) { $data.services_removed += $svc; $script:Changed = $true }
        else { Add-XtractWarning ('sc delete {0}: {1}' -f $svc, ($out -join ' ')) }
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
