"""Check metadata against the table specs: a check whose `needs:` names a table or column no spec declares is
refused when it registers; check modules are found by their YAML sidecar, without a list."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from secaudit.checks import REGISTRY, _modules, load_checks
from secaudit.checks.base import MetadataError, Outcome, check

META = """
fake.check:
  severity: low
  title: {vi: t, en: t}
  remediation: {vi: r, en: r}
  needs: %s
"""
PLATFORMS = "[%s]\n  platforms: %s"  # fills the needs: line, then a platforms: line


@pytest.fixture
def register(tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Register `fake.check` from a throwaway module whose sidecar YAML says `needs: <value>`."""
    module = types.ModuleType("fake_checks")
    module.__file__ = str(tmp_path / "fake_checks.py")
    sys.modules["fake_checks"] = module

    def run(needs: str) -> None:
        (tmp_path / "fake_checks.yaml").write_text(META % needs, encoding="utf-8")

        def fn(snap: Any, p: dict[str, Any], env: Any) -> Outcome:
            return Outcome("pass", "pass")

        fn.__module__ = "fake_checks"
        from secaudit.resources import load_yaml

        load_yaml.cache_clear()
        check("fake.check")(fn)

    yield run
    REGISTRY.pop("fake.check", None)
    sys.modules.pop("fake_checks", None)


@pytest.mark.parametrize("needs, key", [
    ("[userz]", "userz"), ("[users.uidd]", "users.uidd"), ("[users, remote_login.ssh.permit_root_logn]",
                                                           "remote_login.ssh.permit_root_logn"),
    ("[sudo_rules.parsed]", "sudo_rules.parsed"), ("[host:pc]", "host:pc"),
])
def test_needs_naming_an_undeclared_table_or_column_is_refused(register: Callable[[str], None], needs: str,
                                                                key: str) -> None:
    with pytest.raises(MetadataError) as info:
        register(needs)
    assert str(info.value).endswith(f"fake_checks.yaml: fake.check.needs: {key!r} names no table or column that a "
                                    f"spec in secaudit/facts/tables/ declares")
    assert "fake.check" not in REGISTRY


@pytest.mark.parametrize("needs", ["[users, users.last_login]", "[remote_login.ssh.permit_root_login]",
                                   "[sudo_rules.parse]\n  platforms: [linux]",
                                   "[file_modes:/etc/shadow]\n  platforms: [linux]", "[]"])
def test_needs_naming_declared_facts_are_accepted(register: Callable[[str], None], needs: str) -> None:
    register(needs)
    assert "fake.check" in REGISTRY


def test_needs_must_be_a_list(register: Callable[[str], None]) -> None:
    with pytest.raises(MetadataError, match="needs must be a list of fact keys"):
        register("users")


@pytest.mark.parametrize("needs, platforms, message", [
    ("sudo_rules", "null", "fake.check needs sudo_rules, which windows does not have: say platforms: [linux]"),
    ("pam, file_modes", "[linux, windows]",
     "fake.check needs pam, file_modes, which windows does not have: say platforms: [linux]"),
    ("users", "[macos]", "fake.check.platforms must be a list of linux, windows"),
    ("users", "linux", "fake.check.platforms must be a list of linux, windows"),
    ("users", "[]", "fake.check.platforms must be a list of linux, windows"),
])
def test_platforms_must_have_what_the_check_needs(register: Callable[[str], None], needs: str, platforms: str,
                                                  message: str) -> None:
    with pytest.raises(MetadataError) as info:
        register(PLATFORMS % (needs, platforms))
    assert str(info.value).endswith(message)


@pytest.mark.parametrize("needs, platforms, expected", [
    ("sudo_rules", "[linux]", ("linux",)), ("users", "null", ("linux", "windows")),
    ("password_policy, pam", "null", ("linux", "windows")),  # pam is needed where there is one
    ("users", "[windows, linux]", ("linux", "windows")),
])
def test_platforms_are_read(register: Callable[[str], None], needs: str, platforms: str,
                            expected: tuple[str, ...]) -> None:
    register(PLATFORMS % (needs, platforms))
    assert REGISTRY["fake.check"].meta.platforms == expected


def test_check_modules_are_the_modules_with_metadata_beside_them() -> None:
    here = Path(sys.modules["secaudit.checks"].__file__ or "").parent
    assert {m.rsplit(".", 1)[1] for m in _modules()} == {p.stem for p in here.glob("*.yaml")}
    assert "secaudit.checks.engine" not in _modules() and "secaudit.checks.base" not in _modules()
    assert len(load_checks()) >= 38
