<#
.SYNOPSIS
    Add the sha1 driver-signing certificate to LocalMachine\TrustedPublisher (certutil, Import-Certificate fallback).
.NOTES
    Task win.add_sha1_certificate (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
param([string]$ParamsFile)
$TaskId = 'win.add_sha1_certificate'

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

# Without the publisher in TrustedPublisher a silent driver install stops at "Would you like to
# install this device software?" and hangs. Certificates come from .cer files the tool uploaded, or
# from the signers of the package's catalog (.cat) files.
$Algorithm = 'sha1'
$StorePath = 'Cert:\LocalMachine\TrustedPublisher'

function Test-AlgorithmMatch($Certificate) {
    $name = $Certificate.SignatureAlgorithm.FriendlyName
    if ($Algorithm -eq 'sha1') { return $name -match '^sha1' }
    return $name -match '^sha(256|384|512)'
}

function Get-CatalogSigners([string]$Package) {
    $folder = $Package
    if ((Test-Path -LiteralPath $Package -PathType Leaf) -and $Package -match '\.msi$') {
        # An administrative install only unpacks the MSI's files; it installs nothing.
        $folder = Join-Path $env:TEMP ('xtract-msi-' + [guid]::NewGuid().ToString('N'))
        $p = Start-Process -FilePath 'msiexec.exe' -ArgumentList @('/a', ('"{0}"' -f $Package), '/qn', ('TARGETDIR="{0}"' -f $folder)) -Wait -PassThru
        if ($p.ExitCode -ne 0) { throw ('msiexec /a could not unpack {0} (exit {1}).' -f $Package, $p.ExitCode) }
    }
    $certs = @()
    foreach ($cat in @(Get-ChildItem -LiteralPath $folder -Recurse -Filter '*.cat' -ErrorAction SilentlyContinue)) {
        $sig = Get-AuthenticodeSignature -FilePath $cat.FullName
        if ($sig.SignerCertificate) { $certs += $sig.SignerCertificate }
    }
    if ($folder -ne $Package) { Remove-Item -LiteralPath $folder -Recurse -Force -ErrorAction SilentlyContinue }
    return $certs
}

function Add-ToTrustedPublisher($Certificate) {
    $file = Join-Path $env:TEMP ('xtract-{0}.cer' -f $Certificate.Thumbprint)
    [System.IO.File]::WriteAllBytes($file, $Certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Cert))
    try {
        $out = & "$env:SystemRoot\System32\certutil.exe" -f -addstore TrustedPublisher $file 2>&1
        if ($LASTEXITCODE -eq 0) { return 'certutil' }
        Write-XtractLog ('certutil -addstore failed ({0}): {1}' -f $LASTEXITCODE, ($out -join ' '))
        if (Get-Command Import-Certificate -ErrorAction SilentlyContinue) {
            [void](Import-Certificate -FilePath $file -CertStoreLocation $StorePath)
            return 'Import-Certificate'
        }
        # PowerShell 2.0 without certutil working: the .NET store API does the same.
        $store = New-Object System.Security.Cryptography.X509Certificates.X509Store('TrustedPublisher', 'LocalMachine')
        $store.Open('ReadWrite')
        try { $store.Add($Certificate) } finally { $store.Close() }
        return 'X509Store'
    } finally {
        Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
    }
}

try {
    $files = @(Get-XtractParam 'certificate_files' @())
    $package = Get-XtractParam 'driver_package' $null
    $candidates = @()
    $source = $null
    if ($files.Count -gt 0) {
        $source = 'certificate_files'
        foreach ($f in $files) {
            if (-not (Test-Path -LiteralPath $f)) { Complete-XtractTask $false ("The certificate file {0} is not on the guest: upload it again, then run the task again." -f $f) }
            $candidates += New-Object System.Security.Cryptography.X509Certificates.X509Certificate2($f)
        }
    } elseif ($package) {
        $source = 'driver_package'
        if (-not (Test-Path -LiteralPath $package)) { Complete-XtractTask $false ("The driver package {0} is not on the guest: upload it again, then run the task again." -f $package) }
        $candidates = @(Get-CatalogSigners $package)
    } else {
        Complete-XtractTask $false 'No certificate files and no driver package were given: choose the VirtIO package (or its .cer files) in the plan.'
    }

    $matching = @($candidates | Where-Object { Test-AlgorithmMatch $_ } | Sort-Object Thumbprint -Unique)
    $added = @()
    $present = @()
    foreach ($cert in $matching) {
        $entry = @{ thumbprint = $cert.Thumbprint; subject = $cert.Subject; signature_algorithm = $cert.SignatureAlgorithm.FriendlyName }
        if (Test-Path -LiteralPath (Join-Path $StorePath $cert.Thumbprint)) { $present += $entry; continue }
        $entry['method'] = Add-ToTrustedPublisher $cert
        if (-not (Test-Path -LiteralPath (Join-Path $StorePath $cert.Thumbprint))) {
            Complete-XtractTask $false ("{0} reported success but {1} is not in LocalMachine\TrustedPublisher: add it by hand (certlm.msc), then run the task again." -f $entry['method'], $cert.Thumbprint)
        }
        $added += $entry
        $script:Changed = $true
    }
    # Undo removes only what we added, never a certificate that was there before.
    if ($added.Count -gt 0) {
        $ledger = Read-XtractState 'certificates-added.json'
        $known = @()
        if ($ledger -and $ledger.ContainsKey('thumbprints')) { $known = @($ledger['thumbprints']) }
        $all = @($known + @($added | ForEach-Object { $_['thumbprint'] }) | Sort-Object -Unique)
        [void](Save-XtractState 'certificates-added.json' @{ thumbprints = $all })
    }
    $data = @{ store = 'LocalMachine\TrustedPublisher'; added = $added; already_present = $present; source = $source }
    if ($matching.Count -eq 0) {
        Add-XtractWarning ("The {0} has no {1}-signed certificate; nothing to add for {1}." -f $source.Replace('_', ' '), $Algorithm)
        Complete-XtractTask $true ("No {0} driver-signing certificate is needed for this package." -f $Algorithm) $data
    }
    if ($added.Count -eq 0) {
        Complete-XtractTask $true ("The {0} driver-signing certificate is already trusted." -f $Algorithm) $data
    }
    Complete-XtractTask $true ("Added {0} {1} driver-signing certificate(s) to LocalMachine\TrustedPublisher." -f $added.Count, $Algorithm) $data
} catch {
    Complete-XtractTask $false ("Could not add the {0} certificate: {1} Check the certificate files or the package, then run the task again." -f $Algorithm, $_.Exception.Message)
}
