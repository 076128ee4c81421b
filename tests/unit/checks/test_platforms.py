"""Checks state their platform: on a Windows-shaped snapshot built from the table specs (common and windows
columns only), every check of every shipped playbook runs without error, every Linux-only check is
not_applicable, and no check reads a column Windows does not have: rows are dicts that record every read of a
key their spec does not give Windows, so a check cannot pass on a column that is simply absent."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit import playbook as pb
from secaudit.checks import load_checks
from secaudit.checks.engine import Result, run_checks
from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.facts.tables import FAMILIES, Type, tables
from secaudit.pipeline import check_catalog
from tests.unit.facts.specvalues import TIME, plain_table, table_strategy

READS: list[str] = []  # "check: table.path.key" reads of keys the platform does not have


class Row(dict[str, Any]):
    """A row (or nested object) that records reads of keys its spec does not give the platform."""

    allowed: frozenset[str] = frozenset()
    where: str = ""

    def _read(self, key: object) -> None:
        if key not in self.allowed:
            READS.append(f"{self.where}.{key}")

    def __getitem__(self, key: str) -> Any:
        self._read(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self._read(key)
        return super().get(key, default)


def _wrap(value: Any, typ: Type, where: str, family: str) -> Any:
    if value is None:
        return None
    if typ.kind == "list" and typ.item is not None:
        return [_wrap(v, typ.item, f"{where}[]", family) for v in value]
    if typ.kind == "map" and typ.item is not None:
        return {k: _wrap(v, typ.item, f"{where}.{k}", family) for k, v in value.items()}
    if typ.kind == "object":
        row = Row({k: _wrap(v, typ.columns[k].type, f"{where}.{k}", family) if k in typ.columns else v
                   for k, v in value.items()})
        row.allowed = frozenset(k for k, c in typ.columns.items() if c.on(family))
        row.where = where
        return row
    return value


def instrumented(data: dict[str, Any], family: str) -> Snapshot:
    """A snapshot of `family` whose tables record reads of undeclared keys."""
    specs = tables()
    wrapped = {name: _wrap(value, specs[name].row if specs[name].single else Type("list", item=specs[name].row),
                           name, family) for name, value in data.items()}
    return Snapshot(collected_at=TIME, mode="local", tables=wrapped, family=family)


def windows_tables(variant: str) -> dict[str, Any]:
    return {name: plain_table(spec, "windows", variant) for name, spec in tables().items()
            if "windows" in spec.platforms}


def shipped_playbooks() -> Iterator[pb.Playbook]:
    for path in pb.list_shipped():
        yield pb.load(str(path), check_catalog())


def run_all(snap: Snapshot, config: AgentConfig) -> dict[str, tuple[Result, list[str]]]:
    """Every check of every shipped playbook, with that playbook's parameters: result and undeclared reads."""
    out: dict[str, tuple[Result, list[str]]] = {}
    for book in shipped_playbooks():
        ids = list(dict.fromkeys(c for req in book.evaluated_requirements() for c in req.checks))
        for cid in ids:  # one at a time, so that each read is charged to its check
            READS.clear()
            result = run_checks(snap, [cid], book, config)[cid]
            out[f"{book.id}:{cid}"] = (result, list(READS))
    return out


LINUX_ONLY = sorted(cid for cid, chk in load_checks().items() if "windows" not in chk.meta.platforms)


def test_the_linux_only_checks_are_the_ones_expected() -> None:
    """The review of the checks: Linux notions (uid 0, sudoers, PAM, sshd, POSIX file modes, X11/Wayland desktops)
    are Linux-only; accounts, admins, password policy, antivirus, ports, firewall, updates, backups and inventory
    are not."""
    assert LINUX_ONLY == ["accounts.pam_nullok", "accounts.shadowed_passwords", "accounts.sudo_nopasswd",
                          "accounts.uid0_duplicates",
                          "backup.protection", "desktop.auto_login", "desktop.idle_lock",
                          "files.sensitive_modes", "hardening.cron_scripts", "hardening.ftp_anonymous",
                          "hardening.grub_password",
                          "hardening.home_dirs", "hardening.network_sysctl", "hardening.sudo_logging",
                          "hardening.system_shells", "hardening.umask", "logs.auditd", "ssh.crypto",
                          "ssh.password_authentication", "ssh.permit_empty_passwords", "ssh.permit_root_login",
                          "ssh.session_limits", "system.security_updates_source"]
    assert all(set(chk.meta.platforms) <= set(FAMILIES) for chk in load_checks().values())


@pytest.mark.parametrize("variant", ["good", "bad", "null", "empty"])
@pytest.mark.parametrize("role", ["workstation", "server"])
def test_windows_snapshot(variant: str, role: str) -> None:
    results = run_all(instrumented(windows_tables(variant), "windows"), AgentConfig(role=role))
    assert len({k.split(":", 1)[1] for k in results}) >= 38
    errors = {k: r.message["en"] for k, (r, _) in results.items() if r.status == "error"}
    assert errors == {}
    reads = {k: sorted(set(found)) for k, (_, found) in results.items() if found}
    assert reads == {}, "checks read columns Windows does not have"
    for key, (result, _) in results.items():
        if key.split(":", 1)[1] in LINUX_ONLY:
            assert result.status == "not_applicable" and result.evidence["family"] == "windows", key
            assert result.message["en"].startswith("Does not apply to Windows: this check is for Linux only")
    if variant == "good":  # the healthy machine passes the OS-neutral checks that have what they need
        passed = {k.split(":", 1)[1] for k, (r, _) in results.items() if r.status == "pass"}
        assert {"accounts.empty_passwords", "antivirus.present", "antivirus.realtime", "system.firewall",
                "system.time_sync", "system.auto_updates", "inventory.host_identified"} <= passed


def test_linux_only_checks_still_run_on_linux() -> None:
    snap = instrumented({name: plain_table(spec, "linux") for name, spec in tables().items()}, "linux")
    for key, (result, _) in run_all(snap, AgentConfig(role="server")).items():
        if key.split(":", 1)[1] in LINUX_ONLY:
            assert result.evidence.get("platforms") is None, key


@settings(max_examples=40, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.fixed_dictionaries({}, optional={name: table_strategy(spec, "windows") for name, spec in tables().items()
                                           if "windows" in spec.platforms}))
def test_any_windows_shaped_snapshot(data: dict[str, Any]) -> None:
    results = run_all(instrumented(data, "windows"), AgentConfig())
    assert {k: r.message["en"] for k, (r, _) in results.items() if r.status == "error"} == {}
    assert {k: sorted(set(found)) for k, (_, found) in results.items() if found} == {}


# -- the engine's precondition --------------------------------------------------------------------------------


@contextmanager
def _fake(platforms: tuple[str, ...], needs: tuple[str, ...] = ()) -> Iterator[str]:
    from secaudit.checks.base import REGISTRY, Check, CheckMeta, Outcome

    text = {"vi": "t", "en": "t"}
    REGISTRY["t.platform"] = Check(CheckMeta(id="t.platform", severity="low", title=text, remediation=text,
                                             messages={"ok": {"vi": "ổn", "en": "fine"}}, params={}, needs=needs,
                                             platforms=platforms),
                                   lambda s, p, e: Outcome("pass", "ok"))
    try:
        yield "t.platform"
    finally:
        REGISTRY.pop("t.platform", None)


def _one(snap: Snapshot, platforms: tuple[str, ...], needs: tuple[str, ...] = ()) -> Result:
    book = pb.Playbook(id="t", version="1", title={"vi": "t", "en": "t"}, path="-", sha256="")
    with _fake(platforms, needs) as cid:
        return run_checks(snap, [cid], book, AgentConfig(role="server"))[cid]


def test_a_check_for_other_oses_is_not_applicable_with_the_reason() -> None:
    windows = Snapshot(collected_at=TIME, mode="replay", family="windows", tables={"users": []})
    result = _one(windows, ("linux",))
    assert result.status == "not_applicable"
    assert result.message == {"vi": "Không áp dụng cho Windows: kiểm tra này chỉ dành cho Linux.",
                              "en": "Does not apply to Windows: this check is for Linux only."}
    assert result.evidence == {"family": "windows", "platforms": ["linux"]}
    assert _one(windows, FAMILIES).status == "pass"
    linux = Snapshot(collected_at=TIME, mode="replay", tables={"host": {"os": {"family": "linux"}}})
    assert _one(linux, ("linux",)).status == "pass"  # an older snapshot says its OS in the host table


def test_a_snapshot_that_does_not_say_its_os_is_not_gated() -> None:
    assert _one(Snapshot(collected_at=TIME, mode="replay"), ("linux",)).status == "pass"


def test_needs_only_other_oses_have_are_skipped() -> None:
    """A password check needs pam where there is PAM; on Windows only password_policy counts."""
    windows = Snapshot(collected_at=TIME, mode="replay", family="windows", tables={"password_policy": {}})
    assert _one(windows, FAMILIES, ("password_policy", "pam")).status == "pass"
    linux = Snapshot(collected_at=TIME, mode="replay", family="linux", tables={"password_policy": {}})
    result = _one(linux, FAMILIES, ("password_policy", "pam"))
    assert result.status == "unknown" and result.evidence["fact"] == "pam"
