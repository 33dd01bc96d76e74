<#
.SYNOPSIS
    Print C:\ProgramData\xtract\firstboot-result.json as this task's data (pending while it is not there).
.NOTES
    Task win.read_firstboot_result (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.read_firstboot_result'

# Read back after cutover. While the result is not there the answer is "pending", not a failure:
# the first-boot task may still be waiting for the VirtIO adapters.
try {
    $result = Read-XtractState 'firstboot-result.json'
    if (-not $result) {
        $state = Read-XtractState 'firstboot-state.json'
        $attempts = 0
        $deadline = $null
        $missing = @()
        if ($state) {
            $attempts = [int]$state['attempts']
            $deadline = $state['deadline']
            if ($state.ContainsKey('missing')) { $missing = @($state['missing']) }
        }
        $pending = @{ pending = $true; attempts = $attempts; deadline = $deadline; missing = $missing }
        $query = Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Query', '/TN', '\Xtract\FirstBoot')
        if ($query.ExitCode -ne 0) {
            $pending.pending = $false
            Complete-XtractTask $false 'There is no first-boot result and the first-boot task is not installed: restore the network by hand from C:\ProgramData\xtract\network.json.' $pending
        }
        $msg = 'The first-boot task has not finished yet (attempt {0}); ask again in a minute.' -f $attempts
        if ($missing.Count -gt 0) { $msg = 'The first-boot task restored the adapters present and waits for {0} more (attempt {1}, until {2}); ask again in a minute.' -f $missing.Count, $attempts, $deadline }
        Complete-XtractTask $false $msg $pending
    }
    $restored = @(@($result['nics']) | Where-Object { $_['restored'] }).Count
    $total = @($result['nics']).Count
    if ($result['ok']) {
        Complete-XtractTask $true ('The first-boot task finished on AHV: {0} of {1} adapter(s) restored.' -f $restored, $total) $result
    }
    Complete-XtractTask $false ('The first-boot task finished with errors ({0} of {1} adapter(s) restored): see data.errors and fix them on the VM console.' -f $restored, $total) $result
} catch {
    Complete-XtractTask $false ('Could not read the first-boot result: {0} Look at C:\ProgramData\xtract\firstboot.log on the VM.' -f $_.Exception.Message)
}
