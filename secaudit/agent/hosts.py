"""Hosts for an agentless audit: `--host user@host[:port]` and an inventory file of hosts.

Inventory, plain text (one host a line, `#` starts a comment)::

    audit@10.0.0.5
    audit@may-chu-thu-vien:2222  key=~/.ssh/audit_ed25519  sudo=yes  role=server
    audit@[fd00::5]:22  name=phong-may-1  role=lab

Inventory, TOML (a file ending in .toml)::

    [defaults]            # optional: applies to every host
    user = "audit"
    sudo = true

    [[host]]
    address = "10.0.0.5"  # or target = "audit@10.0.0.5:22"
    port = 22
    key = "~/.ssh/audit_ed25519"
    name = "may-chu-1"
    role = "server"

Errors name the file and line. Passwords are never accepted: authentication is by key or ssh-agent.
"""

from __future__ import annotations

import getpass
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secaudit.config import ROLES
from secaudit.errors import ConfigError

DEFAULT_PORT = 22
_USER = re.compile(r"^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$")
_LABEL = r"[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")
_TRUE = ("yes", "true", "1", "on")
_FALSE = ("no", "false", "0", "off")
_TEXT_KEYS = ("key", "sudo", "name", "role")
_TOML_KEYS = ("address", "target", "user", "port", "key", "sudo", "name", "role")


@dataclass(frozen=True)
class HostSpec:
    user: str
    host: str  # a name or an IP address (IPv6 without brackets)
    port: int = DEFAULT_PORT
    key: str | None = None  # private key file for this host (else --identity, ssh-agent, ~/.ssh keys)
    sudo: bool | None = None  # None: as --sudo says
    name: str | None = None  # label for outputs and the summary
    role: str | None = None  # server | workstation | lab; None: from the config
    source: str = "--host"  # where it was given: --host or file:line

    @property
    def address(self) -> str:
        """The host's name in known_hosts: `host`, or `[host]:port` on another port than 22."""
        return self.host if self.port == DEFAULT_PORT else f"[{self.host}]:{self.port}"

    @property
    def target(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.user}@{host}" + ("" if self.port == DEFAULT_PORT else f":{self.port}")

    @property
    def label(self) -> str:
        """A file-name-safe label: the name, else host and port."""
        from secaudit.fsutil import safe_name

        base = self.name or (self.host if self.port == DEFAULT_PORT else f"{self.host}_{self.port}")
        return safe_name(base, "host")


class HostsError(ConfigError):
    pass


def _err(where: str, vi: str, en: str) -> HostsError:
    return HostsError(f"{where}: {vi}.", f"{where}: {en}.")


def _port(where: str, value: Any) -> int:
    try:
        port = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError):
        port = -1
    if not 1 <= port <= 65535:
        raise _err(where, f"cổng '{value}' không hợp lệ (1–65535)", f"port '{value}' is not valid (1-65535)")
    return port


def _check_host(where: str, host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not _HOSTNAME.match(host):
        raise _err(where, f"tên máy '{host}' không hợp lệ", f"host name '{host}' is not valid")
    return host.rstrip(".").lower()


def _check_user(where: str, user: str) -> str:
    if not _USER.match(user) or len(user) > 64:
        raise _err(where, f"tên người dùng '{user}' không hợp lệ", f"user name '{user}' is not valid")
    return user


def parse_target(text: str, where: str = "--host", default_user: str | None = None) -> HostSpec:
    """`user@host`, `user@host:port`, `user@[v6addr]:port`, `user@v6addr`; the user defaults to the
    local one, like ssh."""
    raw = text.strip()
    if not raw:
        raise _err(where, "thiếu địa chỉ máy", "the host is missing")
    if ":" in raw.split("@", 1)[0] and "@" in raw:
        raise _err(where, f"'{raw}' chứa mật khẩu hoặc ký tự lạ trước '@'; mật khẩu không được hỗ trợ, hãy dùng khóa "
                          "SSH hoặc ssh-agent",
                   f"'{raw}' has a password or a stray ':' before '@'; passwords are not supported, use an SSH key "
                   "or ssh-agent")
    user, at, rest = raw.rpartition("@")
    if not at:
        user, rest = default_user or getpass.getuser(), raw
    user = _check_user(where, user)
    port = DEFAULT_PORT
    if rest.startswith("["):
        host, bracket, tail = rest[1:].partition("]")
        if not bracket or (tail and not tail.startswith(":")):
            raise _err(where, f"'{raw}' không đúng dạng người-dùng@[địa-chỉ-IPv6]:cổng",
                       f"'{raw}' is not of the form user@[IPv6-address]:port")
        if tail:
            port = _port(where, tail[1:])
    elif rest.count(":") == 1:
        host, _, port_text = rest.partition(":")
        port = _port(where, port_text)
    else:
        host = rest  # a name, an IPv4 address or a bare IPv6 address
    if not host:
        raise _err(where, f"'{raw}' thiếu tên máy", f"'{raw}' has no host")
    return HostSpec(user=user, host=_check_host(where, host), port=port, source=where)


def _bool(where: str, key: str, value: str) -> bool:
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise _err(where, f"{key}='{value}' phải là yes hoặc no", f"{key}='{value}' must be yes or no")


def _role(where: str, value: str) -> str:
    if value not in ROLES or value == "auto":
        raise _err(where, f"role='{value}' phải là server, workstation hoặc lab",
                   f"role='{value}' must be server, workstation or lab")
    return value


def _key_path(value: str, base: Path) -> str:
    path = Path(os.path.expanduser(value))
    return str(path if path.is_absolute() else base / path)


def _text_line(line: str, where: str, base: Path) -> HostSpec | None:
    fields = line.split("#", 1)[0].split()
    if not fields:
        return None
    spec = parse_target(fields[0], where)
    extra: dict[str, Any] = {}
    for item in fields[1:]:
        key, eq, value = item.partition("=")
        if not eq or key not in _TEXT_KEYS:
            raise _err(where, f"tùy chọn '{item}' không được hỗ trợ (chỉ có key=, sudo=, name=, role=)",
                       f"option '{item}' is not supported (only key=, sudo=, name=, role=)")
        if key in extra:
            raise _err(where, f"tùy chọn {key}= bị lặp lại", f"option {key}= is repeated")
        if not value:
            raise _err(where, f"{key}= thiếu giá trị", f"{key}= has no value")
        if key == "key":
            extra["key"] = _key_path(value, base)
        elif key == "sudo":
            extra["sudo"] = _bool(where, key, value)
        elif key == "role":
            extra["role"] = _role(where, value)
        else:
            extra["name"] = value
    return HostSpec(**{**spec.__dict__, **extra})


def _toml_lines(text: str) -> list[int]:
    """Line numbers of the [[host]] headers, so that errors can name them."""
    return [i for i, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*host\s*\]\]", line)]


def _toml_port(where: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _err(where, f"cổng '{value}' phải là số nguyên (1–65535)", f"port '{value}' must be an integer (1-65535)")
    return _port(where, value)


def _toml_str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _err(where, f"{key} phải là chuỗi không rỗng", f"{key} must be a non-empty string")
    return value


def _toml_host(entry: Any, defaults: dict[str, Any], where: str, base: Path) -> HostSpec:
    if not isinstance(entry, dict):
        raise _err(where, "[[host]] phải là một bảng", "[[host]] must be a table")
    for key in entry:
        if key == "password":
            raise _err(where, "mật khẩu không được hỗ trợ, hãy dùng khóa SSH hoặc ssh-agent",
                       "passwords are not supported, use an SSH key or ssh-agent")
        if key not in _TOML_KEYS:
            raise _err(where, f"khóa '{key}' không được hỗ trợ", f"key '{key}' is not supported")
    merged = {**defaults, **entry}
    if "target" in entry and "address" in entry:
        raise _err(where, "chỉ dùng một trong target hoặc address", "use either target or address, not both")
    if "target" in merged and "address" not in entry:
        spec = parse_target(_toml_str(where, "target", merged["target"]), where,
                            default_user=merged.get("user"))
        if "port" in entry:
            spec = HostSpec(**{**spec.__dict__, "port": _toml_port(where, entry["port"])})
    elif "address" in merged:
        host = _toml_str(where, "address", merged["address"]).strip("[]")
        user = _check_user(where, _toml_str(where, "user", merged["user"])) if "user" in merged \
            else getpass.getuser()
        port = _toml_port(where, merged.get("port", DEFAULT_PORT))
        spec = HostSpec(user=user, host=_check_host(where, host), port=port, source=where)
    else:
        raise _err(where, "thiếu address (hoặc target)", "address (or target) is missing")
    extra: dict[str, Any] = {}
    if "key" in merged:
        extra["key"] = _key_path(_toml_str(where, "key", merged["key"]), base)
    if "sudo" in merged:
        if not isinstance(merged["sudo"], bool):
            raise _err(where, "sudo phải là true hoặc false", "sudo must be true or false")
        extra["sudo"] = merged["sudo"]
    if "name" in entry:
        extra["name"] = _toml_str(where, "name", entry["name"])
    if "role" in merged:
        extra["role"] = _role(where, _toml_str(where, "role", merged["role"]))
    return HostSpec(**{**spec.__dict__, **extra})


def _parse_toml(text: str, path: str, base: Path) -> list[HostSpec]:
    from secaudit import inputs, limits

    try:
        data = tomllib.loads(text)
        deep = inputs.too_deep(data)
    except tomllib.TOMLDecodeError as exc:
        raise HostsError(f"{path}: không phải TOML hợp lệ: {exc}.", f"{path}: not valid TOML: {exc}.") from None
    except ValueError:  # int() refuses a number of more than 4300 digits
        raise _err(path, "không phải TOML hợp lệ: có số quá dài", "not valid TOML: a number is too long") from None
    except RecursionError:
        deep = True
    if deep:
        raise _err(path, f"lồng nhau quá sâu (hơn {limits.NESTING} cấp)",
                   f"nested too deeply (more than {limits.NESTING} levels)")
    for key in data:
        if key not in ("defaults", "host"):
            raise _err(path, f"khóa '{key}' không được hỗ trợ (chỉ có [defaults] và [[host]])",
                       f"key '{key}' is not supported (only [defaults] and [[host]])")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise _err(path, "[defaults] phải là một bảng", "[defaults] must be a table")
    for key in defaults:
        if key not in ("user", "port", "key", "sudo", "role"):
            raise _err(f"{path} [defaults]", f"khóa '{key}' không được hỗ trợ", f"key '{key}' is not supported")
    hosts = data.get("host", [])
    if not isinstance(hosts, list):
        raise _err(path, "host phải là mảng [[host]]", "host must be an array of [[host]] tables")
    lines = _toml_lines(text)
    specs = []
    for i, entry in enumerate(hosts):
        where = f"{path}:{lines[i]}" if i < len(lines) else f"{path} host[{i}]"
        specs.append(_toml_host(entry, defaults, where, base))
    return specs


def load_hosts(path: str) -> list[HostSpec]:
    """Hosts from an inventory file (TOML when it ends in .toml, else text lines)."""
    from secaudit import inputs, limits

    try:
        text = inputs.read_text(path, limits.CONFIG_FILE, "hosts", HostsError)
    except FileNotFoundError:
        raise HostsError(f"Không tìm thấy tệp danh sách máy {path}.", f"Hosts file {path} does not exist.") from None
    base = Path(path).resolve().parent
    if path.endswith(".toml"):
        specs = _parse_toml(text, path, base)
    else:
        specs = [s for n, line in enumerate(text.splitlines(), 1)
                 if (s := _text_line(line, f"{path}:{n}", base)) is not None]
    if not specs:
        raise HostsError(f"Tệp danh sách máy {path} không có máy nào.", f"Hosts file {path} lists no host.")
    return specs


def gather(targets: tuple[str, ...] | list[str], hosts_file: str | None) -> list[HostSpec]:
    """--host values then the inventory file's hosts; the same user@host:port twice is an error."""
    specs = [parse_target(t, f"--host {t}") for t in targets]
    if hosts_file:
        specs += load_hosts(hosts_file)
    seen: dict[tuple[str, str, int], HostSpec] = {}
    labels: dict[str, HostSpec] = {}
    out = []
    for spec in specs:
        ident = (spec.user, spec.host, spec.port)
        if ident in seen:
            raise _err(spec.source, f"{spec.target} đã có ở {seen[ident].source}",
                       f"{spec.target} is already listed at {seen[ident].source}")
        seen[ident] = spec
        label = spec.label
        if label in labels:  # the same host with two users: keep output names apart
            spec = HostSpec(**{**spec.__dict__, "name": f"{spec.user}_{label}"})
            if spec.label in labels:
                raise _err(spec.source, f"tên {label} trùng với {labels[label].source}",
                           f"name {label} is the same as at {labels[label].source}")
        labels[spec.label] = spec
        out.append(spec)
    return out
