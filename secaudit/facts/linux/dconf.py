"""GSettings values as a new user gets them: dconf's system databases, schema defaults and vendor overrides; and
as one user gets them, with their own database (~/.config/dconf/user, read by gvdb.py) first.

Read the way dconf and GLib do (dconf's bin/dconf-update.vala and engine/dconf-engine.c, glib-compile-schemas):

- The profile `user` is the first of /etc/dconf/profile/user, /usr/local/share/dconf/profile/user,
  /usr/share/dconf/profile/user; without one, only the user's own database is read (system keyfiles do
  nothing). Its lines list the databases in lookup order (`user-db:user` first, then `system-db:NAME`); when
  the first is not a user database, users cannot change anything.
- `dconf update` compiles /etc/dconf/db/NAME from the regular files of NAME.d/ (a later name winning) and the
  lines of NAME.d/locks/* that start with "/". A file GKeyFile refuses, a group name starting or ending with
  "/" or holding "//", a key name holding "/" or a value that is not GVariant text stops the compilation: the
  older database stays in effect. A lock names one key: dconf looks locks up by the exact key, so a
  directory line ("/org/gnome/desktop/media-handling/") locks nothing (dconf-engine.c: "It is not currently
  possible to lock dirs").
- A key locked in a system database is read from that database or the ones after it; the lowest-priority
  database that locks it decides where the search starts (dconf_engine_read).
- Keyfiles (or their directories) newer than the compiled database are not in effect until `dconf update`
  runs, and the older database is not read here: the value is then undetermined (None), never a pass. Keyfiles
  of a database never compiled do nothing.
- A value of another type than the schema's (`idle-delay=300` is an int32, the key a uint32) is dropped by
  GSettings: the default applies. Defaults come from the installed schema XML, then the vendor overrides
  /usr/share/glib-2.0/schemas/*.gschema.override (name order, later winning; [schema:DESKTOP] groups only for
  sessions naming that desktop).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux.desktop_ini import parse_keyfile

PROFILES = ("/etc/dconf/profile/user", "/usr/local/share/dconf/profile/user", "/usr/share/dconf/profile/user")
DB_DIR = "/etc/dconf/db"
SCHEMA_DIR = "/usr/share/glib-2.0/schemas"
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
    path: str = ""  # the schema's dconf path when it is not its id with "/" for "." (MATE: org/mate/desktop/...)


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


def key_path(key: Key, schemas: SchemaDefaults | None = None) -> tuple[str, str]:
    """(keyfile group, lock line) of a key: the installed schema's path, else the known one, else its id with
    "/" for "." (org.gnome.desktop.session -> org/gnome/desktop/session)."""
    group = (schemas.paths.get(key.schema) if schemas else None) or key.path or key.schema.replace(".", "/")
    return group, f"/{group}/{key.name}"


@dataclass(frozen=True)
class Own:
    """A user's own database (~/.config/dconf/user, gvdb.read_gvdb): key path -> (type, value)."""
    path: str
    values: dict[str, tuple[str, Any]]


OWN_DB = ".config/dconf/user"  # a person's own database, under their home
OWN_CAP = 4 * 1024 * 1024


def read_own(ctx: FactContext, home: str, unknown_key: str) -> tuple[Own | None, str | None]:
    """A person's own database: (it, None); (None, None) when they have none; (None, why) when it is there
    but unreadable (noted under `unknown_key`) or not a dconf database."""
    from secaudit.facts.linux.gvdb import GvdbError, read_gvdb
    from secaudit.transport.base import FactUnavailable

    path = f"{home}/{OWN_DB}"
    try:
        data = ctx.transport.read_bytes(path, cap=OWN_CAP)
    except FactUnavailable as exc:
        if exc.code == "not_found":
            return None, None
        ctx.unknown_from(unknown_key, exc)
        return None, f"{path}: unreadable ({exc.code})"
    try:
        return Own(path, read_gvdb(data)), None
    except GvdbError as damaged:
        return None, f"{path}: not a dconf database ({damaged})"


@dataclass
class Database:
    name: str
    values: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)  # (group, key) -> (text, source)
    locks: dict[str, str] = field(default_factory=dict)  # locked key -> source
    state: str = "ok"  # ok | absent (never compiled: in effect nothing) | pending (not in effect as written)
    note: str = ""


def _mtime(ctx: FactContext, path: str) -> int | None:
    st = ctx.stat(path)
    return st.mtime if st is not None else None


def _regular(ctx: FactContext, directory: str) -> list[str]:
    out = []
    for name in sorted(ctx.list_dir(directory))[:MAX_FILES]:
        if name.startswith("."):
            continue
        st = ctx.stat(f"{directory}/{name}")
        if st is not None and st.is_file:
            out.append(f"{directory}/{name}")
    return out


def _bad_value(text: str) -> bool:
    """GVariant text dconf update would refuse (only the forms read here are checked exactly)."""
    return gvariant(text) is None and not text.startswith(("'", '"', "[", "@", "(", "<", "{"))


def read_database(ctx: FactContext, name: str, files: list[str], invalid: list[str], unknown_key: str
                  ) -> Database:
    db = Database(name)
    keyfile_dir = f"{DB_DIR}/{name}.d"
    newest = max(_mtime(ctx, keyfile_dir) or 0, _mtime(ctx, f"{keyfile_dir}/locks") or 0)
    broken = ""

    def readable(directory: str) -> Iterator[tuple[str, str]]:
        """(path, text) of the regular files of `directory` in name order; an unreadable one breaks the db."""
        nonlocal broken, newest
        for path in _regular(ctx, directory):
            text = ctx.read_text(path, unknown_key)
            if text is None:
                broken = broken or f"{path} unreadable"
                continue
            files.append(path)
            newest = max(newest, _mtime(ctx, path) or 0)
            yield path, text

    def refuse(problem: str) -> None:
        nonlocal broken
        invalid.append(problem)
        broken = broken or problem

    for path, text in readable(keyfile_dir):
        parsed = parse_keyfile(text, path)
        invalid.extend(parsed.invalid)
        broken = broken or (f"{path} is not a valid keyfile" if parsed.rejected else "")
        for group, entries in parsed.groups.items():
            if group.startswith("/") or group.endswith("/") or "//" in group:
                refuse(f"{path}: invalid group name [{group}]")
            for key, entry in entries.items():
                if "/" in key:
                    refuse(f"{entry.source}: invalid key name {key}")
                elif _bad_value(entry.value):
                    refuse(f"{entry.source}: not a GVariant value: {entry.value}")
                db.values[(group, key)] = (entry.value, entry.source)  # name order: a later file wins
    for path, text in readable(f"{keyfile_dir}/locks"):
        for number, line in enumerate(text.split("\n"), 1):
            if not line.startswith("/"):
                continue
            if line.endswith("/"):
                invalid.append(f"{path}:{number}: {line} is a directory: dconf locks keys only, this locks nothing")
                continue
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


def read_profile(ctx: FactContext, files: list[str], invalid: list[str], unknown_key: str) -> Profile:
    path, text = ctx.read_first(PROFILES, unknown_key)
    if text is None:
        return Profile(None, [], True, [])
    files.append(str(path))
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln]
    dbs = [read_database(ctx, ln.split(":", 1)[1].strip(), files, invalid, unknown_key) for ln in lines
           if ln.startswith("system-db:")]
    writable = bool(lines) and lines[0].startswith(("user-db:", "service-db:"))
    return Profile(path, dbs, writable, [d.note for d in dbs if d.note])


@dataclass
class SchemaDefaults:
    """Default values from schema XML and vendor overrides: (schema, key) -> (type, value, source)."""

    keys: dict[tuple[str, str], tuple[str, Any, str]]
    overrides: list[tuple[str, str, str, str, str]]  # (schema, desktop or "", key, text, source), in order
    paths: dict[str, str] = field(default_factory=dict)  # schema -> its dconf path ("org/mate/desktop/session")


def schema_file(schema: str) -> str:
    return f"{SCHEMA_DIR}/{schema}.gschema.xml"


def read_schemas(ctx: FactContext, schemas: set[str], invalid: list[str], unknown_key: str) -> SchemaDefaults:
    keys: dict[tuple[str, str], tuple[str, Any, str]] = {}
    paths: dict[str, str] = {}
    for schema in sorted(schemas):
        path = schema_file(schema)
        text = ctx.read_text(path, unknown_key, cap=1 << 20)
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
            if (element.get("path") or "").strip("/"):
                paths[schema] = str(element.get("path")).strip("/")
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
        text = ctx.read_text(path, unknown_key)
        if text is None:
            continue
        parsed_file = parse_keyfile(text, path)
        invalid.extend(parsed_file.invalid)
        for group, entries in parsed_file.groups.items():
            schema, _, desktop = group.partition(":")
            if schema in schemas:
                overrides.extend((schema, desktop, k, e.value, e.source) for k, e in entries.items())
    return SchemaDefaults(keys, overrides, paths)


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


def lookup(key: Key, profile: Profile, schemas: SchemaDefaults, desktops: list[str],
           own: Own | None = None) -> dict[str, Any]:
    """{value, source, locked, set} of one key as a new user gets it, or with `own` as that user gets it (their
    own database is read first unless a system database locks the key or the profile has none). `set`: a
    system database gives the value; value and locked are None when a database is not in effect as written
    (pending)."""
    kind, default, default_source = default_of(key, schemas, desktops)
    group, lock_path = key_path(key, schemas)
    live = [d for d in profile.databases if d.state != "absent"]
    if any(d.state == "pending" for d in live):
        return {"value": None, "source": "; ".join(d.note for d in live if d.state == "pending"),
                "locked": None, "set": False}
    lock_at = max((i for i, d in enumerate(live) if lock_path in d.locks), default=None)
    locked = lock_at is not None or (profile.path is not None and not profile.writable)
    mine = own.values.get(lock_path) if own is not None and not locked else None
    if mine is not None and mine[0] == kind and mine[1] is not None:  # another type: GSettings ignores it
        return {"value": mine[1], "source": f"{own.path if own else ''} {lock_path}", "locked": False, "set": True}
    for db in live[lock_at or 0:]:
        found = db.values.get((group, key.name))
        if found is None:
            continue
        parsed = gvariant(found[0])
        lock_note = f", lock {live[lock_at].locks[lock_path]}" if lock_at is not None else ""
        if parsed is None or parsed[0] != kind:
            return {"value": default, "locked": locked, "set": False,
                    "source": f"{found[1]} ignored: not of type {kind}; {default_source or 'default'}{lock_note}"}
        return {"value": parsed[1], "source": found[1] + lock_note, "locked": locked, "set": True}
    source = default_source or "default not established"
    if lock_at is not None:
        source += f", lock {live[lock_at].locks[lock_path]}"
    return {"value": default, "source": source, "locked": locked, "set": False}
