"""The agent's TOML configuration. Every value has a default, so no file is needed."""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from secaudit.errors import ConfigError

ROLES = ("auto", "server", "workstation", "lab")
BACKUP_KINDS = ("files", "restic", "borg")


def default_config_path() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "secaudit" / "secaudit.toml"
    return Path("/etc/secaudit/secaudit.toml")


@dataclass
class BackupSet:
    name: str
    kind: str = "files"
    path: str = ""
    max_age: str = "26h"
    min_count: int = 7
    source: str | None = None
    password_file: str | None = None
    offsite: str | None = None
    personal_data: bool = True


@dataclass
class AgentConfig:
    unit_code: str = ""
    unit_name: str = ""
    role: str = "auto"
    playbook: str = "dong-nai-2026"
    collector_url: str = ""
    approved_admins: list[str] = field(default_factory=list)
    approved_shared_accounts: list[str] = field(default_factory=list)
    approved_antivirus: list[str] = field(default_factory=list)
    allowed_ports: list[str] = field(default_factory=list)
    known_devices: str = ""
    subnets: list[str] = field(default_factory=list)
    state_dir: str = ""
    backups: list[BackupSet] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "(defaults)"


def _fail(path: str, key: str, vi: str, en: str) -> ConfigError:
    return ConfigError(f"Cấu hình {path}, khóa '{key}': {vi}.", f"Config {path}, key '{key}': {en}.")


def _expect(path: str, key: str, value: Any, kind: type | tuple[type, ...], what_vi: str, what_en: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _fail(path, key, f"phải là {what_vi}", f"must be {what_en}")
    return value


def _str_list(path: str, key: str, value: Any) -> list[str]:
    _expect(path, key, value, list, "danh sách chuỗi", "a list of strings")
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise _fail(path, key, "phải là danh sách chuỗi", "must be a list of strings")
    return [str(v) for v in value]


_LIST_KEYS = ("approved_admins", "approved_shared_accounts", "approved_antivirus", "allowed_ports", "subnets")
_STR_KEYS = ("role", "playbook", "collector_url", "known_devices", "state_dir")


def parse_config(data: dict[str, Any], path: str) -> AgentConfig:
    cfg = AgentConfig(source=path)
    known = {"unit", "backup", "params", *_LIST_KEYS, *_STR_KEYS}
    for key in data:
        if key not in known:
            raise _fail(path, key, "khóa không được hỗ trợ", "unknown key")
    unit = _expect(path, "unit", data.get("unit", {}), dict, "một bảng [unit]", "a [unit] table")
    for key in unit:
        if key not in ("code", "name"):
            raise _fail(path, f"unit.{key}", "khóa không được hỗ trợ", "unknown key")
    cfg.unit_code = str(_expect(path, "unit.code", unit.get("code", ""), str, "chuỗi", "a string"))
    cfg.unit_name = str(_expect(path, "unit.name", unit.get("name", ""), str, "chuỗi", "a string"))
    for key in _STR_KEYS:
        if key in data:
            setattr(cfg, key, _expect(path, key, data[key], str, "chuỗi", "a string"))
    if cfg.role not in ROLES:
        raise _fail(path, "role", f"phải là một trong {', '.join(ROLES)}", f"must be one of {', '.join(ROLES)}")
    for key in _LIST_KEYS:
        if key in data:
            setattr(cfg, key, _str_list(path, key, data[key]))
    params = _expect(path, "params", data.get("params", {}), dict, "một bảng", "a table")
    for check_id, values in params.items():
        _expect(path, f"params.{check_id}", values, dict, "một bảng", "a table")
    cfg.params = params
    backups = _expect(path, "backup", data.get("backup", []), list, "mảng [[backup]]", "an array of [[backup]]")
    names = {f.name for f in fields(BackupSet)}
    for i, entry in enumerate(backups):
        where = f"backup[{i}]"
        _expect(path, where, entry, dict, "một bảng", "a table")
        for key in entry:
            if key not in names:
                raise _fail(path, f"{where}.{key}", "khóa không được hỗ trợ", "unknown key")
        if not isinstance(entry.get("name"), str) or not entry["name"]:
            raise _fail(path, f"{where}.name", "bắt buộc, là chuỗi", "is required and must be a string")
        if entry.get("kind", "files") not in BACKUP_KINDS:
            raise _fail(path, f"{where}.kind", "phải là files, restic hoặc borg", "must be files, restic or borg")
        if "min_count" in entry:
            _expect(path, f"{where}.min_count", entry["min_count"], int, "số nguyên", "an integer")
        cfg.backups.append(BackupSet(**entry))
    return cfg


def load_config(path: str | None) -> AgentConfig:
    """Load `path`, or the default location if it exists, or pure defaults."""
    explicit = path is not None
    target = Path(path) if path else default_config_path()
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                f"Không tìm thấy tệp cấu hình {target}.", f"Config file {target} does not exist."
            ) from None
        return AgentConfig()
    except OSError as exc:
        if not explicit and isinstance(exc, PermissionError):
            return AgentConfig(source=f"{target} (unreadable, defaults used)")
        raise ConfigError(
            f"Không đọc được tệp cấu hình {target}: {exc.strerror}.",
            f"Cannot read config file {target}: {exc.strerror}.",
        ) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"Tệp cấu hình {target} không phải TOML hợp lệ: {exc}.", f"Config file {target} is not valid TOML: {exc}."
        ) from exc
    return parse_config(data, str(target))
