"""Device inventory: the host can be identified (VN-DEV-01); no denylisted software (VN-DEV-04)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from functools import cache
from typing import Any

from secaudit.checks.base import Env, Outcome, check
from secaudit.facts.model import Snapshot
from secaudit.status import Status

# Field names as shown to the reader, per language.
FIELD_TEXT = {
    "hostname": ("tên máy", "host name"),
    "hostname_generic": ("tên máy mặc định, không phân biệt được", "default host name that identifies nothing"),
    "os": ("tên hệ điều hành", "operating system name"),
    "os_version": ("phiên bản hệ điều hành", "operating system version"),
    "mac": ("địa chỉ MAC", "MAC address"),
    "serial": ("số sê-ri phần cứng", "hardware serial number"),
    "serial_placeholder": ("số sê-ri phần cứng (chỉ là giá trị mẫu của nhà sản xuất)",
                           "hardware serial number (only a manufacturer placeholder)"),
}
NOTE_TEXT = {
    "offline": ("địa chỉ MAC và số sê-ri chỉ đọc được trên máy đang chạy, không đọc được từ ổ đĩa gắn vào (--root)",
                "MAC addresses and the serial number are read only on the running machine, not from a mounted "
                "disk (--root)"),
    "serial_root": ("số sê-ri phần cứng chỉ đọc được với quyền root (chạy lại bằng sudo)",
                    "the hardware serial number is readable only as root (run again with sudo)"),
    "serial_virtual": ("máy ảo: nhận diện bằng tên máy và địa chỉ MAC, không cần số sê-ri",
                       "virtual machine: identified by host name and MAC address, no serial needed"),
    "serial_absent": ("máy không cung cấp số sê-ri phần cứng (không có bảng DMI)",
                      "the machine does not expose a hardware serial number (no DMI tables)"),
    "mac_unknown": ("không đọc được địa chỉ MAC", "MAC addresses could not be read"),
}


def _texts(keys: list[str], table: dict[str, tuple[str, str]]) -> tuple[str, str]:
    return "; ".join(table[k][0] for k in keys), "; ".join(table[k][1] for k in keys)


def placeholder_serial(serial: str, placeholders: list[str]) -> bool:
    s = serial.strip().lower()
    return not s or s in {p.lower() for p in placeholders} or len(set(s.replace("-", ""))) <= 1


def _macs(snap: Snapshot) -> list[dict[str, str]]:
    """MACs of the network cards; virtual links (veth, bridges, ifb) only when there is no card."""
    cards: list[dict[str, str]] = []
    others: list[dict[str, str]] = []
    for row in snap.table("interfaces"):
        mac = (row.get("mac") or "").lower()
        if not mac or row.get("kind") == "loopback" or set(mac) <= {"0", ":"}:
            continue
        item = {"interface": row.get("name", ""), "mac": mac}
        (cards if row.get("kind") in ("ether", "wireless", None) else others).append(item)
    return cards or others


@check("inventory.host_identified")
def host_identified(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    host = snap.table("host")
    hw = snap.table("hardware") or {}
    os_info = host.get("os") or {}
    required = set(p["required"])
    missing: list[str] = []
    notes: list[str] = []

    hostname = host.get("hostname") or ""
    if "hostname" in required:
        if not hostname:
            missing.append("hostname")
        elif hostname.lower() in {h.lower() for h in p["generic_hostnames"]}:
            missing.append("hostname_generic")
    os_version = os_info.get("version") or os_info.get("version_codename") or os_info.get("build")
    if "os" in required:
        if not os_info.get("name"):
            missing.append("os")
        elif not os_version:
            missing.append("os_version")

    offline = snap.mode == "root"
    macs = _macs(snap)
    if "mac" in required and not macs:
        why = snap.why_unknown("interfaces.mac") or snap.why_unknown("interfaces.addresses")
        if why and why["code"] == "not_applicable":
            offline = True
        elif snap.why_unknown("interfaces"):
            notes.append("mac_unknown")
        else:
            missing.append("mac")

    serial = hw.get("serial") or ""
    if "serial" in required and (not serial or placeholder_serial(serial, p["placeholder_serials"])):
        why = snap.why_unknown("hardware.serial")
        if hw.get("virtual"):
            notes.append("serial_virtual")
        elif why and why["code"] == "not_applicable":
            offline = True
        elif why and why["code"] == "permission_denied":
            notes.append("serial_root")
        elif why:
            notes.append("serial_absent")
        else:  # readable, yet empty or a placeholder such as "To Be Filled By O.E.M."
            missing.append("serial_placeholder" if serial else "serial")
    if offline:
        notes.insert(0, "offline")

    evidence = {
        "hostname": hostname or None,
        "fqdn": host.get("fqdn"),
        "os": os_info.get("name"),
        "os_version": os_version,
        "kernel": host.get("kernel"),
        "arch": host.get("arch"),
        "macs": macs,
        "serial": serial or None,
        "vendor": hw.get("vendor"),
        "model": hw.get("model"),
        "virtual": hw.get("virtual"),
        "missing": missing,
        "notes": notes,
        "source": host.get("sources", {}),
    }
    args: dict[str, Any] = {
        "hostname": hostname or "—",
        "os": " ".join(str(x) for x in (os_info.get("name"), host.get("kernel")) if x) or "—",
        "macs": [m["mac"] for m in macs] or "—",
        "serial": serial or "—",
    }
    args["notes_vi"], args["notes_en"] = _texts(notes, NOTE_TEXT)
    if missing:
        args["missing_vi"], args["missing_en"] = _texts(missing, FIELD_TEXT)
        return Outcome("warn", "missing_notes" if notes else "missing", args, evidence)
    return Outcome("pass", "pass_notes" if notes else "pass", args, evidence)


# -- software denylist -------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    pattern: str  # lower case; a glob when it has * ? or [
    category: str
    reason: dict[str, str]


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


@cache
def denylist() -> tuple[Rule, ...]:
    """The shipped list (secaudit/data/software_denylist.yaml): package data, not audited-system I/O."""
    from secaudit.resources import load_data

    data = load_data("software_denylist.yaml")
    rules = []
    for entry in data["entries"]:
        for name in entry["names"]:
            rules.append(Rule(str(name).lower(), entry["category"], dict(entry["reason"])))
    return tuple(rules)


def _rules(p: dict[str, Any]) -> list[Rule]:
    extra = [Rule(str(n).lower(), "extra_fail", {"vi": "bị cấm theo cấu hình của đơn vị",
                                                 "en": "denied by the unit's configuration"})
             for n in p.get("extra_fail") or []]
    extra += [Rule(str(n).lower(), "extra_warn", {"vi": "cần xem xét theo cấu hình của đơn vị",
                                                  "en": "to review per the unit's configuration"})
              for n in p.get("extra_warn") or []]
    return extra + list(denylist())


def match(name: str, rules: list[Rule]) -> Rule | None:
    low = name.lower()
    for rule in rules:
        if (fnmatch.fnmatchcase(low, rule.pattern) if _is_glob(rule.pattern) else low == rule.pattern):
            return rule
    return None


@check("inventory.software_denylist")
def software_denylist(snap: Snapshot, p: dict[str, Any], env: Env) -> Outcome:
    rules = _rules(p)
    allowed = [str(a).lower() for a in p.get("allow") or []]
    fail_categories = {*p["fail_categories"], "extra_fail"}
    denied: list[dict[str, Any]] = []
    review: list[dict[str, Any]] = []
    rows = snap.table("software")
    for row in rows:
        name = str(row.get("name") or "")
        rule = match(name, rules) if name else None
        if rule is None or any(fnmatch.fnmatchcase(name.lower(), a) for a in allowed):
            continue
        item = {"package": name, "version": row.get("version"), "manager": row.get("manager"),
                "source": row.get("source"), "category": rule.category, "reason": rule.reason}
        (denied if rule.category in fail_categories else review).append(item)
    incomplete = sorted(k for k in snap.unknown if k.startswith("software."))
    evidence: dict[str, Any] = {"denied": denied, "review": review, "checked": len(rows)}
    if incomplete:
        evidence["not_read"] = {k: snap.unknown[k] for k in incomplete}

    def label(items: list[dict[str, Any]]) -> list[str]:
        return [f"{i['package']} {i['version'] or ''}".strip() for i in items]

    args = {"denied": label(denied), "review": label(review), "n": len(rows)}
    status: Status = "fail" if denied else "warn" if review else "pass"
    if status == "pass" and not rows:
        # An empty package list is a truncated or foreign database, not a system with nothing installed.
        return Outcome("unknown", "unknown_empty", args, evidence)
    unread = [f"{k} ({snap.unknown[k]['detail']})" for k in incomplete if snap.unknown[k]["code"] != "not_applicable"]
    if status == "pass" and unread:
        return Outcome("unknown", "unknown_partial", {**args, "sources": unread}, evidence)
    key = {"fail": "fail_review" if review else "fail", "warn": "warn", "pass": "pass"}[status]
    return Outcome(status, key, args, evidence)
