<#
.SYNOPSIS
    Cancelled migration: remove the first-boot task and saved files; on request restore the SAN policy and remove our certificates.
.NOTES
    Task win.undo (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.undo'

# A cancelled migration: remove what the preparation left for the first boot. The VirtIO drivers
# stay (harmless on ESXi, and other VMs' migrations may need them); SAN policy and certificates
# go back only when asked, from what we recorded when we changed them.
$TaskName = '\Xtract\FirstBoot'
$Names = @{ 1 = 'OnlineAll'; 2 = 'OfflineShared'; 3 = 'OfflineAll'; 4 = 'OfflineInternal' }

try {
    $data = @{ task_removed = $false; files_removed = @(); san_policy_restored = $null; certificates_removed = @() }
    $query = Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Query', '/TN', $TaskName)
    if ($query.ExitCode -eq 0) {
        $delete = Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Delete', '/TN', $TaskName, '/F')
        if ($delete.ExitCode -ne 0) { Complete-XtractTask $false ('Could not delete the scheduled task {0}: {1} Delete it in Task Scheduler.' -f $TaskName, $delete.Text) }
        $data.task_removed = $true
        $script:Changed = $true
    }
    foreach ($f in @('firstboot.ps1', 'firstboot-config.json', 'firstboot-state.json', 'source-identity.json', 'network.json', 'firstboot-result.json')) {
        $path = Join-Path $script:StateDir $f
        if (Test-Path -LiteralPath $path) { Remove-Item -LiteralPath $path -Force; $data.files_removed += $path; $script:Changed = $true }
    }
    # The VirtIO package and certificate files the tool uploaded for the preparation.
    $upload = Join-Path $script:StateDir 'upload'
    if (Test-Path -LiteralPath $upload) { Remove-Item -LiteralPath $upload -Recurse -Force; $data.files_removed += $upload; $script:Changed = $true }

    if (Test-XtractTrue (Get-XtractParam 'restore_san_policy' $false)) {
        $saved = Read-XtractState 'san-policy-before.json'
        if ($saved) {
            $name = $Names[[int]$saved['san_policy']]
            if (Get-Command Set-StorageSetting -ErrorAction SilentlyContinue) { Set-StorageSetting -NewDiskPolicy $name }
            else {
                $file = New-XtractWorkFile 'san-undo.txt'
                [System.IO.File]::WriteAllText($file, ('san policy={0}' -f $name) + "`r`n", [System.Text.Encoding]::ASCII)
                $run = Invoke-XtractNative "$env:SystemRoot\System32\diskpart.exe" @('/s', $file)
                Remove-Item -LiteralPath $file -Force -ErrorAction SilentlyContinue
                if ($run.ExitCode -ne 0) { Complete-XtractTask $false ('diskpart could not set the SAN policy back to {0}: {1}' -f $name, $run.Text) $data }
            }
            Remove-Item -LiteralPath (Join-Path $script:StateDir 'san-policy-before.json') -Force
            $data.san_policy_restored = $name
            $script:Changed = $true
        }
    }
    if (Test-XtractTrue (Get-XtractParam 'remove_certificates' $false)) {
        $ledger = Read-XtractState 'certificates-added.json'
        if ($ledger) {
            foreach ($thumb in @($ledger['thumbprints'])) {
                $path = Join-Path 'Cert:\LocalMachine\TrustedPublisher' $thumb
                if (-not (Test-Path -LiteralPath $path)) { continue }
                $run = Invoke-XtractNative "$env:SystemRoot\System32\certutil.exe" @('-delstore', 'TrustedPublisher', $thumb)
                if ($run.ExitCode -ne 0) { Remove-Item -LiteralPath $path -Force }
                $data.certificates_removed += $thumb
                $script:Changed = $true
            }
            Remove-Item -LiteralPath (Join-Path $script:StateDir 'certificates-added.json') -Force
        }
    }
    if (-not $script:Changed) { Complete-XtractTask $true 'Nothing to undo: the guest holds no trace of the preparation.' $data }
    Complete-XtractTask $true 'Removed the first-boot task and the saved configuration.' $data
} catch {
    Complete-XtractTask $false ('Could not undo the preparation: {0} Delete the task \Xtract\FirstBoot and C:\ProgramData\xtract by hand.' -f $_.Exception.Message)
}
