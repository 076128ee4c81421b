"""A check is a pure function `(snapshot, params, env) -> Outcome(s)` plus metadata kept as data.

Metadata lives in a YAML file beside the module that defines the checks
(`checks/accounts.py` -> `checks/accounts.yaml`): severity, bilingual title,
remediation and messages, default parameters, the facts it needs (keys of the table specs in
facts/tables/) and the OSes it applies to (`platforms:`; absent: every OS).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts.model import Snapshot
from secaudit.facts.tables import FAMILIES, families_of
from secaudit.resources import load_yaml
from secaudit.status import SEVERITIES, Status

Text = dict[str, str]


@dataclass
class Outcome:
    status: Status
    key: str  # message key in the check's metadata
    args: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)


def part_or_unknown(snap: Snapshot, table: str, part: str, missing: str, kind: type = dict) -> Any:
    """The `part` of an object table, or the check's "unreadable" unknown outcome with the collector's reason
    (recorded for the part or the whole table; else `missing` when the part is absent or not a `kind`)."""
    value = (snap.table(table) or {}).get(part)
    why = snap.unknown.get(f"{table}.{part}") or snap.unknown.get(table)
    if why is not None or not isinstance(value, kind):
        why = why or {"code": "not_found", "detail": missing}
        return Outcome("unknown", "unreadable", {"detail": why["detail"]}, dict(why))
    return value


def status_by_role(p: dict[str, Any], key: str, role: str) -> Status:
    """The status a role's entry of the parameter `key` ({server: fail, workstation: fail, lab: warn}) gives;
    fail for a role not listed or a value that is not pass, warn or fail."""
    value = (p.get(key) or {}).get(role, "fail")
    return value if value in ("pass", "warn", "fail") else "fail"


@dataclass(frozen=True)
class Env:
    """What a check may know besides the snapshot: the effective role, the evaluation time, the config."""

    role: str
    now: datetime
    config: AgentConfig
    family: str | None  # OS family of the snapshot (linux | windows); None when the snapshot does not say


@dataclass(frozen=True)
class DependsOn:
    """`depends_on: {check: ID, when: [KEY, ...]}` in a check's metadata. When the check ID ends with one of
    these message keys and this check ends with the same key, this check only repeats it (e.g. "no backup set
    is declared" from every backup check): the engine makes it not_applicable, pointing at ID."""

    check: str
    when: tuple[str, ...]


@dataclass(frozen=True)
class CheckMeta:
    id: str
    severity: str
    title: Text
    remediation: Text
    messages: dict[str, Text]
    params: dict[str, Any]
    needs: tuple[str, ...] = ()
    platforms: tuple[str, ...] = FAMILIES  # the OSes it applies to; elsewhere it is not_applicable
    roles: tuple[str, ...] = ()  # empty: every role
    live_only: bool = False  # needs a live system (sockets, processes)
    timeout: float = 5.0
    depends_on: DependsOn | None = None


CheckFn = Callable[[Snapshot, dict[str, Any], Env], "Outcome | list[Outcome]"]


@dataclass(frozen=True)
class Check:
    meta: CheckMeta
    fn: CheckFn


REGISTRY: dict[str, Check] = {}


class MetadataError(Exception):
    pass


def _text(where: str, value: Any) -> Text:
    if not isinstance(value, dict) or not isinstance(value.get("vi"), str) or not isinstance(value.get("en"), str):
        raise MetadataError(f"{where}: needs 'vi' and 'en' strings")
    return {"vi": value["vi"], "en": value["en"]}


def _metadata_file(path: str) -> dict[str, Any]:
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise MetadataError(f"{path}: not a mapping")
    return data


def _depends_on(check_id: str, raw: Any, messages: dict[str, Any], where: str) -> DependsOn | None:
    if raw is None:
        return None
    when = raw.get("when") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("check"), str) or raw["check"] == check_id \
            or not isinstance(when, list) or not when or not all(isinstance(k, str) for k in when):
        raise MetadataError(f"{where}: {check_id}.depends_on needs 'check' (another check's id) and 'when' "
                            f"(a list of message keys)")
    for key in when:
        if key not in messages:
            raise MetadataError(f"{where}: {check_id}.depends_on.when: {key!r} is not one of its messages")
    return DependsOn(raw["check"], tuple(when))


def _needs(check_id: str, raw: Any, where: str) -> tuple[str, ...]:
    """`needs:` keys name tables and columns their specs declare (facts/tables/*.yaml): `users`,
    `users.last_login`, `remote_login.ssh.permit_root_login`, or a declared unknown part (`sudo_rules.parse`)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(k, str) for k in raw):
        raise MetadataError(f"{where}: {check_id}.needs must be a list of fact keys")
    for key in raw:
        if families_of(key) is None:
            raise MetadataError(f"{where}: {check_id}.needs: {key!r} names no table or column that a spec in "
                                f"secaudit/facts/tables/ declares")
    return tuple(raw)


def _platforms(check_id: str, raw: Any, needs: tuple[str, ...], where: str) -> tuple[str, ...]:
    """`platforms: [linux]` for a check that only means something on those OSes (sudoers, PAM, sshd, POSIX file
    modes); absent for an OS-neutral one. Each of its OSes must have at least one of the facts it needs, so a
    check cannot run where all it reads is missing (and pass on nothing)."""
    platforms: tuple[str, ...]
    if raw is None:
        platforms = FAMILIES
    elif isinstance(raw, list) and raw and all(p in FAMILIES for p in raw):
        platforms = tuple(p for p in FAMILIES if p in raw)
    else:
        raise MetadataError(f"{where}: {check_id}.platforms must be a list of {', '.join(FAMILIES)}")
    for family in platforms:
        if needs and not any(family in (families_of(key) or ()) for key in needs):
            raise MetadataError(f"{where}: {check_id} needs {', '.join(needs)}, which {family} does not have: "
                                f"say platforms: [{', '.join(p for p in platforms if p != family)}]")
    return platforms


def _meta_from(check_id: str, raw: Any, where: str) -> CheckMeta:
    if not isinstance(raw, dict):
        raise MetadataError(f"{where}: no metadata for {check_id}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise MetadataError(f"{where}: {check_id}.severity must be one of {SEVERITIES}")
    messages = raw.get("messages") or {}
    needs = _needs(check_id, raw.get("needs"), where)
    return CheckMeta(
        id=check_id,
        severity=severity,
        title=_text(f"{where}: {check_id}.title", raw.get("title")),
        remediation=_text(f"{where}: {check_id}.remediation", raw.get("remediation")),
        messages={k: _text(f"{where}: {check_id}.messages.{k}", v) for k, v in messages.items()},
        params=dict(raw.get("params") or {}),
        needs=needs,
        platforms=_platforms(check_id, raw.get("platforms"), needs, where),
        roles=tuple(raw.get("roles") or ()),
        live_only=bool(raw.get("live_only", False)),
        timeout=float(raw.get("timeout", 5.0)),
        depends_on=_depends_on(check_id, raw.get("depends_on"), messages, where),
    )


def check(check_id: str, defaults: Mapping[str, Any] | None = None) -> Callable[[CheckFn], CheckFn]:
    """Register `fn` under `check_id`, with the metadata from the YAML file beside its module.
    `defaults`: parameters whose one home is elsewhere (a policy module), under those of the YAML."""

    def register(fn: CheckFn) -> CheckFn:
        module_file = getattr(sys.modules[fn.__module__], "__file__", None) or ""
        meta_path = str(Path(module_file).with_suffix(".yaml"))
        meta = _meta_from(check_id, _metadata_file(meta_path).get(check_id), meta_path)
        if defaults:
            own = {k: list(v) if isinstance(v, tuple) else deepcopy(v) for k, v in defaults.items()}  # as YAML gives
            meta = replace(meta, params={**own, **meta.params})
        if check_id in REGISTRY:
            raise MetadataError(f"check {check_id} registered twice")
        REGISTRY[check_id] = Check(meta, fn)
        return fn

    return register
