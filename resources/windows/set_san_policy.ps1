<#
.SYNOPSIS
    Set the SAN policy to OnlineAll so that every disk comes online on AHV (unless the VM has shared disks).
.NOTES
    Task win.set_san_policy (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.set_san_policy'

# On AHV every disk sits on a new controller; with OfflineShared (the Server default) Windows keeps
# the data disks offline. Microsoft warns OnlineAll is unsafe for disks shared between cluster
# nodes, so a VM with shared disks keeps its policy. Values: partmgr\Parameters\SanPolicy.
$PolicyKey = 'HKLM:\SYSTEM\CurrentControlSet\Services\partmgr\Parameters'
$Names = @{ 1 = 'OnlineAll'; 2 = 'OfflineShared'; 3 = 'OfflineAll'; 4 = 'OfflineInternal' }

function Get-SanPolicy {
    $value = Get-XtractRegValue $PolicyKey 'SanPolicy'
    if ($null -ne $value) { return [int]$value }
    # Unset means the edition's default: OnlineAll on client editions, OfflineShared on Server.
    if ((Get-XtractRegValue 'HKLM:\SYSTEM\CurrentControlSet\Control\ProductOptions' 'ProductType') -eq 'WinNT') { return 1 }
    return 2
}

try {
    $before = Get-SanPolicy
    $data = @{ before = $before; before_name = $Names[$before]; after = $before; after_name = $Names[$before]; method = $null }
    if (Test-XtractTrue (Get-XtractParam 'has_shared_disks' $false)) {
        Add-XtractWarning 'The VM has shared disks: the SAN policy stays as it is. On AHV, bring the data disks online by hand (Disk Management) after checking the cluster.'
        Complete-XtractTask $true ("SAN policy left at {0} because the VM has shared disks." -f $Names[$before]) $data
    }
    if ($before -eq 1) { Complete-XtractTask $true 'The SAN policy is already OnlineAll.' $data }

    # Keep the very first value: a re-run must not overwrite what undo restores.
    if (-not (Read-XtractState 'san-policy-before.json')) { [void](Save-XtractState 'san-policy-before.json' @{ san_policy = $before }) }
    if (Get-Command Set-StorageSetting -ErrorAction SilentlyContinue) {
        Set-StorageSetting -NewDiskPolicy OnlineAll
        $data.method = 'Set-StorageSetting'
    } else {
        $diskpartFile = New-XtractWorkFile 'san.txt'
        [System.IO.File]::WriteAllText($diskpartFile, "san policy=OnlineAll`r`n", [System.Text.Encoding]::ASCII)
        try {
            $run = Invoke-XtractNative "$env:SystemRoot\System32\diskpart.exe" @('/s', $diskpartFile)
            if ($run.ExitCode -ne 0) { throw ('diskpart exited {0}: {1}' -f $run.ExitCode, $run.Text) }
        } finally { Remove-Item -LiteralPath $diskpartFile -Force -ErrorAction SilentlyContinue }
        $data.method = 'diskpart'
    }
    $after = Get-SanPolicy
    $data.after = $after
    $data.after_name = $Names[$after]
    $script:Changed = $true
    if ($after -ne 1) {
        Complete-XtractTask $false ("The SAN policy is still {0} after {1}: run 'diskpart' then 'san policy=OnlineAll' as an administrator." -f $Names[$after], $data.method) $data
    }
    Complete-XtractTask $true ("SAN policy changed from {0} to OnlineAll." -f $Names[$before]) $data
} catch {
    Complete-XtractTask $false ('Could not set the SAN policy: {0} Run diskpart "san policy=OnlineAll" as an administrator.' -f $_.Exception.Message)
}
