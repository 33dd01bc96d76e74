<#
.SYNOPSIS
    Create and load the profile of the account that runs the installers (LogonUser + LoadUserProfile).
.NOTES
    Task win.load_user_profile (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.load_user_profile'

# WinRM sessions run without a loaded profile; installers that read the per-user environment
# (TEMP, APPDATA) fail for an account that has never logged on. LogonUser + LoadUserProfile
# creates and loads the profile the way an interactive logon would.
$Native = @'
using System;
using System.Runtime.InteropServices;
public static class XtractProfile {
    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    public struct PROFILEINFO {
        public int dwSize; public int dwFlags; public string lpUserName; public string lpProfilePath;
        public string lpDefaultPath; public string lpServerName; public string lpPolicyPath; public IntPtr hProfile;
    }
    [DllImport("advapi32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    public static extern bool LogonUser(string user, string domain, string password, int logonType, int provider, out IntPtr token);
    [DllImport("userenv.dll", SetLastError = true, CharSet = CharSet.Unicode)]
    public static extern bool LoadUserProfile(IntPtr token, ref PROFILEINFO info);
    [DllImport("userenv.dll", SetLastError = true)]
    public static extern bool UnloadUserProfile(IntPtr token, IntPtr profile);
    [DllImport("kernel32.dll", SetLastError = true)]
    public static extern bool CloseHandle(IntPtr handle);
}
'@

function Get-ProfilePath([string]$Sid) {
    $path = Get-XtractRegValue ('HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList\' + $Sid) 'ProfileImagePath'
    if ($path) { $path = [System.Environment]::ExpandEnvironmentVariables($path) }
    if ($path -and (Test-Path -LiteralPath (Join-Path $path 'NTUSER.DAT'))) { return $path }
    return $null
}

try {
    $user = [string](Get-XtractParam 'user_name' ([System.Security.Principal.WindowsIdentity]::GetCurrent().Name))
    $password = Get-XtractParam 'password' $null
    $domain = '.'
    $name = $user
    if ($user -match '^(?<d>[^\\]+)\\(?<n>.+)$') { $domain = $Matches['d']; $name = $Matches['n'] }
    elseif ($user -match '^(?<n>[^@]+)@(?<d>.+)$') { $domain = $null; $name = $user }
    try {
        $sid = (New-Object System.Security.Principal.NTAccount($user)).Translate([System.Security.Principal.SecurityIdentifier]).Value
    } catch {
        Complete-XtractTask $false ("The account {0} is not known on this guest: check the user name in the plan (DOMAIN\user or user@domain)." -f $user)
    }
    $existing = Get-ProfilePath $sid
    if ($existing) {
        Complete-XtractTask $true ("The profile of {0} already exists." -f $user) @{ user = $user; sid = $sid; profile_path = $existing; created = $false }
    }
    if (-not $password) {
        Complete-XtractTask $false ("{0} has no profile on this guest yet and no password was given to create it: give the guest password in the plan, or log on once with that account." -f $user) @{ user = $user; sid = $sid; created = $false }
    }
    Add-Type -TypeDefinition $Native
    $token = [IntPtr]::Zero
    # Interactive (2) first, batch (4) when the account may not log on locally.
    $ok = [XtractProfile]::LogonUser($name, $domain, [string]$password, 2, 0, [ref]$token)
    if (-not $ok) { $ok = [XtractProfile]::LogonUser($name, $domain, [string]$password, 4, 0, [ref]$token) }
    $password = $null
    if (-not $ok) {
        $code = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
        Complete-XtractTask $false ("Windows refused the logon of {0} (error {1}): check the password and that the account may log on locally or as a batch job." -f $user, $code) @{ user = $user; sid = $sid; created = $false; win32_error = $code }
    }
    try {
        $info = New-Object XtractProfile+PROFILEINFO
        $info.dwSize = [System.Runtime.InteropServices.Marshal]::SizeOf($info)
        $info.dwFlags = 1  # PI_NOUI: never show a dialog in a remote session
        $info.lpUserName = $name
        if (-not [XtractProfile]::LoadUserProfile($token, [ref]$info)) {
            $code = [System.Runtime.InteropServices.Marshal]::GetLastWin32Error()
            Complete-XtractTask $false ("LoadUserProfile failed for {0} (error {1}): the session needs administrator rights (SeRestorePrivilege); run the preparation with an admin account." -f $user, $code) @{ user = $user; sid = $sid; created = $false; win32_error = $code }
        }
        [void][XtractProfile]::UnloadUserProfile($token, $info.hProfile)
    } finally {
        [void][XtractProfile]::CloseHandle($token)
    }
    $script:Changed = $true
    $path = Get-ProfilePath $sid
    Complete-XtractTask $true ("Created and loaded the profile of {0}." -f $user) @{ user = $user; sid = $sid; profile_path = $path; created = $true }
} catch {
    Complete-XtractTask $false ('Could not load the user profile: {0} Log on once with that account, then run the task again.' -f $_.Exception.Message)
}
