<#
.SYNOPSIS
    secaudit's Windows collector: runs every probe of the catalogue and prints one JSON recording.

.DESCRIPTION
    Shipped with the secaudit package and run by `secaudit audit` / `secaudit facts --record` on Windows, in
    Windows PowerShell 5.1 (64-bit: a 32-bit Python starts %WINDIR%\sysnative\WindowsPowerShell\v1.0\
    powershell.exe). The probes are the catalogue of secaudit/data/windows_probes.yaml, each command verbatim
    (a test compares them), except the three the catalogue describes in words (local_admins_adsi,
    security_policy, screen_savers), spelled out here.

    Every probe runs in its own runspace of one process (at most -Parallel at a time), in its own try, with a
    time limit (-ProbeTimeoutSeconds): a probe that throws gets rc 1 and the error (message, CategoryInfo,
    FullyQualifiedErrorId) in stderr; a classic command gets its exit code; a probe past its limit is stopped
    and gets rc 1. The script never stops at the first failure.

    Nothing here changes the machine: every probe reads. `secedit /export` writes its INF and its log to two
    files in the temp directory, which are deleted afterwards. The output is printed, never written to a file.

    Output (standard output, ASCII only: every other character is escaped as \uXXXX, so the console code page
    cannot garble a Vietnamese name):
      {"schema": "secaudit.recording/v1", "family": "windows", "collected_at": "<UTC>",
       "agent": {"script": "collect.ps1", "powershell": "<version>", "elevated": true|false},
       "probes": {"<id>": {"rc": 0, "stdout": "...", "stderr": ""}, ...}}
#>
[CmdletBinding()]
param(
    [ValidateRange(1, 600)][int]$ProbeTimeoutSeconds = 45,
    [ValidateRange(1, 16)][int]$Parallel = 4
)

$ErrorActionPreference = 'Stop'
$CollectedAt = [DateTime]::UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", [Globalization.CultureInfo]::InvariantCulture)

# --- the catalogue ----------------------------------------------------------------------------------------------

$Probes = [ordered]@{}
$Probes['os'] = @'
Get-CimInstance Win32_OperatingSystem | Select-Object Caption,Version,BuildNumber,OSArchitecture,ProductType,LastBootUpTime,InstallDate | ConvertTo-Json
'@
$Probes['computer_system'] = @'
Get-CimInstance Win32_ComputerSystem | Select-Object Name,Domain,PartOfDomain,Manufacturer,Model,TotalPhysicalMemory,UserName | ConvertTo-Json
'@
$Probes['bios'] = @'
Get-CimInstance Win32_BIOS | Select-Object SerialNumber,SMBIOSBIOSVersion | ConvertTo-Json
'@
$Probes['network_adapters'] = @'
Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=True' | Select-Object Description,MACAddress,IPAddress,DefaultIPGateway,DHCPEnabled | ConvertTo-Json
'@
$Probes['defender_status'] = @'
Get-MpComputerStatus | ConvertTo-Json
'@
$Probes['av_products'] = @'
Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | ConvertTo-Json
'@
$Probes['services'] = @'
Get-Service | Select-Object Name,DisplayName,Status,StartType | ConvertTo-Json
'@
$Probes['local_users'] = @'
Get-LocalUser | Select-Object Name,Enabled,SID,PasswordRequired,PasswordLastSet,PasswordExpires,LastLogon,Description | ConvertTo-Json
'@
$Probes['local_admins'] = @'
Get-LocalGroupMember -SID S-1-5-32-544 | ConvertTo-Json
'@
# local_admins_adsi: members of the same group read through ADSI (`WinNT://./<localised group name>,group`), one object per member with Name and SID
$Probes['local_admins_adsi'] = @'
$name = (New-Object System.Security.Principal.SecurityIdentifier('S-1-5-32-544')).Translate([System.Security.Principal.NTAccount]).Value.Split('\')[-1]
$group = [ADSI]"WinNT://./$name,group"
@($group.psbase.Invoke('Members')) | ForEach-Object {
    $bytes = [byte[]]$_.GetType().InvokeMember('objectSid', 'GetProperty', $null, $_, $null)
    [pscustomobject]@{
        Name = [string]$_.GetType().InvokeMember('Name', 'GetProperty', $null, $_, $null)
        SID  = (New-Object System.Security.Principal.SecurityIdentifier($bytes, 0)).Value
    }
} | ConvertTo-Json
'@
# security_policy: `secedit /export /cfg <temp>.inf /areas SECURITYPOLICY` then the INF's text
$Probes['security_policy'] = @'
$inf = Join-Path ([System.IO.Path]::GetTempPath()) ('secaudit-' + [guid]::NewGuid().ToString('N') + '.inf')
$log = [System.IO.Path]::ChangeExtension($inf, '.log')
try {
    $said = secedit /export /cfg $inf /areas SECURITYPOLICY /log $log /quiet 2>&1 | Out-String
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path -LiteralPath $inf)) {
        throw "secedit /export failed (exit $LASTEXITCODE): $($said.Trim())"
    }
    Get-Content -LiteralPath $inf -Raw
} finally {
    Remove-Item -LiteralPath $inf, $log -Force -ErrorAction SilentlyContinue
}
'@
$Probes['winlogon'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon' | Select-Object AutoAdminLogon,DefaultUserName,@{n='DefaultPasswordSet';e={[bool]$_.DefaultPassword}} | ConvertTo-Json
'@
$Probes['uac'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' | Select-Object EnableLUA,ConsentPromptBehaviorAdmin | ConvertTo-Json
'@
$Probes['listen_tcp'] = @'
Get-NetTCPConnection -State Listen | Select-Object LocalAddress,LocalPort,OwningProcess | ConvertTo-Json
'@
$Probes['listen_udp'] = @'
Get-NetUDPEndpoint | Select-Object LocalAddress,LocalPort,OwningProcess | ConvertTo-Json
'@
$Probes['processes'] = @'
Get-Process | Select-Object Id,ProcessName,Path | ConvertTo-Json
'@
$Probes['firewall_profiles'] = @'
Get-NetFirewallProfile | Select-Object Name,Enabled,DefaultInboundAction | ConvertTo-Json
'@
$Probes['terminal_server'] = @'
Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server' | Select-Object fDenyTSConnections | ConvertTo-Json
'@
$Probes['rdp_tcp'] = @'
Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp' | Select-Object UserAuthentication,PortNumber,SecurityLayer | ConvertTo-Json
'@
$Probes['rdp_policy'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services' | Select-Object MaxIdleTime,MaxDisconnectionTime,MinEncryptionLevel,SecurityLayer | ConvertTo-Json
'@
$Probes['autorun_policy'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer' | Select-Object NoDriveTypeAutoRun,NoAutorun | ConvertTo-Json
'@
$Probes['usb_storage'] = @'
Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR' | Select-Object Start | ConvertTo-Json
'@
$Probes['inactivity_limit'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System' | Select-Object InactivityTimeoutSecs | ConvertTo-Json
'@
# screen_savers: each loaded user hive (the agent runs as SYSTEM: HKEY_USERS holds the logged-on users' hives);
# the policy key and the user's own, read-only through .NET (OpenSubKey without a write flag). A key that is
# absent gives nulls; any other failure (access denied) throws, so the probe fails rather than reads "not set".
# One pipeline from the SID list, so that nobody logged on prints nothing (an empty pipeline), never a null row.
$Probes['screen_savers'] = @'
$names = 'ScreenSaveActive', 'ScreenSaverIsSecure', 'ScreenSaveTimeOut', 'SCRNSAVE.EXE'
$hives = [Microsoft.Win32.Registry]::Users
$hives.GetSubKeyNames() | Where-Object { $_ -match '^S-1-(5-21|12-1)-[0-9-]+$' } | ForEach-Object {
    $sid = $_
    $account = $null
    try {
        $account = (New-Object System.Security.Principal.SecurityIdentifier($sid)).Translate([System.Security.Principal.NTAccount]).Value
    } catch { }  # a domain account while the domain controller is out of reach: the SID alone
    $row = [ordered]@{ SID = $sid; Account = $account }
    foreach ($part in @(@('Policy', "$sid\Software\Policies\Microsoft\Windows\Control Panel\Desktop"),
                        @('Own', "$sid\Control Panel\Desktop"))) {
        $key = $hives.OpenSubKey($part[1])
        $row[$part[0] + 'Key'] = $null -ne $key
        foreach ($name in $names) {
            $value = $null
            if ($null -ne $key) { $value = $key.GetValue($name) }
            $row[$part[0] + $name] = $value
        }
        if ($null -ne $key) { $key.Close() }
    }
    [pscustomobject]$row
} | ConvertTo-Json
'@
$Probes['event_logs'] = @'
Get-WinEvent -ListLog Application,System,Security | Select-Object LogName,MaximumSizeInBytes,LogMode,IsEnabled,RecordCount,FileSize | ConvertTo-Json
'@
$Probes['event_forwarding'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager' | Select-Object * -ExcludeProperty PS* | ConvertTo-Json
'@
$Probes['smb_server'] = @'
Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,EnableSMB2Protocol | ConvertTo-Json
'@
$Probes['hotfixes'] = @'
Get-HotFix | Select-Object HotFixID,Description,InstalledOn | ConvertTo-Json
'@
$Probes['windows_update'] = @'
Get-ItemProperty 'HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU' | Select-Object NoAutoUpdate,AUOptions | ConvertTo-Json
'@
$Probes['software'] = @'
Get-ItemProperty 'HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall\*','HKLM:\Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\*' | Where-Object DisplayName | Select-Object DisplayName,DisplayVersion,Publisher,InstallDate | ConvertTo-Json
'@
$Probes['bitlocker'] = @'
Get-BitLockerVolume | Select-Object MountPoint,VolumeType,ProtectionStatus,EncryptionPercentage | ConvertTo-Json
'@
$Probes['wbadmin_versions'] = @'
wbadmin get versions
'@
$Probes['backup_events'] = @'
Get-WinEvent -LogName Microsoft-Windows-Backup -MaxEvents 50 | Select-Object Id,TimeCreated,LevelDisplayName | ConvertTo-Json
'@
$Probes['time_sync'] = @'
w32tm /query /status
'@

# Classic commands (and the secedit export): their exit code is the probe's rc and errors do not stop them.
$Native = @('security_policy', 'wbadmin_versions', 'time_sync')

# --- running them -----------------------------------------------------------------------------------------------

# Runs in the probe's runspace: the command, its printed text (Out-String: CRLF lines, as the console shows them)
# and its rc; a terminating error becomes rc 1 with the error's message, category and id.
$Wrapper = @'
param([string]$Command, [bool]$Native)
$global:LASTEXITCODE = 0
$ProgressPreference = 'SilentlyContinue'
if ($Native) { $ErrorActionPreference = 'Continue' } else { $ErrorActionPreference = 'Stop' }
try {
    $text = & ([scriptblock]::Create($Command)) | Out-String
    $rc = 0
    if ($Native) { $rc = [int]$global:LASTEXITCODE }
    [pscustomobject]@{ Rc = $rc; Stdout = $text; Stderr = '' }
} catch {
    $e = $_
    $err = $e.Exception.Message + "`r`n    + CategoryInfo          : " + $e.CategoryInfo.ToString() +
           "`r`n    + FullyQualifiedErrorId : " + $e.FullyQualifiedErrorId + "`r`n"
    [pscustomobject]@{ Rc = 1; Stdout = ''; Stderr = $err }
}
'@

function Receive-Probe($Ps, $Handle) {
    try {
        $out = @($Ps.EndInvoke($Handle))
    } catch {
        return @{ Rc = 1; Stdout = ''; Stderr = ($_.Exception.Message + "`r`n") }
    }
    $res = $out | Select-Object -Last 1
    if ($null -eq $res) { return @{ Rc = 1; Stdout = ''; Stderr = "The probe returned nothing.`r`n" } }
    $stderr = [string]$res.Stderr
    $lines = @($Ps.Streams.Error | ForEach-Object { $_.ToString() })
    if ($lines.Count -gt 0) { $stderr += ($lines -join "`r`n") + "`r`n" }
    return @{ Rc = [int]$res.Rc; Stdout = [string]$res.Stdout; Stderr = $stderr }
}

$pool = [runspacefactory]::CreateRunspacePool(1, $Parallel)
$pool.Open()
$limit = [TimeSpan]::FromSeconds($ProbeTimeoutSeconds)
$pending = New-Object System.Collections.Queue
foreach ($id in $Probes.Keys) { $pending.Enqueue($id) }
$running = @{}
$results = @{}
while ($pending.Count -gt 0 -or $running.Count -gt 0) {
    while ($pending.Count -gt 0 -and $running.Count -lt $Parallel) {
        $id = $pending.Dequeue()
        $ps = [powershell]::Create()
        $ps.RunspacePool = $pool
        [void]$ps.AddScript($Wrapper).AddArgument($Probes[$id]).AddArgument($Native -contains $id)
        $running[$id] = @{ Ps = $ps; Handle = $ps.BeginInvoke(); Clock = [Diagnostics.Stopwatch]::StartNew() }
    }
    foreach ($id in @($running.Keys)) {
        $r = $running[$id]
        if ($r.Handle.IsCompleted) {
            $results[$id] = Receive-Probe $r.Ps $r.Handle
            $r.Ps.Dispose()
            $running.Remove($id)
        } elseif ($r.Clock.Elapsed -gt $limit) {
            [void]$r.Ps.BeginStop($null, $null)  # not waited for: a hung WMI call may never return
            $results[$id] = @{ Rc = 1; Stdout = ''
                               Stderr = "Probe $id did not finish within $ProbeTimeoutSeconds s and was stopped.`r`n" }
            $running.Remove($id)
        }
    }
    if ($running.Count -gt 0) { Start-Sleep -Milliseconds 20 }
}

# --- the document -----------------------------------------------------------------------------------------------

$Escape = [System.Text.RegularExpressions.MatchEvaluator] {
    param($m)
    $c = [int][char]$m.Value
    switch ($c) {
        34 { '\"' }
        92 { '\\' }
        10 { '\n' }
        13 { '\r' }
        9 { '\t' }
        default { '\u{0:x4}' -f $c }
    }
}
function ConvertTo-JsonString([string]$Text) {
    '"' + [regex]::Replace($Text, '[\x00-\x1f"\\\x7f-\uffff]', $Escape) + '"'
}

$identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
$elevated = $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$entries = foreach ($id in $Probes.Keys) {
    $r = $results[$id]
    (ConvertTo-JsonString $id) + ':{"rc":' + [int]$r.Rc + ',"stdout":' + (ConvertTo-JsonString $r.Stdout) +
        ',"stderr":' + (ConvertTo-JsonString $r.Stderr) + '}'
}
$doc = '{"schema":"secaudit.recording/v1","family":"windows","collected_at":' + (ConvertTo-JsonString $CollectedAt) +
    ',"agent":{"script":"collect.ps1","powershell":' + (ConvertTo-JsonString $PSVersionTable.PSVersion.ToString()) +
    ',"elevated":' + $elevated.ToString().ToLowerInvariant() + '},"probes":{' + ($entries -join ',') + '}}'
[Console]::Out.Write($doc)
[Console]::Out.Flush()
# A stopped probe's thread may still hang in a WMI call: end the process rather than wait for it.
[Environment]::Exit(0)
