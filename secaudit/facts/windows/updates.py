"""Windows updates: the automatic-update policy (HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU,
absent on an unmanaged PC: Windows' defaults, automatic), the Windows Update service, and the newest installed
update (Get-HotFix InstalledOn)."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.windows.host import probe_result
from secaudit.facts.windows.probes import as_int, ps_time, rows, run_probe
from secaudit.timefmt import parse_rfc3339_or_none

AU_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU"
# AUOptions: 2 notify before download, 3 download and notify, 4 download and install on a schedule, 5 local
# admin chooses, 7 download, notify to install, notify to restart (Server 2016+).
AU_OPTIONS = {2: "notify before download", 3: "download, notify to install", 4: "download and install on a schedule",
              5: "the local administrator chooses", 7: "download, notify to install and restart"}
_DISABLED = 4  # Get-Service StartType
_NOT_FOUND_IDS = ("PathNotFound", "ItemNotFoundException")


def _policy(ctx: FactContext) -> dict[str, Any] | bool | None:
    """The AU key's values; False when the key does not exist (no policy: Windows' defaults); None (unknown
    recorded) when the probe did not run or failed otherwise."""
    res = probe_result(ctx, "windows_update", "system.auto_updates")
    if res is None:
        return None
    if res.rc != 0:
        if any(tag in res.stderr for tag in _NOT_FOUND_IDS):  # the error id, whatever the UI language
            return False
        run_probe(ctx, "windows_update", "system.auto_updates")  # records the failure as unknown
        return None
    found = rows(ctx, "windows_update", "system.auto_updates")
    if found is None:
        return None
    return found[0] if found else False


def _service(services: list[dict[str, Any]] | None, name: str) -> dict[str, Any] | None:
    if services is None:
        return None
    return next((s for s in services if str(s.get("Name") or "").lower() == name.lower()), None)


def auto_updates(ctx: FactContext, services: list[dict[str, Any]] | None) -> tuple[bool | None, str | None, str | None]:
    """(automatic?, the setting that decided it, reason) as the system table has them."""
    wu = _service(services, "wuauserv")
    if wu is not None and as_int(wu.get("StartType")) == _DISABLED:
        return False, "Get-Service wuauserv: StartType Disabled (Windows Update cannot run)", "setting_off"
    policy = _policy(ctx)
    if policy is None:
        return None, None, None
    if policy is False:
        return True, f"no Windows Update policy ({AU_KEY} absent): Windows installs updates automatically", "enabled"
    assert isinstance(policy, dict)
    if as_int(policy.get("NoAutoUpdate")) == 1:
        return False, f"{AU_KEY} NoAutoUpdate = 1", "setting_off"
    option = as_int(policy.get("AUOptions"))
    if option in (2, 3, 7):
        return False, f"{AU_KEY} AUOptions = {option} ({AU_OPTIONS[option]})", "setting_off"
    if option in (4, 5):
        return True, f"{AU_KEY} AUOptions = {option} ({AU_OPTIONS[option]})", "enabled"
    return True, f"{AU_KEY} sets no AUOptions: Windows installs updates automatically", "enabled"


def last_update(ctx: FactContext) -> tuple[str | None, str | None]:
    """(newest InstalledOn among the hotfixes, which one); (None, None) with the reason recorded otherwise."""
    found = rows(ctx, "hotfixes", "system.last_update_time")
    if found is None:
        return None, None
    best: tuple[str, str] | None = None
    for item in found:
        when = ps_time(item.get("InstalledOn"))
        if when is None or parse_rfc3339_or_none(when) is None:
            continue
        kb = str(item.get("HotFixID") or "?")[:40]
        what = str(item.get("Description") or "").strip()[:40]
        if best is None or when > best[0]:
            best = (when, f"Get-HotFix {kb}" + (f" ({what})" if what else ""))
    if best is None:
        ctx.unknown("system.last_update_time", "not_found", "Get-HotFix lists no update with an installation date")
        return None, None
    return best
