<#
.SYNOPSIS
    Record the Windows license channel and status (what slmgr /dlv shows) before the hardware changes.
.NOTES
    Task win.record_license (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.record_license'

# The move to AHV changes the hardware: retail and OEM activations may ask for reactivation, KMS
# clients reactivate by themselves. SoftwareLicensingProduct is what slmgr /dlv reads; its text
# output is localized, the WMI properties are not.
$WindowsAppId = '55c92734-d682-4d71-983e-d6ec3f16059f'
$Status = @{ 0 = 'Unlicensed'; 1 = 'Licensed'; 2 = 'OOBGrace'; 3 = 'OOTGrace'; 4 = 'NonGenuineGrace'; 5 = 'Notification'; 6 = 'ExtendedGrace' }

try {
    $products = @(Get-XtractCim 'SoftwareLicensingProduct' ("ApplicationID = '{0}' AND PartialProductKey IS NOT NULL" -f $WindowsAppId))
    if ($products.Count -eq 0) {
        Complete-XtractTask $true 'No Windows product key is installed; nothing to record.' @{ channel = $null; may_need_reactivation = $true }
    }
    $p = $products[0]
    $channel = $null
    if ($p.PSObject.Properties['ProductKeyChannel'] -and $p.ProductKeyChannel) { $channel = [string]$p.ProductKeyChannel }
    elseif ([string]$p.Description -match '(\w+) channel') { $channel = $Matches[1] }
    $kms = $null
    if ($p.PSObject.Properties['KeyManagementServiceMachine'] -and $p.KeyManagementServiceMachine) {
        $kms = '{0}:{1}' -f $p.KeyManagementServiceMachine, $p.KeyManagementServicePort
    }
    $status = $Status[[int]$p.LicenseStatus]
    $reactivate = @('VOLUME_KMSCLIENT', 'Volume:GVLK') -notcontains $channel
    $data = @{ channel = $channel; license_status = $status; product = [string]$p.Name; description = [string]$p.Description
               partial_key = [string]$p.PartialProductKey; kms_machine = $kms; may_need_reactivation = $reactivate }
    if ($reactivate) {
        Add-XtractWarning ("Windows is activated through {0}: after cutover it may ask for reactivation; have the key or the activation path ready." -f $channel)
    }
    Complete-XtractTask $true ("Windows is {0} through {1}." -f $status, $channel) $data
} catch {
    Complete-XtractTask $false ('Could not read the license status: {0} Run "slmgr /dlv" on the VM and note the channel.' -f $_.Exception.Message)
}
