"""Hardware: firmware identity (DMI, or the device tree on boards without it), CPU, memory and disks.
Read from the running machine only."""

from __future__ import annotations

import re
from typing import Any

from secaudit.facts.common.values import uint
from secaudit.facts.context import FactContext
from secaudit.facts.linux.host import ROOT_NA
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

DMI = "/sys/class/dmi/id"
DMI_FIELDS = {"vendor": "sys_vendor", "model": "product_name", "serial": "product_serial",
              "board_vendor": "board_vendor", "board": "board_name", "bios_vendor": "bios_vendor",
              "bios_version": "bios_version", "bios_date": "bios_date", "chassis_type": "chassis_type"}
# Block devices that are not disks: loop files, RAM disks, device-mapper, software RAID, ...
VIRTUAL_DISKS = ("loop", "ram", "zram", "dm-", "md", "nbd", "drbd", "rbd", "fd", "zd")


def parse_cpuinfo(text: str) -> dict[str, Any]:
    model = None
    count = 0
    flags: set[str] = set()
    fallback: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "processor":
            count += 1
        elif key == "model name" and model is None:
            model = value
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif key in ("Processor", "cpu model", "cpu", "Hardware") and key not in fallback:
            fallback[key] = value
    model = model or next((fallback[k] for k in ("Processor", "cpu model", "cpu", "Hardware") if k in fallback),
                          None)
    return {"model": model, "logical_cpus": count or None, "hypervisor": "hypervisor" in flags}


def parse_meminfo_total(text: str) -> int | None:
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            parts = line.split()
            kib = uint(parts[1]) if len(parts) >= 2 else None
            if kib is not None:
                return kib * 1024  # the kernel always reports kB (KiB)
    return None


def sysfs_value(ctx: FactContext, path: str) -> str | None:
    try:
        value = ctx.transport.read_text(path).replace("\0", "").strip()
    except FactUnavailable:
        return None
    return value or None


def _dmi(ctx: FactContext, hw: dict[str, Any], sources: dict[str, str]) -> None:
    have_dmi = ctx.transport.exists(DMI)
    for field, name in DMI_FIELDS.items():
        path = f"{DMI}/{name}"
        try:
            value: str | None = ctx.transport.read_text(path).strip() or None
            sources[field] = path
        except FactUnavailable as exc:
            value = None
            if field == "serial" and (have_dmi or exc.code != "not_found"):
                ctx.unknown_from("hardware.serial", exc)
        hw[field] = value
    if hw["chassis_type"] is not None:
        hw["chassis_type"] = uint(hw["chassis_type"], 3)
    if have_dmi:
        return
    # Boards without firmware tables (Raspberry Pi, ARM SBCs) describe themselves in the device tree.
    base = "/sys/firmware/devicetree/base"
    hw["model"] = sysfs_value(ctx, f"{base}/model")
    hw["serial"] = sysfs_value(ctx, f"{base}/serial-number")
    if hw["model"]:
        sources["model"] = f"{base}/model"
    if hw["serial"]:
        sources["serial"] = f"{base}/serial-number"
    else:
        ctx.unknown("hardware.serial", "not_found", f"{DMI}/product_serial (no DMI firmware tables)")


def _disks(ctx: FactContext) -> list[dict[str, Any]]:
    disks = []
    for name in ctx.list_dir("/sys/block"):
        if name.startswith(VIRTUAL_DISKS) or re.fullmatch(r"mmcblk\d+(boot\d+|rpmb)", name):
            continue  # not disks; eMMC boot areas are parts of their disk
        base = f"/sys/block/{name}"
        size = sysfs_value(ctx, f"{base}/size")
        rotational = sysfs_value(ctx, f"{base}/queue/rotational")
        removable = sysfs_value(ctx, f"{base}/removable")
        disks.append({
            "name": name,
            "size_bytes": sectors * 512 if (sectors := uint(size or "")) is not None else None,
            "model": sysfs_value(ctx, f"{base}/device/model") or sysfs_value(ctx, f"{base}/device/name"),
            "vendor": sysfs_value(ctx, f"{base}/device/vendor"),
            "serial": sysfs_value(ctx, f"{base}/device/serial"),
            "rotational": None if rotational is None else rotational == "1",
            "removable": None if removable is None else removable == "1",
            "source": base,
        })
    return disks


@collector("hardware", ("hardware",))
def collect_hardware(ctx: FactContext) -> None:
    keys = (*DMI_FIELDS, "cpu", "cpu_count", "memory_bytes", "disks", "virtual")
    if not ctx.transport.live:
        ctx.unknown("hardware", "not_applicable", "hardware is read from the running machine; " + ROOT_NA)
        ctx.put("hardware", {**dict.fromkeys(keys), "disks": []})
        return
    hw: dict[str, Any] = {}
    sources: dict[str, str] = {}
    _dmi(ctx, hw, sources)
    cpu = parse_cpuinfo(ctx.read_text("/proc/cpuinfo", unknown_key="hardware.cpu") or "")
    hw["virtual"] = cpu["hypervisor"] or ctx.transport.exists("/sys/hypervisor/type")
    hw["cpu"] = cpu["model"]
    hw["cpu_count"] = cpu["logical_cpus"]
    if hw["cpu"] is None:
        ctx.unknown("hardware.cpu", "not_found", "/proc/cpuinfo model name")
    hw["memory_bytes"] = parse_meminfo_total(ctx.read_text("/proc/meminfo") or "")
    if hw["memory_bytes"] is None:
        ctx.unknown("hardware.memory_bytes", "not_found", "/proc/meminfo MemTotal")
    hw["disks"] = _disks(ctx)
    sources.update(cpu="/proc/cpuinfo", memory_bytes="/proc/meminfo", disks="/sys/block")
    hw["sources"] = sources
    ctx.put("hardware", hw)
