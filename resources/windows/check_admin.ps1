<#
.SYNOPSIS
    Check that the account has a full administrator token; explain what to change when it does not.
.NOTES
    Task win.check_admin (resources/manifest.json). Windows PowerShell 2.0 or later.
#>
$TaskId = 'win.check_admin'

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
