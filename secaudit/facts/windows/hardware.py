"""Make, model, serial number, firmware version and memory of a Windows machine (Win32_ComputerSystem,
Win32_BIOS). The catalogue reads no processor or disk: those columns stay empty, with the reason."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.facts.windows.host import probes_run
from secaudit.facts.windows.probes import as_int, one

CS_SOURCE = "Get-CimInstance Win32_ComputerSystem"
BIOS_SOURCE = "Get-CimInstance Win32_BIOS"
# Placeholders firmware vendors leave in the serial-number field: not a serial.
_NO_SERIAL = re.compile(r"^(to be filled by o\.?e\.?m\.?|default string|system serial number|not specified|none|"
                        r"n/?a|0+|1234567890|serial ?number|chassis serial number|\.+|-+)$", re.I)
_VIRTUAL = re.compile(r"virtual machine|vmware|virtualbox|kvm|qemu|hvm domu|parallels|bochs", re.I)


def _str(value: Any) -> str | None:
    return value.strip()[:200] or None if isinstance(value, str) else None


def serial_of(value: Any) -> str | None:
    text = _str(value)
    return None if text is None or _NO_SERIAL.match(text) else text


@collector("hardware", ("hardware",))
def collect_hardware(ctx: FactContext) -> None:
    if not probes_run(ctx, "hardware"):
        return
    cs = ctx.memo("windows.computer_system", lambda: one(ctx, "computer_system", "host.hostname"))
    bios = one(ctx, "bios", "hardware.serial")
    if cs is None and bios is None:
        ctx.unknown("hardware", "not_found", "probes computer_system and bios gave nothing")
        return
    hw: dict[str, Any] = {k: None for k in ("vendor", "model", "serial", "board_vendor", "board", "bios_vendor",
                                            "bios_version", "bios_date", "chassis_type", "virtual", "cpu",
                                            "cpu_count", "memory_bytes")}
    sources: dict[str, str] = {}
    if cs is not None:
        hw["vendor"], hw["model"] = _str(cs.get("Manufacturer")), _str(cs.get("Model"))
        memory = as_int(cs.get("TotalPhysicalMemory"))
        hw["memory_bytes"] = memory if memory is not None and memory > 0 else None
        sources.update(vendor=CS_SOURCE, model=CS_SOURCE, memory_bytes=CS_SOURCE)
        if _VIRTUAL.search(f"{hw['vendor'] or ''} {hw['model'] or ''}"):
            hw["virtual"] = True
            sources["virtual"] = f"{CS_SOURCE} (Manufacturer, Model)"
    else:
        ctx.unknown("hardware.model", "not_found", "probe computer_system gave nothing")
    if bios is not None:
        hw["serial"], hw["bios_version"] = serial_of(bios.get("SerialNumber")), _str(bios.get("SMBIOSBIOSVersion"))
        sources.update(serial=BIOS_SOURCE, bios_version=BIOS_SOURCE)
    hw["disks"] = []
    ctx.unknown("hardware.disks", "not_applicable", "no Windows probe lists the disks")
    ctx.unknown("hardware.cpu", "not_applicable", "no Windows probe reads the processor")
    hw["sources"] = sources
    ctx.put("hardware", hw)
