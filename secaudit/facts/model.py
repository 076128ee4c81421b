"""The snapshot: named tables of facts, the same on every OS (like osquery's tables).

Rows are plain JSON-serialisable dicts; the TypedDicts below document the columns.
A table or field that could not be read is listed in ``unknown`` with a reason code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypedDict

from secaudit.errors import SecauditError

SCHEMA = "secaudit.facts/v1"
Mode = Literal["local", "root", "ssh", "replay"]

# Tables holding one object rather than a list of rows.
SINGLE_TABLES = frozenset({"host", "password_policy", "remote_login", "firewall", "system", "hardware", "pam"})


class Unknown(TypedDict):
    code: str  # permission_denied | not_found | not_applicable | command_failed | timeout | error
    detail: str


class UserRow(TypedDict, total=False):
    name: str
    id: str
    uid: int
    gid: int
    home: str
    shell: str
    enabled: bool
    interactive: bool
    system: bool
    password_state: str  # set | empty | locked | none | unknown
    password_last_change: str | None
    password_max_days: int | None
    password_inactive_days: int | None
    account_expires: str | None
    last_login: str | None
    last_login_source: str | None
    admin: bool
    admin_via: list[str]
    groups: list[str]
    source: str


class GroupRow(TypedDict, total=False):
    name: str
    id: str
    members: list[str]
    admin: bool
    source: str


class SudoRuleRow(TypedDict, total=False):
    principal: str  # user, %group, or #uid as written, aliases expanded
    principal_kind: str  # user | group | uid | netgroup
    hosts: list[str]
    runas: str
    commands: list[str]
    nopasswd: bool
    all_commands: bool
    source: str  # file:line


class FileModeRow(TypedDict, total=False):
    path: str
    mode: str  # octal string, e.g. "0640"
    owner: str
    group: str
    uid: int
    gid: int


class PortRow(TypedDict, total=False):
    proto: str  # tcp | udp
    address: str
    port: int
    pid: int | None
    process: str | None
    user: str | None
    family: str  # ipv4 | ipv6


class AntivirusRow(TypedDict, total=False):
    product: str
    vendor: str
    installed: bool
    running: bool | None
    realtime: bool | None
    signature_time: str | None
    signature_source: str | None
    last_scan_time: str | None
    managed: bool | None
    updater_running: bool | None
    source: str


class SoftwareRow(TypedDict, total=False):
    name: str
    version: str
    publisher: str
    source: str


class InterfaceRow(TypedDict, total=False):
    name: str
    mac: str | None
    ipv4: list[str]
    ipv6: list[str]
    up: bool


def _empty_unknown() -> dict[str, Unknown]:
    return {}


@dataclass
class Snapshot:
    collected_at: str
    mode: str
    tables: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, Unknown] = field(default_factory=_empty_unknown)
    schema: str = SCHEMA
    tool_version: str = ""
    duration_ms: int = 0

    def table(self, name: str) -> Any:
        default: Any = {} if name in SINGLE_TABLES else []
        return self.tables.get(name, default)

    def why_unknown(self, key: str) -> Unknown | None:
        """Reason for `table` or `table.field` being unknown; a table reason covers its fields."""
        if key in self.unknown:
            return self.unknown[key]
        table = key.split(".", 1)[0]
        return self.unknown.get(table)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "collected_at": self.collected_at,
            "mode": self.mode,
            "tool_version": self.tool_version,
            "duration_ms": self.duration_ms,
            **{name: self.tables[name] for name in sorted(self.tables)},
            "unknown": dict(sorted(self.unknown.items())),
        }

    @classmethod
    def from_dict(cls, data: Any, origin: str = "snapshot") -> Snapshot:
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            raise SecauditError(
                f"{origin} không phải ảnh chụp dữ kiện {SCHEMA}.",
                f"{origin} is not a {SCHEMA} facts snapshot.",
            )
        meta = {"schema", "collected_at", "mode", "tool_version", "duration_ms", "unknown"}
        unknown = data.get("unknown") or {}
        if not isinstance(unknown, dict):
            raise SecauditError(f"{origin}: trường unknown sai kiểu.", f"{origin}: field 'unknown' is malformed.")
        return cls(
            collected_at=str(data.get("collected_at", "")),
            mode=str(data.get("mode", "replay")),
            tables={k: v for k, v in data.items() if k not in meta},
            unknown=unknown,
            tool_version=str(data.get("tool_version", "")),
            duration_ms=int(data.get("duration_ms", 0) or 0),
        )

    @classmethod
    def load(cls, path: str | Path) -> Snapshot:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise SecauditError(
                f"Không đọc được tệp {path}: {exc.strerror}.", f"Cannot read {path}: {exc.strerror}."
            ) from exc
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise SecauditError(
                f"{path} không phải JSON hợp lệ ({exc}).", f"{path} is not valid JSON ({exc})."
            ) from exc
        return cls.from_dict(data, str(path))
