<#
.SYNOPSIS
    Install the first-boot scheduled task (SYSTEM, at startup, bounded retries) and save the source SMBIOS UUID.
.NOTES
    Task win.install_firstboot (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
param([string]$ParamsFile)
$TaskId = 'win.install_firstboot'

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

# A scheduled task, not RunOnce: RunOnce waits for an interactive logon, and nobody logs on to a
# freshly cut-over server. SYSTEM, at startup, repeated every minute for a bounded time.
$TaskName = '\Xtract\FirstBoot'

function Get-TaskXml([string]$Script) {
    $ps = Join-Path $env:SystemRoot 'System32\WindowsPowerShell\v1.0\powershell.exe'
    $arguments = '-NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{0}"' -f $Script
    # Task Scheduler schema 1.2 (Windows 7 / 2008 R2 and later); S-1-5-18 is LocalSystem.
    return @"
<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo><Description>Xtract: restores the network configuration when this VM first starts on Nutanix AHV.</Description></RegistrationInfo>
  <Triggers>
    <BootTrigger>
      <Repetition><Interval>PT1M</Interval><Duration>PT30M</Duration><StopAtDurationEnd>false</StopAtDurationEnd></Repetition>
      <Enabled>true</Enabled>
    </BootTrigger>
  </Triggers>
  <Principals><Principal id="System"><UserId>S-1-5-18</UserId><RunLevel>HighestAvailable</RunLevel></Principal></Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>
    <StartWhenAvailable>true</StartWhenAvailable>
    <ExecutionTimeLimit>PT20M</ExecutionTimeLimit>
    <Enabled>true</Enabled>
  </Settings>
  <Actions Context="System"><Exec><Command>$ps</Command><Arguments>$([System.Security.SecurityElement]::Escape($arguments))</Arguments></Exec></Actions>
</Task>
"@
}

try {
    $text = [string](Get-XtractParam 'firstboot_script' '')
    $maxAttempts = [int](Get-XtractParam 'max_attempts' 15)
    if (-not $text.Trim()) { Complete-XtractTask $false 'The first-boot script was not sent (parameter firstboot_script is empty): this is a bug in the tool; report it.' }
    if (-not (Read-XtractState 'network.json')) {
        Add-XtractWarning 'No saved network configuration yet (Retaining IP addresses did not run): the first boot will only bring disks online.'
    }
    $uuid = [string](Get-XtractCim 'Win32_ComputerSystemProduct')[0].UUID
    if (-not $uuid -or $uuid -match '^[0F-]+$') {
        Complete-XtractTask $false 'The SMBIOS UUID of this VM is empty, so AHV could not be told apart from ESXi: check the VM''s uuid.bios in vCenter.'
    }
    $identity = Read-XtractState 'source-identity.json'
    if ($identity -and $identity['smbios_uuid'] -ne $uuid) {
        Add-XtractWarning ('The saved source UUID {0} differs from this machine ({1}); keeping the saved one, as this looks like a re-run after cutover.' -f $identity['smbios_uuid'], $uuid)
        $uuid = $identity['smbios_uuid']
    }
    [void](Save-XtractState 'source-identity.json' @{ smbios_uuid = $uuid })
    [void](Save-XtractState 'firstboot-config.json' @{ max_attempts = $maxAttempts; task_name = $TaskName })

    $scriptPath = Join-Path $script:StateDir 'firstboot.ps1'
    $scriptChanged = $true
    if (Test-Path -LiteralPath $scriptPath) { $scriptChanged = [System.IO.File]::ReadAllText($scriptPath) -ne $text }
    if ($scriptChanged) {
        [System.IO.File]::WriteAllText($scriptPath, $text, (New-Object System.Text.UTF8Encoding($true)))
        $script:Changed = $true
    }

    & "$env:SystemRoot\System32\schtasks.exe" /Query /TN $TaskName 2>&1 | Out-Null
    $exists = $LASTEXITCODE -eq 0
    if (-not $exists -or $scriptChanged) {
        $xmlFile = Join-Path $env:TEMP ('xtract-task-' + [guid]::NewGuid().ToString('N') + '.xml')
        [System.IO.File]::WriteAllText($xmlFile, (Get-TaskXml $scriptPath), [System.Text.Encoding]::Unicode)
        try {
            $out = & "$env:SystemRoot\System32\schtasks.exe" /Create /TN $TaskName /XML $xmlFile /F 2>&1
            if ($LASTEXITCODE -ne 0) {
                Complete-XtractTask $false ('schtasks could not create {0} (exit {1}: {2}): check that the Task Scheduler service runs, then run the task again.' -f $TaskName, $LASTEXITCODE, ($out -join ' '))
            }
        } finally { Remove-Item -LiteralPath $xmlFile -Force -ErrorAction SilentlyContinue }
        $script:Changed = $true
    }
    $data = @{ task_name = $TaskName; script = $scriptPath; source_smbios_uuid = $uuid; max_attempts = $maxAttempts }
    if ($script:Changed) { Complete-XtractTask $true 'Installed the first-boot task; it will restore the network when the VM starts on AHV.' $data }
    Complete-XtractTask $true 'The first-boot task is already installed.' $data
} catch {
    Complete-XtractTask $false ('Could not install the first-boot task: {0} Check the Task Scheduler service, then run the task again.' -f $_.Exception.Message)
}
