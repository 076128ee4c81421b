"""The collector registry enforces the table specs: a collector for an undeclared table, for an OS its spec does
not give it, or for a table another collector fills already is refused when it registers; collector modules are
found under secaudit/facts/<family>/ without a list."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterator

import pytest

import secaudit.facts.linux
from secaudit.facts import registry
from secaudit.facts.context import FactContext
from secaudit.facts.registry import COLLECTORS, RegistrationError, collector, load_collectors


def _noop(ctx: FactContext) -> None:
    return None


@pytest.fixture
def registered() -> Iterator[None]:
    load_collectors("linux")
    before = list(COLLECTORS)
    yield
    COLLECTORS[:] = before


@pytest.mark.parametrize("tables, family, needle", [
    (("stuck_table",), "linux", "fills table 'stuck_table', which no spec declares: add "
                                "secaudit/facts/tables/stuck_table.yaml"),
    (("sudo_rules",), "windows", "fills table 'sudo_rules' on windows, but its spec gives it only to linux"),
    (("users",), "linux", "fills table 'users' on linux, which collector 'accounts' fills already"),
    (("devices",), "macos", "no OS family"),
    (("devices",), None, "no OS family"),  # a module outside secaudit/facts/<family>/ must say its OS
])
def test_wrong_registrations_are_refused(registered: None, tables: tuple[str, ...], family: str | None,
                                         needle: str) -> None:
    with pytest.raises(RegistrationError) as info:
        collector("wrong", tables, family=family)(_noop)
    assert needle in str(info.value) and "tests.unit.facts.test_registry:_noop" in str(info.value)


def test_the_family_comes_from_the_package(registered: None) -> None:
    def collect_x(ctx: FactContext) -> None:
        return None

    collect_x.__module__ = "secaudit.facts.windows.x"
    COLLECTORS[:] = [c for c in COLLECTORS if c.family != "windows"]  # the Windows accounts collector fills users
    collector("x", ("users",))(collect_x)
    assert COLLECTORS[-1].family == "windows" and COLLECTORS[-1].target == "secaudit.facts.windows.x:collect_x"


def test_collector_modules_are_discovered() -> None:
    load_collectors("linux")
    load_collectors("windows")
    modules = {info.name for info in pkgutil.walk_packages(secaudit.facts.linux.__path__, "secaudit.facts.linux.")}
    registered_in = {c.fn.__module__ for c in COLLECTORS if c.family == "linux"}
    assert registered_in and registered_in <= modules
    assert {"users", "groups", "sudo_rules", "pam", "password_policy", "remote_login", "file_modes", "antivirus",
            "listening_ports", "host", "hardware", "interfaces", "software", "firewall", "system", "backups",
            "removable_media", "hardening", "logging", "update_sources", "desktop"} == {
        t for c in COLLECTORS if c.family == "linux" for t in c.tables}
    assert not hasattr(registry, "_FAMILIES")
