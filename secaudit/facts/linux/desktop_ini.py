"""INI-style configuration files of the desktop programs, read the way each program's own parser reads them.

- GLib key files (GKeyFile: GDM, LightDM, LXDM, dconf keyfiles, gschema overrides): `#` comment lines (leading
  whitespace allowed), `[group]`, `key=value` with the spaces around `=` ignored, no inline comments; a later
  duplicate key or group adds to / replaces the earlier one. A line that is none of these, or a key before
  the first group, makes GKeyFile refuse the whole file: the program then reads nothing from it.
- SDDM's ConfigReader and KDE's KConfig are lenient: a line they cannot read is skipped. KConfig also knows
  `[$i]` immutability markers: on a group (`[Daemon][$i]`), on a key (`Timeout[$i]=5`) or, before any group,
  on the whole file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable

MAX_LINES = 20_000  # a configuration file this long is not a configuration file
_KDE_GROUP = re.compile(r"^\[([^\]]*)\]((?:\[[^\]]*\])*)\s*$")
_KDE_KEY = re.compile(r"^([^=\[]+?)\s*((?:\[[^\]]*\])*)\s*=(.*)$")


@dataclass(frozen=True)
class Entry:
    value: str
    source: str  # file:line
    immutable: bool = False  # KConfig [$i] (on the key, its group or the file)


@dataclass
class IniFile:
    path: str
    groups: dict[str, dict[str, Entry]] = field(default_factory=dict)  # group -> key -> last entry
    invalid: list[str] = field(default_factory=list)  # "file:line: problem"
    rejected: bool = False  # GKeyFile refused the file: the program reads nothing from it
    immutable_groups: set[str] = field(default_factory=set)  # KConfig groups (or the whole file) marked [$i]

    def get(self, group: str, key: str) -> Entry | None:
        return self.groups.get(group, {}).get(key)


def parse_keyfile(text: str, path: str) -> IniFile:
    """A GLib key file. On a line GKeyFile rejects, the result is empty and `rejected` (as the program sees it)."""
    out = IniFile(path)
    group: str | None = None
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        if line.startswith("["):
            if not line.endswith("]") or len(line) < 3:
                return _rejected(out, f"{where}: malformed group line")
            group = line[1:-1]
            out.groups.setdefault(group, {})
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            return _rejected(out, f"{where}: not a key=value pair, group or comment")
        if group is None:
            return _rejected(out, f"{where}: key before the first [group]")
        out.groups[group][key.strip()] = Entry(value.strip(), where)
    return out


def _rejected(out: IniFile, problem: str) -> IniFile:
    return IniFile(out.path, {}, [problem], True)


def parse_lenient(text: str, path: str) -> IniFile:
    """SDDM's reader: `[Section]`, `Key=Value` trimmed, `#` comments; anything else skipped (recorded as invalid)."""
    out = IniFile(path)
    group = ""
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip()
            out.groups.setdefault(group, {})
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            out.invalid.append(f"{path}:{number}: ignored line")
            continue
        out.groups.setdefault(group, {})[key.strip()] = Entry(value.strip(), f"{path}:{number}")
    return out


def parse_kconfig(text: str, path: str) -> IniFile:
    """A KConfig file: later keys replace earlier ones unless an earlier entry, its group or the file is
    immutable ([$i]); an immutable entry cannot be changed by later lines or by the user's own file."""
    out = IniFile(path)
    group = "<default>"
    file_locked = group_locked = False
    for number, raw in enumerate(text.splitlines()[:MAX_LINES], 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{number}"
        if line.startswith("["):
            if line == "[$i]" and group == "<default>" and not out.groups:
                file_locked = True
                continue
            m = _KDE_GROUP.match(line)
            if m is None:
                out.invalid.append(f"{where}: malformed group line")
                continue
            group = m.group(1)
            group_locked = "[$i]" in m.group(2)
            out.groups.setdefault(group, {})
            if group_locked or file_locked:
                out.immutable_groups.add(group)
            continue
        m = _KDE_KEY.match(line)
        if m is None:
            out.invalid.append(f"{where}: ignored line")
            continue
        key, flags, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if "[$" not in flags and flags:
            continue  # a localised entry (Name[vi]=...), not the value itself
        entries = out.groups.setdefault(group, {})
        previous = entries.get(key)
        if previous is not None and previous.immutable:
            continue
        entries[key] = Entry(value, where, file_locked or group_locked or "$i" in flags)
    return out


def merge(files: list[IniFile]) -> dict[str, dict[str, Entry]]:
    """Files read in order, a later value winning (LightDM, SDDM): group -> key -> entry, in first-seen group
    order. Rejected files add nothing."""
    merged: dict[str, dict[str, Entry]] = {}
    for f in files:
        for group, entries in f.groups.items():
            merged.setdefault(group, {}).update(entries)
    return merged


def glib_bool(value: str) -> bool | None:
    """GKeyFile / GDM booleans: exactly true, 1, false or 0 (case matters); None: not a boolean."""
    return {"true": True, "1": True, "false": False, "0": False}.get(value)


def kde_bool(value: str) -> bool | None:
    """KConfig booleans: true/on/yes/1 or false/off/no/0, any case."""
    low = value.strip().lower()
    if low in ("true", "on", "yes", "1"):
        return True
    if low in ("false", "off", "no", "0"):
        return False
    return None


def c_int(value: str) -> int | None:
    """An integer as strtol reads the whole string (GDM, LightDM): None when anything else is there."""
    try:
        return int(value.strip(), 10)
    except ValueError:
        return None


def read_checked(ctx: FactContext, path: str, unknown_key: str) -> tuple[str | None, str | None]:
    """(text, None), (None, None) when the file is absent, or (None, "path: unreadable (why)") when it is there
    but cannot be read (recorded under `unknown_key`): what it says is then not known."""
    try:
        return ctx.transport.read_text(path), None
    except FactUnavailable as exc:
        if exc.code == "not_found":
            return None, None
        ctx.unknown_from(unknown_key, exc)
        return None, f"{path}: unreadable ({exc.code})"
