"""BitLocker volumes (Get-BitLockerVolume; administrator rights needed, absent on Home editions) as rows of the
system table's disk_encryption."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.windows.probes import as_int, rows

SOURCE = "Get-BitLockerVolume"
VOLUME_TYPES = {0: "os", 1: "fixed", 2: "removable"}
PROTECTION = {0: "off", 1: "on", 2: "unknown"}
MAX_VOLUMES = 256


def _pct(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float) and 0 <= value <= 100:
        return int(value)
    return None


def volume_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per volume. `active` is ProtectionStatus On: encrypted with its protectors active (Off is either
    not encrypted or suspended; EncryptionPercentage tells which)."""
    out: list[dict[str, Any]] = []
    for item in found[:MAX_VOLUMES]:
        mount = item.get("MountPoint")
        if not isinstance(mount, str) or not mount.strip():
            continue
        mount = mount.strip()[:260]
        status, vtype = as_int(item.get("ProtectionStatus")), as_int(item.get("VolumeType"))
        out.append({"name": mount, "device": mount, "kind": "bitlocker", "active": status == 1,
                    "source": f"{SOURCE} {mount}",
                    "protection_status": "unknown" if status is None else PROTECTION.get(status, "unknown"),
                    "volume_type": None if vtype is None else VOLUME_TYPES.get(vtype),
                    "encryption_percentage": _pct(item.get("EncryptionPercentage"))})
    return out


def disk_encryption(ctx: FactContext) -> list[dict[str, Any]]:
    """The volumes; [] with `system.disk_encryption` unknown when the probe did not run or failed."""
    found = rows(ctx, "bitlocker", "system.disk_encryption")
    return [] if found is None else volume_rows(found)
