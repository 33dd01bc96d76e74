<#
.SYNOPSIS
    Add the sha1 or sha2 driver-signing certificates to LocalMachine\TrustedPublisher (certutil, Import-Certificate fallback).
.NOTES
    Tasks win.add_sha1_certificate and win.add_sha2_certificate (resources/manifest.json): the manifest's
    extra.fixed_params gives hash_family (sha1 or sha2). Windows PowerShell 2.0 or later.
#>
# The two manifest tasks share this script; the real id follows from hash_family below.
$TaskId = 'win.add_certificate'

# Without the publisher in TrustedPublisher a silent driver install stops at "Would you like to
# install this device software?" and hangs. Certificates come from .cer files the tool uploaded, or
# from the signers of the package's catalog (.cat) files.
$Algorithm = [string](Get-XtractParam 'hash_family' '')
if (@('sha1', 'sha2') -notcontains $Algorithm) {
    Complete-XtractTask $false ("hash_family must be sha1 or sha2, not '{0}': this is a bug in the tool's manifest; report it." -f $Algorithm)
}
$TaskId = 'win.add_' + $Algorithm + '_certificate'
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
        $folder = New-XtractWorkFile 'msi'  # inside the protected run folder
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
    $file = New-XtractWorkFile ('{0}.cer' -f $Certificate.Thumbprint)
    [System.IO.File]::WriteAllBytes($file, $Certificate.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Cert))
    try {
        $run = Invoke-XtractNative "$env:SystemRoot\System32\certutil.exe" @('-f', '-addstore', 'TrustedPublisher', $file)
        if ($run.ExitCode -eq 0) { return 'certutil' }
        Write-XtractLog ('certutil -addstore failed ({0}): {1}' -f $run.ExitCode, $run.Text)
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
