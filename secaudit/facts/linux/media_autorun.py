"""AutoRun of inserted media on Linux, per installed desktop, as the system settings give every user and as each
person's own settings change it.

Desktops installed: the sessions of /usr/share/xsessions and wayland-sessions (desktop.py's read_sessions), plus
a desktop whose media settings are installed without a session (a GSettings schema, thunar-volman).

- GNOME (Nautilus, GNOME Shell) org.gnome.desktop.media-handling, Cinnamon (Nemo, cinnamon-settings-daemon)
  org.cinnamon.desktop.media-handling and MATE (Caja) org.mate.media-handling (dconf path
  /org/mate/desktop/media-handling/): `autorun-never` (default false: the desktop offers to run autorun
  programs and opens applications for the media's content) and `automount` (default true), read through
  dconf.py. Autorun is off for every user when autorun-never is true and locked.
- Xfce: Thunar hands inserted media to thunar-volman, which reads the xfconf channel thunar-volman (every user's
  defaults: /etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml). It runs autorun, .autorun,
  autorun.sh (and autorun.exe through wine) after asking when /autorun/enabled, opens .autoopen files when
  /autoopen/enabled, starts players or importers when /autoplay-audio-cds, /autoplay-video-cds, /autophoto,
  /autoipod are enabled; every one is false when unset (xfconf_channel_get_bool(..., FALSE) in
  tvm-block-device.c). locked="*" keeps users from changing a property. Without thunar-volman, Thunar runs
  nothing from inserted media.
- KDE Plasma has no autorun: the device notifier only offers actions. Its automounter
  (/etc/xdg/kded_device_automounterrc [General] AutomountEnabled, AutomountOnLogin, AutomountOnPlugin; [$i]
  immutable) only mounts; its defaults changed between releases (KDE 4's kcfg: on), so an unset value leaves
  automount undetermined.
- Other desktops (LXDE, LXQt, Budgie, ...): how they handle inserted media is not examined: undetermined.

Each person's own settings (accounts from UID_MIN with a login shell, desktop.people) are read with the system's
as each desktop does: their dconf database ~/.config/dconf/user (dconf.lookup: a system lock, or a profile without
the user's database, keeps the system's value), their thunar-volman channel under ~/.config/xfce4/xfconf (a
property the system locked stays the system's), KDE's ~/.config/kded_device_automounterrc and kded5rc / kded6rc
([Module-device_automounter] autoload=false: kded never loads the automounter; [$i] in the system's file keeps
it). A person's file there but unreadable or damaged leaves that person undetermined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux import dconf
from secaudit.facts.linux.dconf import Key, Profile, SchemaDefaults, lookup, read_profile, read_schemas, schema_file
from secaudit.facts.linux.desktop import SESSION_DIRS, people, present, read_sessions
from secaudit.facts.linux.desktop_dm import conf_files
from secaudit.facts.linux.desktop_ini import Entry, IniFile, kde_bool, parse_kconfig, read_checked
from secaudit.facts.linux.desktop_lock import xfconf_properties
from secaudit.facts.linux.sources.dpkg import installed
from secaudit.transport.base import FactUnavailable

UNKNOWN_KEY = "removable_media.autorun"
# desktop -> (autorun-never, automount) of its media-handling schema; defaults as the schemas ship them
def _keys(schema: str, path: str = "") -> tuple[Key, Key, Key]:
    return (Key(schema, "autorun-never", "b", False, path=path), Key(schema, "automount", "b", True, path=path),
            Key(schema, "automount-open", "b", True, path=path))


# desktop -> (autorun-never, automount, automount-open) of its media-handling schema
GSETTINGS: dict[str, tuple[Key, Key, Key]] = {
    "gnome": _keys("org.gnome.desktop.media-handling"),
    "cinnamon": _keys("org.cinnamon.desktop.media-handling"),
    "mate": _keys("org.mate.media-handling", "org/mate/desktop/media-handling"),
}
VOLMAN = ("thunar-volman", "/usr/bin/thunar-volman")
VOLMAN_XML = "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"
VOLMAN_RUNS = ("/autorun/enabled", "/autoopen/enabled", "/autoplay-audio-cds/enabled",
               "/autoplay-video-cds/enabled", "/autophoto/enabled", "/autoipod/enabled")
VOLMAN_MOUNTS = ("/automount-drives/enabled", "/automount-media/enabled")
KDE_RC = "/etc/xdg/kded_device_automounterrc"
KDE_OWN = "kded_device_automounterrc"
KDED_RCS = ("kded5rc", "kded6rc")  # Plasma 5, Plasma 6: which kded modules load
KDED_GROUP = "Module-device_automounter"
OWN_VOLMAN = ".config/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"
NOT_EXAMINED = "how it handles inserted media is not examined"


def _exists(ctx: FactContext, path: str) -> bool:
    try:
        return ctx.transport.exists(path)
    except FactUnavailable:
        return False


def _entry(desktop: str, autorun_off: bool | None, locked: bool | None, setting: str, source: str, *,
           automount: bool | None = None, pending: list[str] | None = None,
           invalid: list[str] | None = None) -> dict[str, Any]:
    disabled = None if autorun_off is None or (autorun_off and locked is None) else bool(autorun_off and locked)
    return {"desktop": desktop, "disabled": disabled, "autorun_off": autorun_off, "locked": locked,
            "setting": setting, "source": source, "automount": automount, "automount_open": None,
            "pending": pending or [], "invalid": invalid or []}


def installed_desktops(ctx: FactContext, packages: dict[str, str] | None) -> dict[str, list[str]]:
    """desktop -> the DesktopNames its sessions give (for [schema:DESKTOP] vendor overrides)."""
    found: dict[str, list[str]] = {}
    sessions = read_sessions(ctx, [], UNKNOWN_KEY)
    if not sessions and not any(conf_files(ctx, d, ".desktop") for d in SESSION_DIRS):
        # no graphical session to log in to (desktop.idle_lock finds none either): the media schemas other
        # packages pull in on a server (a browser, gvfs) open nothing
        return found
    for session in sessions:
        names = found.setdefault(session["desktop"], [])
        names.extend(n for n in session["desktop_names"] if n not in names)
    for desktop, (never, _, _) in GSETTINGS.items():
        if _exists(ctx, schema_file(never.schema)):
            found.setdefault(desktop, [])
    if present(ctx, packages, *VOLMAN):
        found.setdefault("xfce", [])
    return found


def gsettings_autorun(desktop: str, profile: Profile, schemas: SchemaDefaults, names: list[str],
                      invalid: list[str], own: dconf.Own | None = None) -> dict[str, Any]:
    """The desktop's media handling as a new user gets it, or with `own` as that person gets it (their database
    read first, except for keys a system database locks)."""
    never_key, mount_key, open_key = GSETTINGS[desktop]
    got = lookup(never_key, profile, schemas, names, own)
    mount = lookup(mount_key, profile, schemas, names, own)
    opens = lookup(open_key, profile, schemas, names, own)
    pending = list(profile.pending)
    if profile.path is None:
        pending.append("/etc/dconf/profile/user absent: only each user's own database is read")
    value = got["value"]
    setting = f"{never_key.schema} {never_key.name} {'-' if value is None else str(value).lower()}"
    source = "; ".join([got["source"], *pending])
    return {**_entry(desktop, value, got["locked"], setting, source, automount=mount["value"], pending=pending,
                     invalid=invalid), "automount_open": opens["value"], "set": got["set"]}


def _volman_props(text: str | None, path: str, invalid: list[str]) -> dict[str, tuple[str, bool]]:
    if text is None:
        return {}
    try:
        return xfconf_properties(xmltext.parse(text))
    except xmltext.ParseError as exc:
        invalid.append(f"{path}: {exc}")  # xfconfd cannot load it: what it would set is not set
        return {}


def xfce_autorun(ctx: FactContext, packages: dict[str, str] | None, own: tuple[str, str] | None = None
                 ) -> dict[str, Any]:
    """thunar-volman's channel as every user gets it, or with `own` ((path, text) of a person's channel) as that
    person gets it: their properties over the system's, except those the system locked."""
    if not present(ctx, packages, *VOLMAN):
        return _entry("xfce", True, True, "thunar-volman not installed",
                      "thunar-volman not installed: Thunar runs and opens nothing from inserted media")
    text, problem = read_checked(ctx, VOLMAN_XML, UNKNOWN_KEY)
    if problem is not None:
        return _entry("xfce", None, None, "thunar-volman", problem, invalid=[problem])
    invalid: list[str] = []
    props = _volman_props(text, VOLMAN_XML, invalid)
    origin = dict.fromkeys(props, VOLMAN_XML)
    if own is not None:
        for name, (value, _) in _volman_props(own[1], own[0], invalid).items():
            if not props.get(name, ("", False))[1]:  # a property the system locked stays the system's
                props[name], origin[name] = (value, False), own[0]
    values: dict[str, bool | None] = {}
    for path in VOLMAN_RUNS + VOLMAN_MOUNTS:
        raw = props.get(path)
        values[path] = False if raw is None else {"true": True, "false": False}.get(raw[0].strip().lower())
        if values[path] is None:
            invalid.append(f"{origin.get(path, VOLMAN_XML)}: {path}: not a boolean: {raw[0] if raw else ''}")
    runs = [values[p] for p in VOLMAN_RUNS]
    autorun_off = False if True in runs else None if None in runs else True
    locked = all(props.get(p, ("", False))[1] for p in VOLMAN_RUNS)
    on = [p.split("/")[1] for p in VOLMAN_RUNS if values[p]]
    setting = "thunar-volman " + (", ".join(on) + " on" if on else "autorun, autoopen, autoplay off")
    by_file: dict[str, list[str]] = {}
    for p in VOLMAN_RUNS:
        if p in props:
            by_file.setdefault(origin[p], []).append(p)
    source = "; ".join(f"{f} ({', '.join(ps)})" for f, ps in by_file.items()) or \
        "default (thunar-volman: off when unset)"
    mounts = [values[p] for p in VOLMAN_MOUNTS]
    return _entry("xfce", autorun_off, locked, setting, source, automount=None if None in mounts else any(mounts),
                  invalid=invalid)


def _kconfig(text: str | None, path: str, invalid: list[str], group: str,
             own: tuple[str, str] | None) -> dict[str, Entry]:
    """A KConfig group of the system's file with a person's own file over it, except what the system made
    immutable ([$i])."""
    conf = parse_kconfig(text, path) if text is not None else IniFile(path)
    invalid.extend(conf.invalid)
    found = dict(conf.groups.get(group, {}))
    if own is not None and group not in conf.immutable_groups:
        mine = parse_kconfig(own[1], own[0])
        invalid.extend(mine.invalid)
        for key, theirs in mine.groups.get(group, {}).items():
            if key not in found or not found[key].immutable:
                found[key] = theirs
    return found


def kde_autorun(ctx: FactContext, own: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """KDE Plasma's automounter as every user gets it, or with a person's own files (`own`: name -> (path, text) of
    kded_device_automounterrc and kded5rc / kded6rc under ~/.config) over the system's."""
    own = own or {}
    invalid: list[str] = []
    text, problem = read_checked(ctx, KDE_RC, UNKNOWN_KEY)
    if problem:
        invalid.append(problem)
    general = _kconfig(text, KDE_RC, invalid, "General", own.get(KDE_OWN))
    module: dict[str, Entry] = {}
    for name in KDED_RCS:
        text, problem = read_checked(ctx, f"/etc/xdg/{name}", UNKNOWN_KEY)
        if problem:
            invalid.append(problem)
        module.update(_kconfig(text, f"/etc/xdg/{name}", invalid, KDED_GROUP, own.get(name)))
    values: dict[str, bool | None] = {}
    sources: list[str] = []
    for name, entry in general.items():
        if name in ("AutomountEnabled", "AutomountOnLogin", "AutomountOnPlugin"):
            values[name] = kde_bool(entry.value)
            sources.append(f"{name}={entry.value} ({entry.source})")
    enabled, login, plug = (values.get(n) for n in ("AutomountEnabled", "AutomountOnLogin", "AutomountOnPlugin"))
    automount = False if enabled is False or (login is False and plug is False) else \
        True if enabled and (login or plug) else None
    load = module.get("autoload")
    if load is not None and kde_bool(load.value) is False:
        automount = False  # kded never loads the automounter
        sources.append(f"{KDED_GROUP} autoload={load.value} ({load.source})")
    setting = "KDE Plasma has no autorun (the device notifier only offers actions)"
    source = "automounter: " + ("; ".join(sources) or f"{KDE_RC}: AutomountEnabled, AutomountOnLogin, "
                                                    "AutomountOnPlugin not set (defaults differ between releases)")
    return _entry("kde", True, True, setting, source, automount=automount, invalid=invalid)


@dataclass
class OwnFiles:
    """A person's own media-handling files: their dconf database, thunar-volman channel, KDE files (name ->
    (path, text)), and those there but unreadable or damaged (desktop kind -> problem)."""
    dconf: dconf.Own | None = None
    volman: tuple[str, str] | None = None
    kde: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def own_files(ctx: FactContext, home: str) -> OwnFiles:
    out = OwnFiles()
    out.dconf, problem = dconf.read_own(ctx, home, UNKNOWN_KEY)
    if problem is not None:
        out.problems["dconf"] = problem
    text, problem = read_checked(ctx, f"{home}/{OWN_VOLMAN}", UNKNOWN_KEY)
    if problem is not None:
        out.problems["xfce"] = problem
    elif text is not None:
        out.volman = (f"{home}/{OWN_VOLMAN}", text)
    for name in (KDE_OWN, *KDED_RCS):
        text, problem = read_checked(ctx, f"{home}/.config/{name}", UNKNOWN_KEY)
        if problem is not None:
            out.problems["kde"] = problem
        elif text is not None:
            out.kde[name] = (f"{home}/.config/{name}", text)
    return out


def _own_entry(ctx: FactContext, desktop: str, own: OwnFiles, profile: Profile, schemas: SchemaDefaults,
               names: list[str], packages: dict[str, str] | None) -> dict[str, Any] | None:
    """A person's media handling on one desktop where they have files of their own for it, else None."""
    kind = "dconf" if desktop in GSETTINGS else desktop
    invalid: list[str] = []
    if kind in own.problems:  # what their file says is not known: it matters unless the system locked autorun off
        problem = own.problems[kind]
        system = gsettings_autorun(desktop, profile, schemas, names, invalid) if desktop in GSETTINGS else \
            xfce_autorun(ctx, packages) if desktop == "xfce" else kde_autorun(ctx) if desktop == "kde" else None
        if system is None:
            return None
        base = {**system, "pending": [], "automount": None, "automount_open": None,
                "source": f"{system['source']}; {problem}", "invalid": [*system["invalid"], problem]}
        if not system["disabled"]:
            base.update(disabled=None, autorun_off=None, setting="-")
        return {**base, "file": problem.split(":", 1)[0]}
    if desktop in GSETTINGS and own.dconf is not None:
        entry = gsettings_autorun(desktop, profile, schemas, names, invalid, own.dconf)
        return {**entry, "pending": [], "file": own.dconf.path}
    if desktop == "xfce" and own.volman is not None and present(ctx, packages, *VOLMAN):
        return {**xfce_autorun(ctx, packages, own.volman), "file": own.volman[0]}
    if desktop == "kde" and own.kde:
        return {**kde_autorun(ctx, own.kde), "file": ", ".join(p for p, _ in own.kde.values())}
    return None


def people_autorun(ctx: FactContext, entries: list[dict[str, Any]], desktops: dict[str, list[str]],
                   profile: Profile, schemas: SchemaDefaults, packages: dict[str, str] | None) -> None:
    """Adds to each desktop's entry `users` (each person with their own files for it, read with the system's as
    the desktop does) and `default_applies` (someone gets the system's: without files of their own, or the
    people could not be read, or there are none)."""
    accounts = people(ctx)
    owns = [(name, own_files(ctx, home)) for name, home in accounts or []]
    for entry in entries:
        users = []
        for name, own in owns:
            mine = _own_entry(ctx, entry["desktop"], own, profile, schemas, desktops[entry["desktop"]], packages)
            if mine is not None:
                users.append({"user": name, **{k: v for k, v in mine.items() if k not in ("desktop", "set")}})
        entry["users"] = users
        entry["default_applies"] = accounts is None or not accounts or len(users) < len(accounts)


def autorun(ctx: FactContext) -> dict[str, Any]:
    packages = installed(ctx)
    desktops = installed_desktops(ctx, packages)
    files: list[str] = []
    invalid: list[str] = []
    gsettings = sorted(set(desktops) & set(GSETTINGS))
    profile = read_profile(ctx, files, invalid, UNKNOWN_KEY) if gsettings else Profile(None, [], True, [])
    schemas = read_schemas(ctx, {k.schema for d in gsettings for k in GSETTINGS[d]}, invalid, UNKNOWN_KEY)
    entries = []
    for desktop in sorted(desktops):
        if desktop in GSETTINGS:
            entries.append(gsettings_autorun(desktop, profile, schemas, desktops[desktop], invalid))
        elif desktop == "xfce":
            entries.append(xfce_autorun(ctx, packages))
        elif desktop == "kde":
            entries.append(kde_autorun(ctx))
        else:
            entries.append(_entry(desktop, None, None, "-", f"{desktop}: {NOT_EXAMINED}"))
    people_autorun(ctx, entries, desktops, profile, schemas, packages)
    states = [e["disabled"] for e in entries if e["default_applies"]] + \
        [u["disabled"] for e in entries for u in e["users"]]
    gnome = next((e for e in entries if e["desktop"] == "gnome"), None)
    sources = [f"{e['desktop']}: {e['source']}" for e in entries]
    return {"disabled": False if False in states else None if None in states else True,
            "desktop": bool(entries),
            "value": gnome["autorun_off"] if gnome and gnome.pop("set") else None,
            "locked": bool(gnome and gnome["locked"]),
            "databases": [d.name for d in profile.databases], "stale": [d.name for d in profile.databases if d.note],
            "desktops": [{k: v for k, v in e.items() if k != "set"} for e in entries],
            "source": "; ".join(sources) or "no graphical desktop or media settings installed: nothing opens "
                                            "inserted media"}
