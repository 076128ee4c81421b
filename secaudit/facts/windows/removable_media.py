"""Removable media on Windows: AutoRun policy (Policies\\Explorer NoDriveTypeAutoRun, NoAutorun) and the USB
mass-storage driver's start type (Services\\USBSTOR Start: 4 disabled), from collect.ps1's probes."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.probes import as_int
from secaudit.facts.windows.remote_login import optional_key

EXPLORER_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\Explorer"
USBSTOR_KEY = r"HKLM:\SYSTEM\CurrentControlSet\Services\USBSTOR"
ALL_DRIVES = 0xFF
DISABLED = 4


def _autorun(ctx: FactContext) -> dict[str, Any] | None:
    key = optional_key(ctx, "autorun_policy", "removable_media.autorun")
    if key is None:
        return None
    values = key if isinstance(key, dict) else {}
    types, no_autorun = as_int(values.get("NoDriveTypeAutoRun")), as_int(values.get("NoAutorun"))
    return {"disabled": types == ALL_DRIVES and no_autorun == 1, "no_drive_type_autorun": types,
            "no_autorun": no_autorun,
            "source": f"{EXPLORER_KEY} NoDriveTypeAutoRun, NoAutorun" + ("" if key else " (key absent)")}


def _usb_storage(ctx: FactContext) -> dict[str, Any] | None:
    key = optional_key(ctx, "usb_storage", "removable_media.usb_storage")
    if key is None:
        return None
    start = as_int(key.get("Start")) if isinstance(key, dict) else None
    return {"blocked": start == DISABLED, "start": start,
            "source": f"{USBSTOR_KEY} Start" + ("" if key else " (key absent: the driver is installed on first use)")}


@collector("removable_media", ("removable_media",))
def collect_removable_media(ctx: FactContext) -> None:
    autorun, usb = _autorun(ctx), _usb_storage(ctx)
    if autorun is None and usb is None:
        # no probe ran (e.g. a mounted Windows disk): both are unknown, nothing is guessed
        ctx.unknown("removable_media", "not_found", "neither the AutoRun policy nor the USBSTOR key could be read")
        return
    ctx.put("removable_media", {"autorun": autorun, "usb_storage": usb})
