# The xtract guest-script prelude. The resource loader (xtract_gui.resources) puts this file in
# front of every windows/*.ps1 task script, so that the script a channel uploads runs by itself.
# The task body that follows sets $TaskId before it calls anything below.
param([string]$ParamsFile, [string]$ParamsJson)

# --- xtract prelude (resources/windows/_prelude.ps1) ---
# Contract (resources/README.md): params come as a JSON object, in -ParamsJson (read from the
# channel's stdin, never a file) or in -ParamsFile (deleted at once: it may hold a secret); the last
# stdout line is one compact JSON result. PowerShell 2.0+.
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

# JSON in: parameters and state files. A reader of our own, because System.Web.Extensions
# (JavaScriptSerializer, .NET 3.5) is an optional feature that a 2008 R2 guest may lack, and
# ConvertFrom-Json needs PowerShell 3.0. Objects become hashtables, arrays object[], numbers int,
# long or double. .NET regular expressions find the tokens; nothing beyond PowerShell 2.0.
function Get-XtractJsonToken($Tokens) {
    if ($script:XtractJsonAt -ge $Tokens.Count) { throw 'The JSON text ends too early.' }
    $token = $Tokens[$script:XtractJsonAt].Value
    $script:XtractJsonAt++
    return $token
}

function ConvertFrom-XtractJsonString([string]$Token) {
    $s = $Token.Substring(1, $Token.Length - 2)
    if ($s.IndexOf([char]92) -lt 0) { return $s }
    $sb = New-Object System.Text.StringBuilder
    $last = 0
    foreach ($m in [regex]::Matches($s, '\\(?:u([0-9a-fA-F]{4})|([\s\S]))')) {
        [void]$sb.Append($s, $last, $m.Index - $last)
        if ($m.Groups[1].Success) { [void]$sb.Append([char][System.Convert]::ToInt32($m.Groups[1].Value, 16)) }
        else {
            switch -CaseSensitive ($m.Groups[2].Value) {
                'n' { [void]$sb.Append([char]10) }
                'r' { [void]$sb.Append([char]13) }
                't' { [void]$sb.Append([char]9) }
                'b' { [void]$sb.Append([char]8) }
                'f' { [void]$sb.Append([char]12) }
                default { [void]$sb.Append($m.Groups[2].Value) }
            }
        }
        $last = $m.Index + $m.Length
    }
    [void]$sb.Append($s, $last, $s.Length - $last)
    return $sb.ToString()
}

function Read-XtractJsonValue($Tokens) {
    $t = Get-XtractJsonToken $Tokens
    if ($t -eq '{') {
        $object = @{}
        if ($script:XtractJsonAt -lt $Tokens.Count -and $Tokens[$script:XtractJsonAt].Value -eq '}') { $script:XtractJsonAt++; return ,$object }
        while ($true) {
            $key = Get-XtractJsonToken $Tokens
            if (-not $key.StartsWith('"')) { throw ('A JSON object key must be a string, not {0}.' -f $key) }
            if ((Get-XtractJsonToken $Tokens) -ne ':') { throw 'A JSON object key must be followed by a colon.' }
            $object[(ConvertFrom-XtractJsonString $key)] = Read-XtractJsonValue $Tokens
            $next = Get-XtractJsonToken $Tokens
            if ($next -eq '}') { return ,$object }
            if ($next -ne ',') { throw ('Expected , or } in a JSON object, not {0}.' -f $next) }
        }
    }
    if ($t -eq '[') {
        $list = New-Object System.Collections.ArrayList
        if ($script:XtractJsonAt -lt $Tokens.Count -and $Tokens[$script:XtractJsonAt].Value -eq ']') { $script:XtractJsonAt++; return ,$list.ToArray() }
        while ($true) {
            [void]$list.Add((Read-XtractJsonValue $Tokens))
            $next = Get-XtractJsonToken $Tokens
            if ($next -eq ']') { return ,$list.ToArray() }
            if ($next -ne ',') { throw ('Expected , or ] in a JSON array, not {0}.' -f $next) }
        }
    }
    if ($t.StartsWith('"')) { return (ConvertFrom-XtractJsonString $t) }
    if ($t -ceq 'true') { return $true }
    if ($t -ceq 'false') { return $false }
    if ($t -ceq 'null') { return $null }
    if ($t -match '^-?\d+$') {
        $n = [long]$t
        if ($n -ge [int]::MinValue -and $n -le [int]::MaxValue) { return [int]$n }
        return $n
    }
    if ($t -match '^-?\d') { return [double]::Parse($t, [System.Globalization.CultureInfo]::InvariantCulture) }
    throw ('Unexpected text in JSON: {0}' -f $t)
}

function ConvertFrom-XtractJson([string]$Text) {
    $tokens = [regex]::Matches($Text, '"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}\[\],:]|[A-Za-z]+|\S')
    $script:XtractJsonAt = 0
    $value = Read-XtractJsonValue $tokens
    if ($script:XtractJsonAt -ne $tokens.Count) { throw 'There is text after the JSON value.' }
    return ,$value
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

# The file goes at once (it may hold a secret). A parse failure is reported by the first
# Get-XtractParam, because only the task body knows its $TaskId.
$script:Params = @{}
$script:ParamsError = $null
$raw = $ParamsJson
if ($ParamsFile -and (Test-Path -LiteralPath $ParamsFile)) {
    $raw = [System.IO.File]::ReadAllText($ParamsFile)
    Remove-Item -LiteralPath $ParamsFile -Force
}
if ($raw -and $raw.Trim()) {
    try { $script:Params = ConvertFrom-XtractJson $raw }
    catch { $script:ParamsError = 'The parameters are not valid JSON: this is a bug in the tool; report it.' }
}
$raw = $null
# The folder this script runs from: the protected per-run folder the channel made, or the state
# folder for the first-boot script. Work files go there, never to $env:TEMP (see New-XtractWorkFile).
$script:WorkDir = Split-Path -Parent $MyInvocation.MyCommand.Path

function Get-XtractParam([string]$Name, $Default = $null) {
    if ($script:ParamsError) { Complete-XtractTask $false $script:ParamsError }
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
    Initialize-XtractStateDir
    $path = Join-Path $script:StateDir $Name
    if (-not (Test-Path -LiteralPath $path)) { return $null }
    return ,(ConvertFrom-XtractJson ([System.IO.File]::ReadAllText($path)))
}

# Save-XtractState NAME OBJECT: writes only when the content differs, so a second run changes nothing.
function Save-XtractState([string]$Name, $Object) {
    Initialize-XtractStateDir
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
# Native programs: Windows PowerShell 2.0-5.1 turn a redirected stderr line of a native program into
# a terminating NativeCommandError under $ErrorActionPreference = 'Stop' (PowerShell issues #3996,
# #4002; changed in 7.1). They run here only: the preference is lowered for this call alone, stderr
# is merged into the output as text, and the exit code is read (-1 when the program did not start).
function Invoke-XtractNative([string]$FilePath, [string[]]$ArgumentList = @()) {
    $ErrorActionPreference = 'Continue'
    $global:LASTEXITCODE = -1
    $output = @(& $FilePath @ArgumentList 2>&1 | ForEach-Object { [string]$_ })
    return @{ ExitCode = $global:LASTEXITCODE; Output = $output; Text = ($output -join ' ') }
}

function New-XtractWorkFile([string]$Name) {
    return (Join-Path $script:WorkDir ('{0}-{1}' -f [guid]::NewGuid().ToString('N'), $Name))
}

# >>> folder rules (the channels send this part alone to make a run folder: xtract_gui.guest)
# --- folder rules (issue 21): what runs elevated, or is read by a SYSTEM task, lives in folders
# that only SYSTEM, Administrators (owner) and the connecting account may change; the protected ACL
# is set when the folder is created, never inherited; an existing folder is checked, then repaired.
$script:XtractMe = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
$script:XtractTrusted = @('S-1-5-18', 'S-1-5-32-544', 'S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464', $script:XtractMe)
# WriteData 0x2, AppendData 0x4, WriteEA 0x10, DeleteChild 0x40, WriteAttributes 0x100, Delete 0x10000,
# WriteDAC 0x40000, WriteOwner 0x80000, GenericAll 0x10000000, GenericWrite 0x40000000.
$script:XtractWriteRights = 0x500D0156
# Above our folders only what lets someone replace or rename what is inside counts (any user may add
# files to C:\Windows\Temp; that does not touch ours): DeleteChild, Delete, WriteDAC, WriteOwner, GenericAll.
$script:XtractParentRights = 0x100D0040

function Get-XtractAclProblem([string]$Path, [int]$Rights) {
    $item = Get-Item -LiteralPath $Path -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) { return ('{0} is a link (reparse point)' -f $Path) }
    $acl = $item.GetAccessControl()
    $owner = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    if ($script:XtractTrusted -notcontains $owner) { return ('{0} is owned by {1}' -f $Path, $owner) }
    foreach ($rule in $acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        if ([string]$rule.AccessControlType -ne 'Allow') { continue }
        if ($rule.PropagationFlags -band [System.Security.AccessControl.PropagationFlags]::InheritOnly) { continue }
        if ($script:XtractTrusted -contains $rule.IdentityReference.Value) { continue }
        if (([int]$rule.FileSystemRights -band $Rights) -ne 0) { return ('{0} lets {1} change it ({2})' -f $Path, $rule.IdentityReference.Value, $rule.FileSystemRights) }
    }
    return ''
}

function New-XtractFolderSecurity {
    $security = New-Object System.Security.AccessControl.DirectorySecurity
    $security.SetAccessRuleProtection($true, $false)
    $security.SetOwner((New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')))
    $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
    foreach ($sid in @('S-1-5-18', 'S-1-5-32-544', $script:XtractMe) | Select-Object -Unique) {
        $who = New-Object System.Security.Principal.SecurityIdentifier($sid)
        $security.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($who, 'FullControl', $inherit, 'None', 'Allow')))
    }
    return ,$security
}

# Initialize-XtractFolder PATH [-Fresh]: every folder above PATH is checked (missing ones are made
# like PATH); PATH is created with the protected ACL in the same call, or, when it exists, checked
# with what it holds and given that ACL. -Fresh: PATH must not exist before (a per-run folder).
# Throws with the reason; nothing is written into a folder that fails.
function Initialize-XtractFolder([string]$Path, [switch]$Fresh) {
    $full = [System.IO.Path]::GetFullPath($Path)
    $parents = @()
    $p = [System.IO.Path]::GetDirectoryName($full)
    while ($p) { $parents = @($p) + $parents; $p = [System.IO.Path]::GetDirectoryName($p) }
    foreach ($parent in $parents) {
        if (Test-Path -LiteralPath $parent) {
            $problem = Get-XtractAclProblem $parent $script:XtractParentRights
            if ($problem) { throw ('Refused: {0}.' -f $problem) }
        } else { Initialize-XtractFolder $parent }
    }
    if (Test-Path -LiteralPath $full) {
        if ($Fresh) { throw ('Refused: {0} exists already; a run folder must be new.' -f $full) }
        $problem = Get-XtractAclProblem $full $script:XtractWriteRights
        if ($problem) { throw ('Refused: {0}.' -f $problem) }
        [System.IO.Directory]::SetAccessControl($full, (New-XtractFolderSecurity))
        foreach ($child in @(Get-ChildItem -LiteralPath $full -Recurse -Force)) {
            $problem = Get-XtractAclProblem $child.FullName $script:XtractWriteRights
            if ($problem) { throw ('Refused: {0}.' -f $problem) }
        }
        return
    }
    [void][System.IO.Directory]::CreateDirectory($full, (New-XtractFolderSecurity))
    # Made by someone else in between (CreateDirectory then succeeds silently): their owner shows.
    $problem = Get-XtractAclProblem $full $script:XtractWriteRights
    if ($problem) { throw ('Refused: {0}.' -f $problem) }
}

# <<< folder rules

$script:StateDirReady = $false
function Initialize-XtractStateDir {
    if ($script:StateDirReady) { return }
    try { Initialize-XtractFolder $script:StateDir }
    catch {
        Complete-XtractTask $false ('{0} Another account may have planted files there: check what {1} holds, delete it, then run the task again.' -f $_.Exception.Message, $script:StateDir)
    }
    $script:StateDirReady = $true
}

# Remove-XtractDevice INSTANCE-ID: removes a device node through SetupAPI (DIF_REMOVE), present or
# not, on every Windows version (pnputil /remove-device exists only from 10 1903); returns the
# Win32 error, 0 when removed. Compiled on first use (Add-Type works on PowerShell 2.0).
function Remove-XtractDevice([string]$InstanceId) {
    if (-not ('XtractSetupApi' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Runtime.InteropServices;
using System.Text;
public static class XtractSetupApi {
    [StructLayout(LayoutKind.Sequential)]
    struct SP_DEVINFO_DATA { public int cbSize; public Guid ClassGuid; public int DevInst; public IntPtr Reserved; }
    [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    static extern IntPtr SetupDiGetClassDevsW(IntPtr classGuid, string enumerator, IntPtr parent, int flags);
    [DllImport("setupapi.dll", SetLastError = true)]
    static extern bool SetupDiEnumDeviceInfo(IntPtr set, int index, ref SP_DEVINFO_DATA data);
    [DllImport("setupapi.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    static extern bool SetupDiGetDeviceInstanceIdW(IntPtr set, ref SP_DEVINFO_DATA data, StringBuilder id, int size, out int needed);
    [DllImport("setupapi.dll", SetLastError = true)]
    static extern bool SetupDiCallClassInstaller(int function, IntPtr set, ref SP_DEVINFO_DATA data);
    [DllImport("setupapi.dll", SetLastError = true)]
    static extern bool SetupDiDestroyDeviceInfoList(IntPtr set);
    public static int Remove(string instanceId) {
        IntPtr set = SetupDiGetClassDevsW(IntPtr.Zero, null, IntPtr.Zero, 0x4); // DIGCF_ALLCLASSES, present or not
        if (set == new IntPtr(-1)) return Marshal.GetLastWin32Error();
        try {
            SP_DEVINFO_DATA data = new SP_DEVINFO_DATA();
            data.cbSize = Marshal.SizeOf(data);
            StringBuilder id = new StringBuilder(1024);
            int needed;
            for (int i = 0; SetupDiEnumDeviceInfo(set, i, ref data); i++) {
                if (!SetupDiGetDeviceInstanceIdW(set, ref data, id, id.Capacity, out needed)) continue;
                if (!string.Equals(id.ToString(), instanceId, StringComparison.OrdinalIgnoreCase)) continue;
                return SetupDiCallClassInstaller(0x5, set, ref data) ? 0 : Marshal.GetLastWin32Error(); // DIF_REMOVE
            }
            return 2; // ERROR_FILE_NOT_FOUND: no such device
        } finally { SetupDiDestroyDeviceInfoList(set); }
    }
}
'@
    }
    return [XtractSetupApi]::Remove($InstanceId)
}
# --- end of xtract prelude ---
