"""The agent's TOML configuration. Every value has a default, so no file is needed."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from secaudit import paths
from secaudit.errors import ConfigError

ROLES = ("auto", "server", "workstation", "lab")
BACKUP_KINDS = ("files", "restic", "borg")
BACKUP_VERIFY = ("auto", "hash", "full")
UNIT_EXTRA = ("parent", "place", "symbol", "signer_title", "signer_name")


Problem = tuple[str, str, str]  # field (relative to the check), vi, en


@dataclass(frozen=True)
class CheckCatalog:
    """What parameter overrides are checked against ([params."check.id"] here, `params:` in a playbook):
    every check id with its declared default parameters, and the function that says what is wrong with
    one check's overrides. secaudit.pipeline builds it from the checks, so that config and playbooks
    never import them."""

    defaults: Mapping[str, dict[str, Any]]
    problem: Callable[[str, Any, dict[str, Any]], Problem | None]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self.defaults

    def __iter__(self) -> Iterator[str]:
        return iter(self.defaults)

    def overrides_problem(self, check_id: str, values: Any) -> Problem | None:
        return self.problem(check_id, values, self.defaults[check_id])


def default_config_path() -> Path:
    """%ProgramData%\\secaudit\\secaudit.toml on Windows, /etc/secaudit/secaudit.toml elsewhere (secaudit.paths)."""
    return paths.config_path()


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
    # Verification options (secaudit backup verify).
    manifest: str | None = None  # glob of checksum manifests; default: SHA256SUMS, *.b3 ... beside the copies
    verify: str = "auto"  # auto: decode each archive once, then hash only when a manifest covers it
    drill_files: int = 20  # files restored and compared with `source` per restore drill
    offsite_max_age: str | None = None  # default: max_age
    offsite_known_hosts: str | None = None  # sftp://: host keys (besides ~/.ssh/known_hosts)
    offsite_key_file: str | None = None  # sftp://: private key (else the SSH agent and ~/.ssh keys)


@dataclass
class AgentConfig:
    unit_code: str = ""
    unit_name: str = ""
    # For the official report: parent body, place of the date line, document symbol, signer.
    unit_extra: dict[str, str] = field(default_factory=dict)
    role: str = "auto"
    playbook: str = "dong-nai-2026"
    collector_url: str = ""  # [collector] url (the older top-level `collector_url` is read too)
    collector_ca_file: str = ""  # [collector] ca_file: PEM of the CA that signed the collector's certificate
    collector_proxy: str = ""  # [collector] proxy: http://host:port of the school's web proxy, if it must be used
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


def parse_config(data: dict[str, Any], path: str, checks: Callable[[], CheckCatalog] | None = None) -> AgentConfig:
    """`checks` gives the catalog [params.*] are validated against (only called when there are some);
    without it their values are kept unchecked (secaudit.pipeline.load_config always passes it)."""
    cfg = AgentConfig(source=path)
    known = {"unit", "backup", "params", "collector", *_LIST_KEYS, *_STR_KEYS}
    for key in data:
        if key not in known:
            raise _fail(path, key, "khóa không được hỗ trợ", "unknown key")
    unit = _expect(path, "unit", data.get("unit", {}), dict, "một bảng [unit]", "a [unit] table")
    for key in unit:
        if key not in ("code", "name", *UNIT_EXTRA):
            raise _fail(path, f"unit.{key}", "khóa không được hỗ trợ", "unknown key")
    cfg.unit_code = str(_expect(path, "unit.code", unit.get("code", ""), str, "chuỗi", "a string"))
    cfg.unit_name = str(_expect(path, "unit.name", unit.get("name", ""), str, "chuỗi", "a string"))
    for key in UNIT_EXTRA:
        if key in unit:
            cfg.unit_extra[key] = str(_expect(path, f"unit.{key}", unit[key], str, "chuỗi", "a string"))
    for key in _STR_KEYS:
        if key in data:
            setattr(cfg, key, _expect(path, key, data[key], str, "chuỗi", "a string"))
    _collector(path, data, cfg)
    if cfg.role not in ROLES:
        raise _fail(path, "role", f"phải là một trong {', '.join(ROLES)}", f"must be one of {', '.join(ROLES)}")
    for key in _LIST_KEYS:
        if key in data:
            setattr(cfg, key, _str_list(path, key, data[key]))
    cfg.params = _params(path, _expect(path, "params", data.get("params", {}), dict, "một bảng", "a table"), checks)
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
        _check_backup(path, where, entry)
        if entry["name"] in {b.name for b in cfg.backups}:
            raise _fail(path, f"{where}.name", "trùng tên với một bộ sao lưu khác", "duplicates another set's name")
        cfg.backups.append(BackupSet(**entry))
    return cfg


def _collector(path: str, data: dict[str, Any], cfg: AgentConfig) -> None:
    """[collector] url, ca_file, proxy. The URLs are checked where they are used (secaudit.agent), with
    their reasons."""
    table = _expect(path, "collector", data.get("collector", {}), dict, "một bảng [collector]", "a [collector] table")
    for key in table:
        if key not in ("url", "ca_file", "proxy"):
            raise _fail(path, f"collector.{key}", "khóa không được hỗ trợ", "unknown key")
    if "url" in table:
        if "collector_url" in data:
            raise _fail(path, "collector.url", "trùng với khóa collector_url; chỉ giữ một",
                        "duplicates the key collector_url; keep one")
        cfg.collector_url = _expect(path, "collector.url", table["url"], str, "chuỗi", "a string")
    if "ca_file" in table:
        cfg.collector_ca_file = _expect(path, "collector.ca_file", table["ca_file"], str, "chuỗi", "a string")
    if "proxy" in table:
        cfg.collector_proxy = _expect(path, "collector.proxy", table["proxy"], str, "chuỗi", "a string")


def _params(path: str, params: dict[str, Any],
            checks: Callable[[], CheckCatalog] | None) -> dict[str, dict[str, Any]]:
    """[params."check.id"] tables: known checks, declared parameters, values shaped like the defaults."""
    if not params or checks is None:
        return params
    catalog = checks()
    for check_id, values in params.items():
        where = f"params.{check_id}"
        if check_id not in catalog:
            if any(cid.startswith(f"{check_id}.") for cid in catalog):  # [params.accounts.inactive]
                raise _fail(path, where, f'không có kiểm tra này; hãy đặt mã kiểm tra trong ngoặc kép, ví dụ '
                                         f'[params."{check_id}.…"]',
                            f'no such check; put the check id in quotes, e.g. [params."{check_id}.…"]')
            raise _fail(path, where, "không có kiểm tra này", "no such check")
        problem = catalog.overrides_problem(check_id, values)
        if problem is not None:
            field, vi, en = problem
            raise _fail(path, f"{where}.{field}" if field else where, vi, en)
    return params


_BACKUP_STR_KEYS = ("kind", "path", "max_age", "source", "password_file", "offsite", "manifest", "verify",
                    "offsite_max_age", "offsite_known_hosts", "offsite_key_file")


def _check_backup(path: str, where: str, entry: dict[str, Any]) -> None:
    from secaudit.units import parse_duration

    for key in _BACKUP_STR_KEYS:
        if key in entry:
            _expect(path, f"{where}.{key}", entry[key], str, "chuỗi", "a string")
    if entry.get("kind", "files") not in BACKUP_KINDS:
        raise _fail(path, f"{where}.kind", "phải là files, restic hoặc borg", "must be files, restic or borg")
    if not entry.get("path", "").strip():
        raise _fail(path, f"{where}.path", "bắt buộc: thư mục, mẫu tệp hoặc kho sao lưu",
                    "is required: a directory, a file pattern or a repository")
    for key in ("min_count", "drill_files"):
        if key in entry:
            _expect(path, f"{where}.{key}", entry[key], int, "số nguyên", "an integer")
            if entry[key] < 0:
                raise _fail(path, f"{where}.{key}", "không được âm", "must not be negative")
    if "personal_data" in entry:
        _expect(path, f"{where}.personal_data", entry["personal_data"], bool, "true hoặc false", "true or false")
    for key in ("max_age", "offsite_max_age"):
        if key in entry:
            try:
                if parse_duration(entry[key]) <= 0:
                    raise ValueError("zero")
            except ValueError:
                raise _fail(path, f"{where}.{key}", "phải là khoảng thời gian như 26h, 7d",
                            "must be a duration such as 26h or 7d") from None
    if entry.get("verify", "auto") not in BACKUP_VERIFY:
        raise _fail(path, f"{where}.verify", "phải là auto, hash hoặc full", "must be auto, hash or full")
    offsite = entry.get("offsite")
    if offsite is not None and not _valid_offsite(offsite):
        raise _fail(path, f"{where}.offsite", "phải là đường dẫn tuyệt đối hoặc sftp://người-dùng@máy/đường-dẫn",
                    "must be an absolute path or sftp://user@host/path")


def _valid_offsite(value: str) -> bool:
    if value.startswith("sftp://"):
        from urllib.parse import urlsplit

        try:
            url = urlsplit(value)
            _ = url.port
        except ValueError:
            return False
        return bool(url.hostname) and url.path.startswith("/") and len(url.path) > 1
    return value.startswith("/") or (len(value) > 2 and value[1] == ":")  # POSIX or Windows drive path


def load_config(path: str | None, checks: Callable[[], CheckCatalog] | None = None) -> AgentConfig:
    """Load `path`, or the default location if it exists, or pure defaults. `checks`: see parse_config
    (commands load the config through secaudit.pipeline.load_config, which passes it)."""
    from secaudit import inputs, limits

    explicit = path is not None
    target = Path(path) if path else default_config_path()
    try:
        raw = inputs.read_bytes(target, limits.CONFIG_FILE, "config", ConfigError,
                                passthrough=(FileNotFoundError, PermissionError))
    except FileNotFoundError:
        if explicit:
            raise ConfigError(
                f"Không tìm thấy tệp cấu hình {target}.", f"Config file {target} does not exist."
            ) from None
        return AgentConfig()
    except PermissionError as exc:
        if not explicit:
            return AgentConfig(source=f"{target} (unreadable, defaults used)")
        raise inputs.error(ConfigError, "input.unreadable", "config", target, error=exc.strerror) from None
    data = inputs.parse_toml(inputs.decode(raw, target, "config", ConfigError), target, "config", ConfigError)
    return parse_config(data, str(target), checks)
