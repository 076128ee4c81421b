"""When each installed desktop blanks and locks an idle screen, as every user starts out with it.

GSettings desktops (GNOME, Cinnamon, MATE): a key's value is the first system dconf database of the profile
(/etc/dconf/profile/user; none: only the user's own database, so schema defaults) that sets it, searched from
the lowest-priority database that locks it when one does (dconf-engine.c). A database is compiled by
`dconf update` from /etc/dconf/db/NAME.d/* (name order, a later file winning; one malformed keyfile or value
and the database is not compiled at all) and locks/* (lines starting with "/"). Keyfiles newer than the compiled
database are not in effect yet, and what the older database holds is not read here: the value is then null.
A value of another type than the schema's (`idle-delay=300` is an int32, the key a uint32) is dropped by
GSettings: the default applies. Defaults come from the installed schema XML, then the vendor overrides
/usr/share/glib-2.0/schemas/*.gschema.override (name order, later winning; [schema:DESKTOP] groups only for
sessions naming that desktop). Units: GNOME/Cinnamon seconds, MATE minutes.

KDE Plasma: /etc/xdg/kscreenlockerrc [Daemon] Autolock (default true), Timeout (minutes, default 5, at least 1),
Lock (default true; false: the screen saver starts but asks no password), LockGrace (seconds, default 5):
locked after Timeout + LockGrace. `[$i]` makes entries immutable for users (kscreenlockersettings.kcfg).

XFCE: xfce4-screensaver reads the xfconf channel xfce4-screensaver (system defaults in /etc/xdg/xfce4/xfconf/
xfce-perchannel-xml/xfce4-screensaver.xml; defaults in gs-prefs.h: idle after 5 min, lock at once). With
light-locker instead, the times come from the X screen saver and the power manager, not read: null.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux.desktop_ini import IniFile, c_int, kde_bool, parse_kconfig, parse_keyfile, read_checked
from secaudit.transport.base import FactUnavailable

PROFILES = ("/etc/dconf/profile/user", "/usr/local/share/dconf/profile/user", "/usr/share/dconf/profile/user")
DB_DIR = "/etc/dconf/db"
SCHEMA_DIR = "/usr/share/glib-2.0/schemas"
KDE_RC = "/etc/xdg/kscreenlockerrc"
XFCE_XML = "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml"
UNKNOWN_KEY = "desktop.screen_lock"
MAX_FILES = 200
_NUMBER = re.compile(r"^(?:(uint32|int32|uint64|int64|uint16|int16|byte|@[a-z])\s+)?([+-]?\d+)$")
_TYPES = {"uint32": "u", "int32": "i", "uint64": "t", "int64": "x", "uint16": "q", "int16": "n", "byte": "y"}


@dataclass(frozen=True)
class Key:
    schema: str
    name: str
    type: str  # GVariant type when the schema XML is not installed
    default: Any  # verified default when the schema XML is not installed (None: not established)
    scale: int = 1  # seconds per unit


# desktop -> role -> key. Roles: idle (blank after), lock (lock-enabled), delay (lock after blanking),
# activation (the screen saver starts when idle at all), disabled (lockdown: locking impossible).
GSETTINGS: dict[str, dict[str, Key]] = {
    "gnome": {"idle": Key("org.gnome.desktop.session", "idle-delay", "u", 300),
              "lock": Key("org.gnome.desktop.screensaver", "lock-enabled", "b", True),
              "delay": Key("org.gnome.desktop.screensaver", "lock-delay", "u", 0),
              "disabled": Key("org.gnome.desktop.lockdown", "disable-lock-screen", "b", False)},
    "cinnamon": {"idle": Key("org.cinnamon.desktop.session", "idle-delay", "u", None),
                 "lock": Key("org.cinnamon.desktop.screensaver", "lock-enabled", "b", None),
                 "delay": Key("org.cinnamon.desktop.screensaver", "lock-delay", "u", None)},
    "mate": {"idle": Key("org.mate.session", "idle-delay", "i", None, 60),
             "lock": Key("org.mate.screensaver", "lock-enabled", "b", None),
             "delay": Key("org.mate.screensaver", "lock-delay", "i", None, 60),
             "activation": Key("org.mate.screensaver", "idle-activation-enabled", "b", None)},
}


def gvariant(text: str) -> tuple[str, Any] | None:
    """(type, value) of the GVariant text forms used here: booleans and integers, typed or not."""
    t = text.strip()
    if t in ("true", "false"):
        return "b", t == "true"
    if t in ("@b true", "@b false"):
        return "b", t.endswith("true")
    m = _NUMBER.match(t)
    if m is None:
        return None
    prefix = m.group(1)
    kind = "i" if prefix is None else prefix[1:] if prefix.startswith("@") else _TYPES[prefix]
    value = int(m.group(2))
    if kind in "utqy" and value < 0:
        return None
    return kind, value


def dconf_key_path(key: Key) -> tuple[str, str]:
    """(keyfile group, lock line) of a key in the schema's path (org.gnome.desktop.session -> org/gnome/...)."""
    group = key.schema.replace(".", "/")
    return group, f"/{group}/{key.name}"


@dataclass
class Database:
    name: str
    values: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (group, key) -> (text, source)
    locks: dict[str, str] = field(default_factory=dict)  # lock path -> source
    state: str = "ok"  # ok | absent (never compiled: in effect nothing) | pending (not in effect as written)
    note: str = ""


def _mtime(ctx: FactContext, path: str) -> int | None:
    try:
        return ctx.transport.stat(path).mtime
    except FactUnavailable:
        return None


def _regular(ctx: FactContext, directory: str) -> list[str]:
    out = []
    for name in sorted(ctx.list_dir(directory))[:MAX_FILES]:
        if name.startswith("."):
            continue
        try:
            if ctx.transport.stat(f"{directory}/{name}").is_file:
                out.append(f"{directory}/{name}")
        except FactUnavailable:
            continue
    return out


def read_database(ctx: FactContext, name: str, files: list[str], invalid: list[str]) -> Database:
    db = Database(name)
    keyfile_dir = f"{DB_DIR}/{name}.d"
    newest = max(_mtime(ctx, keyfile_dir) or 0, _mtime(ctx, f"{keyfile_dir}/locks") or 0)
    broken = ""

    def readable(directory: str) -> Iterator[tuple[str, str]]:
        """(path, text) of the regular files of `directory` in name order; an unreadable one breaks the db."""
        nonlocal broken, newest
        for path in _regular(ctx, directory):
            text = ctx.read_text(path, UNKNOWN_KEY)
            if text is None:
                broken = broken or f"{path} unreadable"
                continue
            files.append(path)
            newest = max(newest, _mtime(ctx, path) or 0)
            yield path, text

    for path, text in readable(keyfile_dir):
        parsed = parse_keyfile(text, path)
        invalid.extend(parsed.invalid)
        broken = broken or (f"{path} is not a valid keyfile" if parsed.rejected else "")
        for group, entries in parsed.groups.items():
            if group.startswith("/") or group.endswith("/") or "//" in group:
                invalid.append(f"{path}: invalid group name [{group}]")
                broken = broken or f"{path}: invalid group name [{group}]"
            for key, entry in entries.items():
                if gvariant(entry.value) is None and not entry.value.startswith(("'", '"', "[", "@", "(")):
                    invalid.append(f"{entry.source}: not a GVariant value: {entry.value}")
                    broken = broken or f"{entry.source}: invalid value"
                db.values[(group, key)] = (entry.value, entry.source)  # name order: a later file wins
    for path, text in readable(f"{keyfile_dir}/locks"):
        for number, line in enumerate(text.split("\n"), 1):
            if line.startswith("/"):
                db.locks.setdefault(line, f"{path}:{number}")
    compiled = _mtime(ctx, f"{DB_DIR}/{name}")
    written = bool(db.values or db.locks)
    if compiled is None:
        db.state = "absent"
        if written:
            db.note = f"{keyfile_dir}: never compiled (run \"dconf update\"): not in effect"
    elif broken:
        db.state = "pending"
        db.note = f"{keyfile_dir}: \"dconf update\" cannot compile it ({broken}): an older database is in effect"
    elif written and newest > compiled:
        db.state = "pending"
        db.note = f"{keyfile_dir}: changed after {DB_DIR}/{name} was compiled (\"dconf update\" not run)"
    return db


@dataclass
class Profile:
    path: str | None
    databases: list[Database]
    writable: bool  # the first database is the user's: users can change what is not locked
    pending: list[str]


def read_profile(ctx: FactContext, files: list[str], invalid: list[str]) -> Profile:
    path, text = ctx.read_first(PROFILES, UNKNOWN_KEY)
    if text is None:
        return Profile(None, [], True, [])
    files.append(str(path))
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    dbs = [read_database(ctx, ln.split(":", 1)[1].strip(), files, invalid) for ln in lines
           if ln.startswith("system-db:")]
    writable = bool(lines) and lines[0].startswith(("user-db:", "service-db:"))
    return Profile(path, dbs, writable, [d.note for d in dbs if d.note])


@dataclass
class SchemaDefaults:
    """Default values from schema XML and vendor overrides: (schema, key) -> (type, value, source)."""

    keys: dict[tuple[str, str], tuple[str, Any, str]]
    overrides: list[tuple[str, str, str, str, str]]  # (schema, desktop or "", key, text, source), in order


def _schema_xml(ctx: FactContext, schema: str) -> tuple[str, str | None]:
    path = f"{SCHEMA_DIR}/{schema}.gschema.xml"
    return path, ctx.read_text(path, UNKNOWN_KEY, cap=1 << 20)


def read_schemas(ctx: FactContext, schemas: set[str], invalid: list[str]) -> SchemaDefaults:
    keys: dict[tuple[str, str], tuple[str, Any, str]] = {}
    for schema in sorted(schemas):
        path, text = _schema_xml(ctx, schema)
        if text is None:
            continue
        try:
            root = xmltext.parse(text)
        except xmltext.ParseError as exc:
            invalid.append(f"{path}: {exc}")
            continue
        for element in root.iter("schema"):
            if element.get("id") != schema:
                continue
            for key in element.iter("key"):
                default = key.findtext("default")
                parsed = gvariant(default) if default is not None else None
                if key.get("name") and parsed is not None:
                    keys[(schema, str(key.get("name")))] = (str(key.get("type")), parsed[1], f"default ({path})")
    overrides: list[tuple[str, str, str, str, str]] = []
    for name in sorted(ctx.list_dir(SCHEMA_DIR))[:MAX_FILES]:
        if not name.endswith(".gschema.override"):
            continue
        path = f"{SCHEMA_DIR}/{name}"
        text = ctx.read_text(path, UNKNOWN_KEY)
        if text is None:
            continue
        parsed_file: IniFile = parse_keyfile(text, path)
        invalid.extend(parsed_file.invalid)
        for group, entries in parsed_file.groups.items():
            schema, _, desktop = group.partition(":")
            if schema in schemas:
                overrides.extend((schema, desktop, k, e.value, e.source) for k, e in entries.items())
    return SchemaDefaults(keys, overrides)


def default_of(key: Key, schemas: SchemaDefaults, desktops: list[str]) -> tuple[str, Any, str]:
    """(type, value, source) users get when no database sets the key."""
    kind, value, source = schemas.keys.get((key.schema, key.name),
                                           (key.type, key.default, "default" if key.default is not None else ""))
    chosen: tuple[int, Any, str] | None = None  # (rank: 0 generic, n+1 desktop-specific earlier wins)
    for schema, desktop, name, text, where in schemas.overrides:
        if schema != key.schema or name != key.name:
            continue
        parsed = gvariant(text)
        untyped_number = parsed is not None and parsed[0] == "i" and kind in "uixtnqy" \
            and not text.strip()[:1].isalpha()
        if parsed is None or (parsed[0] != kind and not untyped_number):
            continue  # parsed as the key's type by glib-compile-schemas, which refuses what does not fit
        if desktop and desktop not in desktops:
            continue
        rank = len(desktops) - desktops.index(desktop) if desktop else 0
        if chosen is None or rank >= chosen[0]:
            chosen = (rank, parsed[1], f"override {where}")
    if chosen is not None:
        return kind, chosen[1], chosen[2]
    return kind, value, source


def lookup(key: Key, profile: Profile, schemas: SchemaDefaults, desktops: list[str]) -> dict[str, Any]:
    """{value, source, locked, pending} of one key as a new user gets it."""
    kind, default, default_source = default_of(key, schemas, desktops)
    group, lock_path = dconf_key_path(key)
    live = [d for d in profile.databases if d.state != "absent"]
    if any(d.state == "pending" for d in live):
        return {"value": None, "source": "; ".join(d.note for d in live if d.state == "pending"),
                "locked": None}
    lock_at = max((i for i, d in enumerate(live) if lock_path in d.locks), default=None)
    locked = lock_at is not None or (profile.path is not None and not profile.writable)
    for db in live[lock_at or 0:]:
        found = db.values.get((group, key.name))
        if found is None:
            continue
        parsed = gvariant(found[0])
        lock_note = f", lock {live[lock_at].locks[lock_path]}" if lock_at is not None else ""
        if parsed is None or parsed[0] != kind:
            return {"value": default, "locked": locked,
                    "source": f"{found[1]} ignored: not of type {kind}; {default_source or 'default'}{lock_note}"}
        return {"value": parsed[1], "source": found[1] + lock_note, "locked": locked}
    return {"value": default, "source": default_source or "default not established", "locked": locked}


def gsettings_lock(desktop: str, profile: Profile, schemas: SchemaDefaults, desktops: list[str]) -> dict[str, Any]:
    keys = GSETTINGS[desktop]
    got = {role: lookup(key, profile, schemas, desktops) for role, key in keys.items()}
    idle, lock, delay = got["idle"]["value"], got["lock"]["value"], got["delay"]["value"]
    idle_s = None if idle is None else idle * keys["idle"].scale
    delay_s = None if delay is None else delay * keys["delay"].scale
    enabled: bool | None = lock
    for role in ("activation",):
        if role in got and got[role]["value"] is False:
            enabled = False
    if "disabled" in got and got["disabled"]["value"] is True:
        enabled = False
    effective, determined = _effective(idle_s, enabled, delay_s)
    sources = {f"{keys[r].schema} {keys[r].name}": got[r]["source"] for r in got}
    locks = [got[r]["locked"] for r in ("idle", "lock", "delay")]
    return {"idle_seconds": idle_s, "lock_enabled": enabled, "lock_delay_seconds": delay_s,
            "lock_after_seconds": effective, "determined": determined,
            "locked_down": None if None in locks else all(locks), "source": sources}


def _effective(idle: int | None, enabled: bool | None, delay: int | None) -> tuple[int | None, bool]:
    """(seconds of inactivity until locked or None: never, whether that could be determined)."""
    if enabled is False or idle == 0:
        return None, True
    if idle is None or enabled is None or delay is None:
        return None, False
    return idle + delay, True


UNDETERMINED: dict[str, Any] = {"idle_seconds": None, "lock_enabled": None, "lock_delay_seconds": None,
                                "lock_after_seconds": None, "determined": False, "locked_down": None, "source": {}}


def kde_lock(ctx: FactContext, files: list[str], invalid: list[str]) -> dict[str, Any]:
    text, problem = read_checked(ctx, KDE_RC, UNKNOWN_KEY)
    if problem is not None:
        invalid.append(problem)
        return {**UNDETERMINED, "source": {"kscreenlockerrc": problem}}
    conf = parse_kconfig(text, KDE_RC) if text is not None else IniFile(KDE_RC)
    if text is not None:
        files.append(KDE_RC)
        invalid.extend(conf.invalid)
    daemon = conf.groups.get("Daemon", {})
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    locked: list[bool] = []
    for name, default, read in (("Autolock", True, kde_bool), ("Timeout", 5, c_int), ("Lock", True, kde_bool),
                                ("LockGrace", 5, c_int)):
        entry = daemon.get(name)
        value = read(entry.value) if entry is not None else None
        values[name] = default if value is None else value
        sources[f"Daemon {name}"] = entry.source if entry is not None and value is not None else "default"
        locked.append(bool(entry is not None and entry.immutable) or "Daemon" in conf.immutable_groups)
    timeout = max(1, int(values["Timeout"]))  # the settings' minimum
    grace = min(300, max(0, int(values["LockGrace"])))
    enabled = bool(values["Autolock"]) and bool(values["Lock"])
    effective, determined = _effective(timeout * 60, enabled, grace)
    return {"idle_seconds": timeout * 60 if values["Autolock"] else 0, "lock_enabled": enabled,
            "lock_delay_seconds": grace, "lock_after_seconds": effective, "determined": determined,
            "locked_down": all(locked[:2]), "source": sources}


def _xfconf_properties(root: ET.Element) -> dict[str, tuple[str, bool]]:
    """'/saver/enabled' -> (value, locked) of an xfconf channel file."""
    out: dict[str, tuple[str, bool]] = {}

    def walk(element: ET.Element, prefix: str) -> None:
        for prop in element.findall("property"):
            path = f"{prefix}/{prop.get('name', '')}"
            if prop.get("value") is not None:
                out[path] = (str(prop.get("value")), "*" in (prop.get("locked") or ""))
            walk(prop, path)

    walk(root, "")
    return out


def xfce_lock(ctx: FactContext, locker: str | None, files: list[str], invalid: list[str]) -> dict[str, Any]:
    if locker != "xfce4-screensaver":
        if locker is None:
            return {**UNDETERMINED, "lock_enabled": False, "determined": True,
                    "source": {"locker": "no screen locker installed (xfce4-screensaver, light-locker, xscreensaver)"}}
        return {**UNDETERMINED, "source": {"locker": f"{locker}: its times come from settings not read here"}}
    props: dict[str, tuple[str, bool]] = {}
    text, problem = read_checked(ctx, XFCE_XML, UNKNOWN_KEY)
    if problem is not None:
        invalid.append(problem)
        return {**UNDETERMINED, "source": {"xfconf": problem}}
    if text is not None:
        files.append(XFCE_XML)
        try:
            props = _xfconf_properties(xmltext.parse(text))
        except xmltext.ParseError as exc:
            invalid.append(f"{XFCE_XML}: {exc}")
    sources: dict[str, str] = {}

    def get(path: str, default: Any, read: Any) -> Any:
        found = props.get(path)
        value = read(found[0]) if found else None
        sources[path] = XFCE_XML if value is not None else "default (xfce4-screensaver)"
        return default if value is None else value

    saver = get("/saver/enabled", True, kde_bool) and get("/saver/idle-activation/enabled", True, kde_bool)
    idle = max(1, int(get("/saver/idle-activation/delay", 5, c_int))) * 60
    lock = get("/lock/enabled", True, kde_bool) and get("/lock/saver-activation/enabled", True, kde_bool)
    delay = max(0, int(get("/lock/saver-activation/delay", 0, c_int))) * 60
    enabled = bool(saver and lock)
    effective, determined = _effective(idle, enabled, delay)
    locked = [props.get(p, ("", False))[1] for p in ("/saver/idle-activation/delay", "/lock/enabled")]
    return {"idle_seconds": idle if saver else 0, "lock_enabled": enabled, "lock_delay_seconds": delay,
            "lock_after_seconds": effective, "determined": determined, "locked_down": all(locked),
            "source": sources}
