"""secaudit/windows/collect.ps1 against the probe catalogue (secaudit/data/windows_probes.yaml): it runs exactly
the catalogue's probes, each command verbatim, and nothing in it writes anywhere but two temp files it deletes.

Windows PowerShell cannot run here: these are checks of the script's text, not of its behaviour on Windows.
"""

from __future__ import annotations

import re

import pytest

from secaudit.facts.windows.probes import catalogue
from secaudit.transport.windows import SCRIPT

TEXT = SCRIPT.read_text(encoding="ascii")  # ASCII: Windows PowerShell 5.1 reads a file without BOM as ANSI
_BLOCK = re.compile(r"^\$Probes\['(?P<id>[a-z0-9_]+)'\] = @'\n(?P<body>.*?)\n'@$", re.S | re.M)
PROBES = {m["id"]: m["body"] for m in _BLOCK.finditer(TEXT)}
_IDS_IN_ORDER = [m["id"] for m in _BLOCK.finditer(TEXT)]


def _code(text: str) -> str:
    """The script without comments (<# #> blocks and # lines), so that prose cannot hide or fake a command."""
    text = re.sub(r"<#.*?#>", "", text, flags=re.S)
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


CODE = _code(TEXT)


def test_it_runs_exactly_the_catalogues_probes_in_its_order() -> None:
    assert list(catalogue()) == _IDS_IN_ORDER
    assert len(re.findall(r"^\$Probes\[", TEXT, re.M)) == len(PROBES)  # no probe defined another way


@pytest.mark.parametrize("probe_id", [p for p, e in catalogue().items() if not e.get("described")])
def test_each_command_is_the_catalogues_text(probe_id: str) -> None:
    assert PROBES[probe_id] == catalogue()[probe_id]["command"]


def test_the_described_probes_are_spelled_out_as_described() -> None:
    adsi = PROBES["local_admins_adsi"]
    assert "S-1-5-32-544" in adsi and '[ADSI]"WinNT://./$name,group"' in adsi  # the localised name, from the SID
    assert "Name =" in adsi and "SID  =" in adsi and adsi.rstrip().endswith("| ConvertTo-Json")
    secedit = PROBES["security_policy"]
    assert "secedit /export /cfg $inf /areas SECURITYPOLICY" in secedit
    assert "Get-Content -LiteralPath $inf -Raw" in secedit
    savers = PROBES["screen_savers"]
    assert "[Microsoft.Win32.Registry]::Users" in savers and "'^S-1-(5-21|12-1)-[0-9-]+$'" in savers
    assert "\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop\"" in savers
    assert "\\Control Panel\\Desktop\"" in savers
    for name in ("ScreenSaveActive", "ScreenSaverIsSecure", "ScreenSaveTimeOut", "SCRNSAVE.EXE"):
        assert f"'{name}'" in savers
    assert savers.rstrip().endswith("} | ConvertTo-Json")


def test_the_screen_saver_probe_reads_the_registry_read_only() -> None:
    """OpenSubKey(name) without its writable flag opens read-only; nothing else touches a key."""
    savers = PROBES["screen_savers"]
    assert re.findall(r"\.OpenSubKey\(([^)]*)\)", savers) == ["$part[1]"]
    calls = set(re.findall(r"\$\w+\.([A-Z]\w+)\(", savers))
    assert calls <= {"GetSubKeyNames", "OpenSubKey", "GetValue", "Close", "Translate"}, calls
    # an empty SID list must stay an empty pipeline: no intermediate variable that `$null | ForEach-Object` runs on
    assert "$hives.GetSubKeyNames() | Where-Object" in savers


def test_classic_commands_keep_their_exit_code() -> None:
    native = re.search(r"^\$Native = @\((.*?)\)$", TEXT, re.M)
    assert native is not None
    ids = re.findall(r"'([a-z_]+)'", native.group(1))
    classic = {p for p, e in catalogue().items() if re.match(r"`?(secedit|wbadmin|w32tm) ", e["command"])}
    assert set(ids) == classic == {"security_policy", "wbadmin_versions", "time_sync"}


# --- writes nothing outside a temp file ----------------------------------------------------------------------

# Every cmdlet the script may call: they read, format or compute. Remove-Item is checked on its own below.
READING = {
    "ConvertTo-Json", "ForEach-Object", "Get-CimInstance", "Get-Content", "Get-HotFix", "Get-ItemProperty",
    "Get-LocalGroupMember", "Get-LocalUser", "Get-MpComputerStatus", "Get-NetFirewallProfile",
    "Get-NetTCPConnection", "Get-NetUDPEndpoint", "Get-Process", "Get-Service", "Get-SmbServerConfiguration",
    "Get-WinEvent", "Get-BitLockerVolume", "Join-Path", "New-Object", "Out-String", "Select-Object",
    "Start-Sleep", "Test-Path", "Where-Object", "Remove-Item",
}
# Classic programs and the only arguments they get.
PROGRAMS = {"secedit": "secedit /export /cfg $inf /areas SECURITYPOLICY /log $log /quiet",
            "wbadmin": "wbadmin get versions", "w32tm": "w32tm /query /status"}


def test_only_reading_cmdlets() -> None:
    own = set(re.findall(r"^function ([A-Za-z]+-[A-Za-z]+)", CODE, re.M))  # the script's own helpers
    assert own == {"Receive-Probe", "ConvertTo-JsonString"}
    used = set(re.findall(r"(?<![-\w])([A-Z][a-z]+-[A-Z][A-Za-z0-9]+)(?![-\w])", CODE)) - own
    assert used <= READING, sorted(used - READING)


def test_remove_item_only_deletes_the_two_temp_files() -> None:
    removes = re.findall(r"Remove-Item[^\n]*", CODE)
    assert removes == ["Remove-Item -LiteralPath $inf, $log -Force -ErrorAction SilentlyContinue"]
    secedit = PROBES["security_policy"]
    assert "$inf = Join-Path ([System.IO.Path]::GetTempPath()) ('secaudit-' + [guid]::NewGuid()" in secedit
    assert "$log = [System.IO.Path]::ChangeExtension($inf, '.log')" in secedit
    assert "finally {" in secedit  # deleted whatever happened
    assert len(re.findall(r"\$(inf|log) =", CODE)) == 2  # never pointed anywhere else


def test_programs_only_read() -> None:
    for name, line in PROGRAMS.items():
        calls = [ln.strip() for ln in CODE.splitlines() if re.search(rf"(^|[\s(=]){name}\b", ln)]
        assert calls and all(line in c for c in calls), (name, calls)
    others = re.findall(r"\b(reg|sc|net|netsh|schtasks|wmic|bcdedit|cmd|powershell|icacls|takeown|manage-bde)"
                        r"(\.exe)?\s+[/a-z]", CODE, re.I)
    assert not others


@pytest.mark.parametrize("pattern", [
    r"(?<![0-9])>{1,2}\s*[^&\s]",                  # redirection to a file (2>&1 is fine)
    r"\b(Set|New|Add|Clear|Copy|Move|Rename|Register|Unregister|Enable|Disable|Start|Stop|Restart|Install|"
    r"Uninstall|Invoke|Update|Export|Import|Out)-(?!String\b|Sleep\b|Object\b)",
    r"\[(System\.)?IO\.(File|Directory)\]::(Write|Append|Create|Copy|Move|Delete|Replace|Open)",
    r"\.(SetInfo|Put|Save|Delete|Create|SetValue|DeleteValue|Commit|SetAccessControl)\(",
    r"\b(Invoke-WebRequest|Invoke-RestMethod|Net\.WebClient|Start-Process|Invoke-Expression|iex)\b",
    r"/configure|/import|/generaterollback|\bstart backup\b|/resync|/config\b|/register",
])
def test_nothing_writes(pattern: str) -> None:
    code = CODE.replace("2>&1", "").replace("Start-Sleep", "")
    assert not re.search(pattern, code, re.I), re.search(pattern, code, re.I)


def test_output_is_printed_never_written() -> None:
    assert "[Console]::Out.Write($doc)" in CODE
    assert CODE.count("Out.Write(") == 1
