"""Parameter overrides (a playbook's `params:`, the config's `[params.<check>]`) checked before use: the
check must exist, the parameter must be one it declares, and the value must have the shape of its default
(type, element types, range, the keys a mapping needs). A problem is reported as (field, vi, en), the
field relative to the check ("max_days", "files./etc/passwd.owners[0]"), so each caller can name its file.
"""

from __future__ import annotations

import re
from typing import Any

Problem = tuple[str, str, str]  # field, vi, en

INT_RANGE = (0, 1_000_000_000)
# Ranges tighter than INT_RANGE, by "check.param".
RANGES: dict[str, tuple[int, int]] = {
    "accounts.admin_count.max_admins": (0, 10_000),
    "accounts.inactive.max_days": (1, 36_500),
    "accounts.inactive.warn_days": (0, 36_500),
    "accounts.password_quality.min_length_pass": (1, 1024),
    "accounts.password_quality.min_length_warn": (0, 1024),
    "accounts.password_quality.min_classes": (1, 4),
    "accounts.password_max_age.admin_max_days": (1, 99_999),
    "accounts.password_max_age.user_max_days": (1, 99_999),
    "accounts.lockout.min_lockout_minutes": (0, 525_600),
    "antivirus.signature_age.pass_days": (0, 3650),
    "antivirus.signature_age.fail_days": (0, 3650),
    "antivirus.last_scan.max_days": (1, 3650),
    "system.os_supported.warn_days": (0, 3650),
    "system.updates_current.max_age_days": (1, 3650),
    "system.updates_current.fail_age_days": (1, 3650),
    "backup.freshness.fail_factor": (1, 1000),
    "backup.size_anomaly.ratio_percent": (0, 100),
    "backup.size_anomaly.history": (1, 1000),
    "backup.size_anomaly.min_history": (0, 1000),
    "backup.integrity.max_unverified_days": (1, 36_500),
    "backup.restore_drill.pass_days": (1, 36_500),
    "backup.restore_drill.warn_days": (1, 36_500),
    "backup.offsite.fail_factor": (1, 1000),
    "network.port_mismatch.max_report_age_hours": (1, 87_600),
}
# List parameters whose default is empty, so the element type cannot be read off it.
ELEMENTS: dict[str, type | tuple[type, ...]] = {
    "ports.risky_services.extra_services": dict,
    "network.risky_exposed.extra_services": dict,
    "ports.risky_services.allowed": (str, int),
    "network.risky_exposed.allowed": (str, int),
}
# Values a list's elements or a mapping's values must be one of.
CHOICES: dict[str, tuple[str, ...]] = {
    "inventory.host_identified.required": ("hostname", "os", "mac", "serial"),
    "ssh.password_authentication.fail_roles": ("server", "workstation", "lab"),
    "antivirus.present.missing_status": ("pass", "warn", "fail"),
    "antivirus.realtime.off_status": ("pass", "warn", "fail"),
}
_ROLE_MAPS = ("antivirus.present.missing_status", "antivirus.realtime.off_status")
_OCTAL_MODE = re.compile(r"^0?[0-7]{3,4}$")

_TYPE_TEXT = {bool: ("true hoặc false", "true or false"), int: ("số nguyên", "an integer"),
              float: ("số", "a number"), str: ("chuỗi", "a string"), list: ("danh sách", "a list"),
              dict: ("bảng (ánh xạ)", "a table (mapping)")}


def _is(value: Any, kind: type | tuple[type, ...]) -> bool:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool):
        return bool in kinds
    if float in kinds and isinstance(value, int):
        return True
    return isinstance(value, kinds)


def _want(field: str, kind: type | tuple[type, ...]) -> Problem:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    vi = " hoặc ".join(_TYPE_TEXT[k][0] for k in kinds)
    en = " or ".join(_TYPE_TEXT[k][1] for k in kinds)
    return field, f"phải là {vi}", f"must be {en}"


def check_override(check_id: str, name: str, value: Any, default: Any) -> Problem | None:
    """The first problem with `value` as parameter `name` of `check_id`, or None."""
    key = f"{check_id}.{name}"
    if default is None:
        return None
    kind: type = type(default)
    if not _is(value, kind):
        return _want(name, kind)
    if kind is int:
        low, high = RANGES.get(key, INT_RANGE)
        if not low <= value <= high:
            return name, f"phải trong khoảng {low}–{high}", f"must be between {low} and {high}"
    if kind is list:
        elem: type | tuple[type, ...] = ELEMENTS.get(key, type(default[0]) if default else str)
        for i, item in enumerate(value):
            if not _is(item, elem):
                return _want(f"{name}[{i}]", elem)
            if key in CHOICES and item not in CHOICES[key]:
                return (f"{name}[{i}]", f"phải là một trong {', '.join(CHOICES[key])}",
                        f"must be one of {', '.join(CHOICES[key])}")
        return _special_list(check_id, name, value)
    if kind is dict:
        return _special_dict(check_id, name, value)
    return None


def _special_list(check_id: str, name: str, value: list[Any]) -> Problem | None:
    if name == "extra_services":
        from secaudit.policy.ports import PolicyError, build_policy, shipped_policy

        for i, entry in enumerate(value):
            try:
                build_policy(shipped_policy(), [entry])
            except (PolicyError, TypeError, ValueError, AttributeError) as exc:
                why = re.sub(r"^risky_ports: services\[\d+\]: ", "", str(exc))
                return f"{name}[{i}]", f"mục không hợp lệ ({why})", f"invalid entry ({why})"
    if check_id == "accounts.generic_names" and name == "patterns":
        for i, item in enumerate(value):
            try:
                re.compile(item)
            except re.error as exc:
                return (f"{name}[{i}]", f"biểu thức chính quy không hợp lệ ({exc})",
                        f"invalid regular expression ({exc})")
    return None


def _special_dict(check_id: str, name: str, value: dict[str, Any]) -> Problem | None:
    key = f"{check_id}.{name}"
    if key in _ROLE_MAPS:
        for role, status in value.items():
            if role not in ("server", "workstation", "lab"):
                return f"{name}.{role}", "vai trò phải là server, workstation hoặc lab", \
                    "roles are server, workstation or lab"
            if status not in CHOICES[key]:
                return f"{name}.{role}", "phải là pass, warn hoặc fail", "must be pass, warn or fail"
    if key == "files.sensitive_modes.files":
        for path, rule in value.items():
            where = f"{name}.{path}"
            if not isinstance(rule, dict):
                return _want(where, dict)
            for field in rule:
                if field not in ("max_mode", "owners", "groups"):
                    return f"{where}.{field}", "khóa không được hỗ trợ (max_mode, owners, groups)", \
                        "unknown key (max_mode, owners, groups)"
            mode = rule.get("max_mode")
            if not isinstance(mode, str) or not _OCTAL_MODE.match(mode):
                return f"{where}.max_mode", "phải là quyền dạng bát phân, ví dụ \"0640\"", \
                    "must be an octal mode such as \"0640\""
            for field in ("owners", "groups"):
                names = rule.get(field)
                if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
                    return f"{where}.{field}", "phải là danh sách tên không rỗng", "must be a non-empty list of names"
    return None


def check_overrides(check_id: str, values: Any, defaults: dict[str, Any]) -> Problem | None:
    """Every override of one check: a mapping of declared parameter names to valid values."""
    if not isinstance(values, dict):
        return "", "phải là một bảng (ánh xạ)", "must be a table (mapping)"
    for name, value in values.items():
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "—"
            return (str(name), f"tham số không tồn tại (kiểm tra này có: {known})",
                    f"no such parameter (this check has: {known})")
        problem = check_override(check_id, name, value, defaults[name])
        if problem is not None:
            return problem
    return None
