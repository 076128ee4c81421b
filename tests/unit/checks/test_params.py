"""checks/params.py: overrides validated against the checks' declared defaults."""

from __future__ import annotations

from typing import Any

import pytest

from secaudit.checks import load_checks
from secaudit.checks.params import RANGES, check_override, check_overrides


def test_every_default_is_a_valid_override_of_itself() -> None:
    for cid, chk in load_checks().items():
        assert check_overrides(cid, dict(chk.meta.params), chk.meta.params) is None, cid


def test_every_range_names_a_declared_integer_parameter() -> None:
    registry = load_checks()
    for key in RANGES:
        cid, _, name = key.rpartition(".")
        assert isinstance(registry[cid].meta.params.get(name), int), key


@pytest.mark.parametrize("cid, name, value, field, en", [
    ("accounts.inactive", "max_days", 0, "max_days", "between 1 and 36500"),
    ("accounts.inactive", "max_days", "45", "max_days", "must be an integer"),
    ("accounts.password_quality", "mfa_declared", 1, "mfa_declared", "true or false"),
    ("accounts.admin_members", "approved_admins", ["a", None], "approved_admins[1]", "must be a string"),
    ("ports.risky_services", "allowed", [3306, "tcp/22", 1.5], "allowed[2]", "a string or an integer"),
])
def test_bad_override(cid: str, name: str, value: Any, field: str, en: str) -> None:
    default = load_checks()[cid].meta.params[name]
    problem = check_override(cid, name, value, default)
    assert problem is not None and problem[0] == field and en in problem[2], problem


def test_unknown_parameter_lists_the_known_ones() -> None:
    defaults = load_checks()["accounts.inactive"].meta.params
    field, vi, en = check_overrides("accounts.inactive", {"max_day": 3}, defaults) or ("", "", "")
    assert field == "max_day" and "max_days, warn_days" in en and "max_days, warn_days" in vi
