<#
.SYNOPSIS
    Install the first-boot scheduled task (SYSTEM, at startup, bounded retries) and save the source SMBIOS UUID.
.NOTES
    Task win.install_firstboot (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.install_firstboot'

# A scheduled task, not RunOnce: RunOnce waits for an interactive logon, and nobody logs on to a
# freshly cut-over server. SYSTEM, at startup, repeated every minute for 30 minutes; the script
# itself gives up at a deadline in time counted from its first run on AHV (firstboot-config.json).
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
    $deadlineMinutes = [int](Get-XtractParam 'deadline_minutes' 30)
    $sharedDisks = Test-XtractTrue (Get-XtractParam 'has_shared_disks' $false)
    if (-not $text.Trim()) { Complete-XtractTask $false 'The first-boot script was not sent (parameter firstboot_script is empty): this is a bug in the tool; report it.' }
    if ($deadlineMinutes -lt 5) { $deadlineMinutes = 5 }
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
    [void](Save-XtractState 'firstboot-config.json' @{ deadline_minutes = $deadlineMinutes; task_name = $TaskName; has_shared_disks = $sharedDisks })

    # The state folder is protected (Initialize-XtractStateDir): the SYSTEM task runs only what an
    # administrator wrote there.
    $scriptPath = Join-Path $script:StateDir 'firstboot.ps1'
    $scriptChanged = $true
    if (Test-Path -LiteralPath $scriptPath) { $scriptChanged = [System.IO.File]::ReadAllText($scriptPath) -ne $text }
    if ($scriptChanged) {
        [System.IO.File]::WriteAllText($scriptPath, $text, (New-Object System.Text.UTF8Encoding($true)))
        $script:Changed = $true
    }

    $query = Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Query', '/TN', $TaskName)
    $exists = $query.ExitCode -eq 0
    if (-not $exists -or $scriptChanged) {
        $xmlFile = New-XtractWorkFile 'task.xml'
        [System.IO.File]::WriteAllText($xmlFile, (Get-TaskXml $scriptPath), [System.Text.Encoding]::Unicode)
        try {
            $create = Invoke-XtractNative "$env:SystemRoot\System32\schtasks.exe" @('/Create', '/TN', $TaskName, '/XML', $xmlFile, '/F')
            if ($create.ExitCode -ne 0) {
                Complete-XtractTask $false ('schtasks could not create {0} (exit {1}: {2}): check that the Task Scheduler service runs, then run the task again.' -f $TaskName, $create.ExitCode, $create.Text)
            }
        } finally { Remove-Item -LiteralPath $xmlFile -Force -ErrorAction SilentlyContinue }
        $script:Changed = $true
    }
    $data = @{ task_name = $TaskName; script = $scriptPath; source_smbios_uuid = $uuid; deadline_minutes = $deadlineMinutes }
    if ($script:Changed) { Complete-XtractTask $true 'Installed the first-boot task; it will restore the network when the VM starts on AHV.' $data }
    Complete-XtractTask $true 'The first-boot task is already installed.' $data
} catch {
    Complete-XtractTask $false ('Could not install the first-boot task: {0} Check the Task Scheduler service, then run the task again.' -f $_.Exception.Message)
}
