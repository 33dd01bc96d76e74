<#
.SYNOPSIS
    Check that the account has a full administrator token; explain what to change when it does not.
.NOTES
    Task win.check_admin (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
param([string]$ParamsFile)
$TaskId = 'win.check_admin'

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

# Why by SID: group names are localized ("Administrateurs"), SIDs are not.
$AdminsSid = 'S-1-5-32-544'
$HighIntegritySid = 'S-1-16-12288'
$PolicyKey = 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System'

try {
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    $isInRole = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
    $userSid = $identity.User.Value
    $isRid500 = $userSid -match '^S-1-5-21-.*-500$'
    $domainPart = ($identity.Name -split '\\')[0]
    $isDomain = $domainPart -ne $env:COMPUTERNAME

    # WindowsIdentity.Groups lists only the enabled groups of the token; whoami /groups also lists the
    # deny-only ones (a UAC-filtered token) and the mandatory label. Read whoami's CSV by position:
    # its column titles and attribute words are localized.
    $enabledSids = @($identity.Groups | ForEach-Object { $_.Value })
    $tokenSids = @()
    $integritySid = $null
    try {
        $rows = @(& "$env:SystemRoot\System32\whoami.exe" /groups /fo csv /nh | ConvertFrom-Csv -Header 'Name', 'Type', 'Sid', 'Attributes')
        foreach ($row in $rows) {
            $tokenSids += $row.Sid
            if ($row.Sid -like 'S-1-16-*') { $integritySid = $row.Sid }
        }
    } catch {
        Add-XtractWarning ('whoami /groups failed ({0}); membership is judged from the enabled groups only.' -f $_.Exception.Message)
    }
    $member = ($tokenSids -contains $AdminsSid) -or ($enabledSids -contains $AdminsSid)
    $enabled = $enabledSids -contains $AdminsSid
    $denyOnly = $member -and -not $enabled
    $integrityNames = @{ 'S-1-16-4096' = 'Low'; 'S-1-16-8192' = 'Medium'; 'S-1-16-8448' = 'MediumPlus'; 'S-1-16-12288' = 'High'; 'S-1-16-16384' = 'System' }
    $integrity = 'Unknown'
    if ($integritySid -and $integrityNames.ContainsKey($integritySid)) { $integrity = $integrityNames[$integritySid] }

    $latfp = Get-XtractRegValue $PolicyKey 'LocalAccountTokenFilterPolicy'
    $fat = Get-XtractRegValue $PolicyKey 'FilterAdministratorToken'
    $enableLua = Get-XtractRegValue $PolicyKey 'EnableLUA'
    # KB951016: remote connections of local accounts get a filtered token unless the policy is 1;
    # the built-in Administrator (RID 500) is exempt unless FilterAdministratorToken is 1.
    $remoteFiltered = (-not $isDomain) -and ($enableLua -ne 0) -and (
        ((-not $isRid500) -and ($latfp -ne 1)) -or ($isRid500 -and $fat -eq 1))

    $data = @{
        user = $identity.Name; user_sid = $userSid; is_builtin_administrator = $isRid500; is_domain_account = $isDomain
        administrators_member = $member; administrators_enabled = $enabled; administrators_deny_only = $denyOnly
        integrity_level = $integrity; integrity_sid = $integritySid; is_in_role_administrator = $isInRole
        local_account_token_filter_policy = $latfp; filter_administrator_token = $fat; enable_lua = $enableLua
        remote_uac_filtered = $remoteFiltered
    }

    if ($isInRole -and $enabled) {
        if ($integritySid -and $integritySid -ne $HighIntegritySid -and $integritySid -ne 'S-1-16-16384') {
            Add-XtractWarning "The token is not at High integrity ($integrity); some installers may still be refused."
        }
        Complete-XtractTask $true 'The account is a member of Administrators with a full (elevated) token.' $data
    }
    if (-not $member) {
        Complete-XtractTask $false ("{0} is not a member of the local Administrators group: add it (or give the credentials of an account that is), then run the preparation again." -f $identity.Name) $data
    }
    if ($isRid500 -and $fat -eq 1) {
        Complete-XtractTask $false ("{0} is the built-in Administrator but FilterAdministratorToken=1 filters its token (UAC admin approval mode): set HKLM\...\Policies\System\FilterAdministratorToken to 0, or use another admin account." -f $identity.Name) $data
    }
    if (-not $isDomain) {
        Complete-XtractTask $false ("{0} is a local administrator but remote sessions get a filtered (deny-only) token: set HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System\LocalAccountTokenFilterPolicy to 1 (DWORD), or use a domain account that is a local administrator." -f $identity.Name) $data
    }
    Complete-XtractTask $false ("{0} is in Administrators, but only as deny-only (UAC filtered the token): run the tool's session elevated, or use an account whose remote token is not filtered." -f $identity.Name) $data
} catch {
    Complete-XtractTask $false ('Could not check the account''s rights: {0} Run the task again; if it persists, check that whoami.exe works.' -f $_.Exception.Message)
}
