"""When each installed desktop blanks and locks an idle screen, as every user starts out with it.

GSettings desktops (GNOME, Budgie, Cinnamon, MATE): each key as dconf.py reads it (profile, system databases, locks,
compiled or pending, schema defaults and vendor overrides); a database not in effect as written leaves the
value null. Units: GNOME/Budgie/Cinnamon seconds, MATE minutes.

KDE Plasma: /etc/xdg/kscreenlockerrc [Daemon] Autolock (default true), Timeout (minutes, default 5, at least 1),
Lock (default true; false: the screen saver starts but asks no password), LockGrace (seconds, default 5):
locked after Timeout + LockGrace. `[$i]` makes entries immutable for users (kscreenlockersettings.kcfg).

XFCE: xfce4-screensaver reads the xfconf channel xfce4-screensaver (system defaults in /etc/xdg/xfce4/xfconf/
xfce-perchannel-xml/xfce4-screensaver.xml; defaults in gs-prefs.h: idle after 5 min, lock at once). With
light-locker instead (Xfce, LXDE, LXQt): desktop_xlock.py.

xscreensaver (LXQt, LXDE, and Xfce when it is the locker): the system's resources in
/etc/X11/app-defaults/XScreenSaver, else /usr/share/X11/app-defaults/ (`*timeout`, `*lock`, `*lockTimeout`,
`*mode`; xscreensaver's own defaults where unset: blank after 10 minutes, no lock).

labwc and Wayfire (Raspberry Pi OS's Wayland sessions): an idle screen locks only when their autostart starts
swayidle with `timeout N '<swaylock|gtklock|waylock>'`: labwc's autostart file, Wayfire's [autostart] commands
(/etc/wayfire/defaults.ini with ~/.config/wayfire.ini over it, read as wf-config reads them), and the XDG autostart
entries when those run lxsession-xdg-autostart (the system's, a person's ~/.config/autostart hiding the system's
entry of the same name, as the specification says).

A person's own file (OWN_FILES: their dconf database ~/.config/dconf/user, ~/.config/kscreenlockerrc, the xfconf
channel under ~/.config, ~/.xscreensaver, ~/.config/labwc/autostart, ~/.config/wayfire.ini) is read with the
system's, as the programs do: its values win except over entries the system locked (dconf locks or a profile
without a user database, KConfig `[$i]`, xfconf `locked="*"`); labwc's own autostart replaces the system's.
"""

from __future__ import annotations

import posixpath
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux import dconf
from secaudit.facts.linux.dconf import Key, Profile, SchemaDefaults, lookup
from secaudit.facts.linux.desktop_autostart import AUTOSTART, Entries, commands_of, entry_files, runs_runner
from secaudit.facts.linux.desktop_ini import MAX_LINES, IniFile, c_int, kde_bool, parse_kconfig, read_checked

KDE_RC = "/etc/xdg/kscreenlockerrc"
XFCE_XML = "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml"
XSCREENSAVER_ADS = ("/etc/X11/app-defaults/XScreenSaver", "/usr/share/X11/app-defaults/XScreenSaver")  # Debian first
LABWC_AUTOSTART = "/etc/xdg/labwc/autostart"
WAYFIRE_DEFAULTS = "/etc/wayfire/defaults.ini"
WAYLAND_LOCKERS = ("swaylock", "gtklock", "waylock")
XSCREENSAVER_DEFAULTS = {"timeout": "0:10:00", "lock": "False", "locktimeout": "0:00:00", "mode": "random"}
UNKNOWN_KEY = "desktop.screen_lock"
# a person's own settings file of each locker, under the home directory
OWN_FILES = {"dconf": dconf.OWN_DB, "kde": ".config/kscreenlockerrc", "labwc": ".config/labwc/autostart",
             "wayfire": ".config/wayfire.ini",
             "xfce4-screensaver": ".config/xfce4/xfconf/xfce-perchannel-xml/xfce4-screensaver.xml",
             "xscreensaver": ".xscreensaver"}


@dataclass(frozen=True)
class Own:
    """A user's own settings file, read after the system's."""
    path: str
    text: str


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
    "mate": {"idle": Key("org.mate.session", "idle-delay", "i", None, 60, "org/mate/desktop/session"),
             "lock": Key("org.mate.screensaver", "lock-enabled", "b", None),
             "delay": Key("org.mate.screensaver", "lock-delay", "i", None, 60),
             "activation": Key("org.mate.screensaver", "idle-activation-enabled", "b", None)},
}
# Budgie 10.x locks with gnome-screensaver (Ubuntu Budgie) or its fork budgie-screensaver: GNOME's keys plus
# org.gnome.desktop.screensaver idle-activation-enabled (gs-prefs.c: false, an idle session never activates it).
GSETTINGS["budgie"] = {**GSETTINGS["gnome"],
                       "activation": Key("org.gnome.desktop.screensaver", "idle-activation-enabled", "b", True)}


def gsettings_lock(desktop: str, profile: Profile, schemas: SchemaDefaults, desktops: list[str],
                   own: dconf.Own | None = None) -> dict[str, Any]:
    keys = GSETTINGS[desktop]
    got = {role: lookup(key, profile, schemas, desktops, own) for role, key in keys.items()}
    idle, lock, delay = got["idle"]["value"], got["lock"]["value"], got["delay"]["value"]
    idle_s = None if idle is None else idle * keys["idle"].scale
    delay_s = None if delay is None else delay * keys["delay"].scale
    enabled: bool | None = lock
    for role in ("activation",):
        if role in got and got[role]["value"] is False:
            enabled = False
    if "disabled" in got and got["disabled"]["value"] is True:
        enabled = False
    effective, determined = effective_lock(idle_s, enabled, delay_s)
    sources = {f"{keys[r].schema} {keys[r].name}": got[r]["source"] for r in got}
    locks = [got[r]["locked"] for r in ("idle", "lock", "delay")]
    return {"idle_seconds": idle_s, "lock_enabled": enabled, "lock_delay_seconds": delay_s,
            "lock_after_seconds": effective, "determined": determined,
            "locked_down": None if None in locks else all(locks), "source": sources}


def effective_lock(idle: int | None, enabled: bool | None, delay: int | None) -> tuple[int | None, bool]:
    """(seconds of inactivity until locked or None: never, whether that could be determined)."""
    if enabled is False or idle == 0:
        return None, True
    if idle is None or enabled is None or delay is None:
        return None, False
    return idle + delay, True


UNDETERMINED: dict[str, Any] = {"idle_seconds": None, "lock_enabled": None, "lock_delay_seconds": None,
                                "lock_after_seconds": None, "determined": False, "locked_down": None, "source": {}}


class _Unreadable(Exception):
    def __init__(self, label: str, problem: str) -> None:
        super().__init__(problem)
        self.answer = {**UNDETERMINED, "source": {label: problem}}


def _read(ctx: FactContext, path: str, label: str, files: list[str], invalid: list[str]) -> str | None:
    """The file's text (listed in `files`), None when absent; _Unreadable (noted in `invalid`) when it is
    there but cannot be read: what it says is then not known."""
    text, problem = read_checked(ctx, path, UNKNOWN_KEY)
    if problem is not None:
        invalid.append(problem)
        raise _Unreadable(label, problem)
    if text is not None:
        files.append(path)
    return text


def kde_lock(ctx: FactContext, files: list[str], invalid: list[str], own: Own | None = None) -> dict[str, Any]:
    try:
        text = _read(ctx, KDE_RC, "kscreenlockerrc", files, invalid)
    except _Unreadable as exc:
        return exc.answer
    conf = parse_kconfig(text, KDE_RC) if text is not None else IniFile(KDE_RC)
    invalid.extend(conf.invalid)
    daemon = dict(conf.groups.get("Daemon", {}))
    if own is not None and "Daemon" not in conf.immutable_groups:
        mine = parse_kconfig(own.text, own.path)
        invalid.extend(mine.invalid)
        for key, theirs in mine.groups.get("Daemon", {}).items():
            if key not in daemon or not daemon[key].immutable:
                daemon[key] = theirs
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
    effective, determined = effective_lock(timeout * 60, enabled, grace)
    return {"idle_seconds": timeout * 60 if values["Autolock"] else 0, "lock_enabled": enabled,
            "lock_delay_seconds": grace, "lock_after_seconds": effective, "determined": determined,
            "locked_down": all(locked[:2]), "source": sources}


def xfconf_properties(root: ET.Element) -> dict[str, tuple[str, bool]]:
    """'/saver/enabled' -> (value, locked) of an xfconf channel file; locked="*" on a property or on the whole
    channel keeps every user from changing it."""
    out: dict[str, tuple[str, bool]] = {}
    channel_locked = "*" in (root.get("locked") or "")

    def walk(element: ET.Element, prefix: str) -> None:
        for prop in element.findall("property"):
            path = f"{prefix}/{prop.get('name', '')}"
            if prop.get("value") is not None:
                out[path] = (str(prop.get("value")), channel_locked or "*" in (prop.get("locked") or ""))
            walk(prop, path)

    walk(root, "")
    return out


def locker_lock(ctx: FactContext, locker: str | None, looked_for: str, files: list[str],
                invalid: list[str], own: Own | None = None, desktop: str = "",
                names: list[str] | None = None, xdg: Entries | None = None) -> dict[str, Any]:
    """The lock of a desktop that runs a separate screen locker (Xfce, LXQt, LXDE, labwc, Wayfire): the first
    installed of those it can use (light-locker is read by desktop_xlock.py); with none, nothing locks. `xdg`:
    a person's own XDG autostart entries (labwc, Wayfire)."""
    try:
        if locker == "xfce4-screensaver":
            return xfce_lock(ctx, files, invalid, own)
        if locker == "xscreensaver":
            return xscreensaver_lock(ctx, files, invalid, own)
        if locker in WAYLAND_LOCKERS and desktop == "labwc":
            return swayidle_lock(ctx, files, own, names, invalid, xdg)
        if locker in WAYLAND_LOCKERS and desktop == "wayfire":
            return wayfire_lock(ctx, files, invalid, own, names, xdg)
    except _Unreadable as exc:
        return exc.answer
    if locker is None:
        return {**UNDETERMINED, "lock_enabled": False, "determined": True,
                "source": {"locker": f"no screen locker installed ({looked_for})"}}
    return {**UNDETERMINED, "source": {"locker": f"{locker}: its times come from settings not read here"}}


def _xfconf(text: str, path: str, invalid: list[str]) -> dict[str, tuple[str, bool]]:
    try:
        return xfconf_properties(xmltext.parse(text))
    except xmltext.ParseError as exc:
        invalid.append(f"{path}: {exc}")
        return {}


def xfce_lock(ctx: FactContext, files: list[str], invalid: list[str], own: Own | None = None) -> dict[str, Any]:
    text = _read(ctx, XFCE_XML, "xfconf", files, invalid)
    props = _xfconf(text, XFCE_XML, invalid) if text is not None else {}
    origin = dict.fromkeys(props, XFCE_XML)
    if own is not None:
        for path, (value, _) in _xfconf(own.text, own.path, invalid).items():
            if not props.get(path, ("", False))[1]:  # a property the system locked stays the system's
                props[path], origin[path] = (value, False), own.path
    sources: dict[str, str] = {}

    def get(path: str, default: Any, read: Any) -> Any:
        found = props.get(path)
        value = read(found[0]) if found else None
        sources[path] = origin[path] if value is not None else "default (xfce4-screensaver)"
        return default if value is None else value

    saver = get("/saver/enabled", True, kde_bool) and get("/saver/idle-activation/enabled", True, kde_bool)
    idle = max(1, int(get("/saver/idle-activation/delay", 5, c_int))) * 60
    lock = get("/lock/enabled", True, kde_bool) and get("/lock/saver-activation/enabled", True, kde_bool)
    delay = max(0, int(get("/lock/saver-activation/delay", 0, c_int))) * 60
    enabled = bool(saver and lock)
    effective, determined = effective_lock(idle, enabled, delay)
    locked = [props.get(p, ("", False))[1] for p in ("/saver/idle-activation/delay", "/lock/enabled")]
    return {"idle_seconds": idle if saver else 0, "lock_enabled": enabled, "lock_delay_seconds": delay,
            "lock_after_seconds": effective, "determined": determined, "locked_down": all(locked),
            "source": sources}


def xresources(text: str) -> dict[str, tuple[str, int]]:
    """`*name: value` / `Class.name: value` lines of an X resource file: the last component of the name in
    lower case -> (value, line); `!` comments and cpp lines skipped, a trailing backslash continues a line."""
    out: dict[str, tuple[str, int]] = {}
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        if not pending:
            start = number
        if raw.endswith("\\"):
            pending += raw[:-1]
            continue
        line, pending = (pending + raw).strip(), ""
        if not line or line.startswith(("!", "#")) or ":" not in line:
            continue
        name, _, value = line.partition(":")
        key = name.replace("*", ".").rsplit(".", 1)[-1].strip().lower()
        if key:
            out[key] = (value.strip(), start)
    return out


def x_time(value: str) -> int | None:
    """Seconds of an xscreensaver time: minutes as a number, or M:SS, or H:MM:SS."""
    parts = value.strip().split(":")
    if not 1 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts]
    if len(numbers) == 1:
        return numbers[0] * 60
    seconds = 0
    for n in numbers:
        seconds = seconds * 60 + n
    return seconds


def x_bool(value: str) -> bool | None:
    return {"true": True, "on": True, "yes": True, "1": True,
            "false": False, "off": False, "no": False, "0": False}.get(value.strip().lower())


def xscreensaver_lock(ctx: FactContext, files: list[str], invalid: list[str],
                      own: Own | None = None) -> dict[str, Any]:
    path, text = XSCREENSAVER_ADS[0], None
    for path in XSCREENSAVER_ADS:
        text = _read(ctx, path, "xscreensaver", files, invalid)
        if text is not None:
            break
    found = {k: (v, f"{path}:{line}") for k, (v, line) in (xresources(text) if text is not None else {}).items()}
    if own is not None:  # ~/.xscreensaver: the user's settings, all of them once saved from its dialog
        found.update({k: (v, f"{own.path}:{line}") for k, (v, line) in xresources(own.text).items()})
    sources: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, default in XSCREENSAVER_DEFAULTS.items():
        entry = found.get(name)
        values[name] = entry[0] if entry else default
        sources[f"xscreensaver {name}"] = entry[1] if entry else "default (xscreensaver)"
    idle, lock, delay = x_time(values["timeout"]), x_bool(values["lock"]), x_time(values["locktimeout"])
    for name, got in (("timeout", idle), ("lock", lock), ("locktimeout", delay)):
        if got is None:
            invalid.append(f"{sources[f'xscreensaver {name}']}: {name} {values[name]!r} not understood")
    if values["mode"].strip().lower() == "off":
        idle = 0  # "Disable Screen Saver": the screen never blanks, so it never locks
    effective, determined = effective_lock(idle, lock, delay)
    return {"idle_seconds": idle, "lock_enabled": lock, "lock_delay_seconds": delay, "lock_after_seconds": effective,
            "determined": determined, "locked_down": False, "source": sources}


def swayidle_timeouts(commands: list[tuple[str, str]]) -> tuple[list[tuple[int, str]], bool]:
    """(seconds, where) of each `timeout N '<a locker>'` of the swayidle started by these shell commands
    ((command, where) pairs), and whether any of them starts swayidle at all."""
    found: list[tuple[int, str]] = []
    started = False
    for command, where in commands:
        try:
            words = shlex.split(command, comments=True)
        except ValueError:
            continue
        start = next((i for i, w in enumerate(words) if posixpath.basename(w) == "swayidle"), None)
        if start is None:
            continue
        started = True
        args = words[start + 1:]
        for i, word in enumerate(args[:-2]):
            if word == "timeout" and args[i + 1].isdigit() and \
                    any(lock in args[i + 2] for lock in WAYLAND_LOCKERS):
                found.append((int(args[i + 1]), where))
    return found, started


def _swayidle_answer(found: list[tuple[int, str]], started: bool, where: str,
                     notes: dict[str, str] | None = None) -> dict[str, Any]:
    notes = notes or {}
    if found:
        seconds, source = min(found)
        return {"idle_seconds": seconds, "lock_enabled": True, "lock_delay_seconds": 0,
                "lock_after_seconds": seconds, "determined": True, "locked_down": False,
                "source": {"swayidle": source, **notes}}
    why = "swayidle starts no screen locker" if started else "no swayidle started: nothing locks an idle screen"
    return {**UNDETERMINED, "lock_enabled": False, "determined": True, "locked_down": False,
            "source": {"swayidle": f"{where}: {why}", **notes}}


def _with_xdg(ctx: FactContext, commands: list[tuple[str, str]], names: list[str], files: list[str],
              invalid: list[str], xdg: Entries | None = None) -> list[tuple[str, str]]:
    """The commands, and the XDG autostart entries too when one of them runs those entries: the system's, with a
    person's own (`xdg`) hiding the system's of the same name."""
    if not runs_runner(commands):
        return commands
    problems: list[str] = []
    entries = entry_files(ctx, AUTOSTART, UNKNOWN_KEY, files, problems)
    if xdg is not None:
        entries.update(xdg.found)
        problems += xdg.problems
    if problems:
        invalid.extend(problems)
        raise _Unreadable("autostart", "; ".join(problems))
    return commands + commands_of(entries, names, invalid)


def swayidle_lock(ctx: FactContext, files: list[str], own: Own | None = None, names: list[str] | None = None,
                  invalid: list[str] | None = None, xdg: Entries | None = None) -> dict[str, Any]:
    """labwc runs its autostart file (a person's own ~/.config/labwc/autostart instead of the system's) and, when
    that runs lxsession-xdg-autostart, the XDG autostart entries; an idle screen locks when one of them starts
    swayidle with `timeout N '<a locker>'`; without that, nothing locks it."""
    path = own.path if own is not None else LABWC_AUTOSTART
    text = own.text if own is not None else _read(ctx, path, "labwc autostart", files, [])
    commands = [(raw, path) for raw in (text or "").splitlines()]
    found, started = swayidle_timeouts(_with_xdg(ctx, commands, names or [], files,
                                                 [] if invalid is None else invalid, xdg))
    return _swayidle_answer(found, started, path if text is not None else f"{path} absent")


# --- Wayfire ----------------------------------------------------------------------------------------------------

def wayfire_ini(text: str, path: str, invalid: list[str]) -> dict[str, dict[str, tuple[str, str]]]:
    """section -> option -> (value, file:line), read as wf-config's file.cpp reads wayfire.ini: a `#` not after a
    backslash starts a comment (`\\#` is a `#`), trailing blanks dropped, a line ending in an unescaped backslash
    continues on the next, `[section]`, `name = value` trimmed; any other line, or an option before the first
    section, is skipped (noted in `invalid`); a later option replaces an earlier one."""
    lines: list[tuple[str, int]] = []
    joining = False
    for number, raw in enumerate(text.split("\n")[:MAX_LINES], 1):
        cut = next((i for i, ch in enumerate(raw) if ch == "#" and (i == 0 or raw[i - 1] != "\\")), len(raw))
        line, escaped = "", False
        for ch in raw[:cut]:
            if ch == "#" and escaped:
                line = line[:-1]
            line += ch
            escaped = ch == "\\"
        line = line.rstrip(" \t\r\f\v")
        if joining:
            lines[-1] = (lines[-1][0] + line, lines[-1][1])
        else:
            lines.append((line, number))
        current = lines[-1][0]
        joining = current.endswith("\\")
        if joining:
            current = current[:-1]
            lines[-1] = (current, lines[-1][1])
            joining = not current.endswith("\\")
    out: dict[str, dict[str, tuple[str, str]]] = {}
    section: str | None = None
    for line, number in lines:
        stripped = line.strip(" \t\r\f\v")
        if not stripped:
            continue
        if stripped.startswith("[") and stripped.endswith("]") and len(stripped) > 1:
            section = stripped[1:-1]
            out.setdefault(section, {})
            continue
        name, sep, value = line.partition("=")
        if section is None or not sep:
            invalid.append(f"{path}:{number}: " + ("option before a section" if sep else "not name = value"))
            continue
        out[section][name.strip(" \t\r\f\v")] = (value.strip(" \t\r\f\v"), f"{path}:{number}")
    return out


WAYFIRE_PLUGINS = ("alpha animate autostart command cube decoration expo fast-switcher fisheye grid idle invert move "
                   "oswitch place resize switcher vswitch window-rules wobbly wrot zoom")  # core.xml's default


def _plugin(name: str) -> str:
    return posixpath.basename(name).removeprefix("lib").removesuffix(".so")


def wayfire_lock(ctx: FactContext, files: list[str], invalid: list[str], own: Own | None = None,
                 names: list[str] | None = None, xdg: Entries | None = None) -> dict[str, Any]:
    """Wayfire reads /etc/wayfire/defaults.ini, then the person's ~/.config/wayfire.ini over it option by option
    (wf::config::build_configuration; Raspberry Pi OS copies defaults.ini there on first start). Its idle plugin
    only blanks ([idle] screensaver_timeout, dpms_timeout: it has no lock option); an idle screen locks only when
    a command of [autostart] (or Raspberry Pi's [autostart-static] autostart0-4), run with sh by a loaded
    plugin of [core] plugins, or an XDG autostart entry when one of those runs lxsession-xdg-autostart, starts
    swayidle with `timeout N '<a locker>'`."""
    text = _read(ctx, WAYFIRE_DEFAULTS, "wayfire.ini", files, invalid)
    conf = wayfire_ini(text, WAYFIRE_DEFAULTS, invalid) if text is not None else {}
    if own is not None:
        for section, options in wayfire_ini(own.text, own.path, invalid).items():
            conf.setdefault(section, {}).update(options)
    plugins_entry = conf.get("core", {}).get("plugins")
    plugins = {_plugin(p) for p in (plugins_entry[0] if plugins_entry else WAYFIRE_PLUGINS).split()}
    commands: list[tuple[str, str]] = []
    if "autostart" in plugins:
        commands += [v for k, v in conf.get("autostart", {}).items() if k != "autostart_wf_shell"]
    if "autostart-static" in plugins:
        commands += [v for k, v in conf.get("autostart-static", {}).items() if v[0] != "none"]
    notes = {f"idle {name}": f"{entry[1]}: {entry[0]} s, blanks the screen without locking it"
             for name in ("screensaver_timeout", "dpms_timeout")
             if (entry := conf.get("idle", {}).get(name)) is not None}
    read = ([WAYFIRE_DEFAULTS] if text is not None else []) + ([own.path] if own is not None else [])
    where = ", ".join(read) or f"{WAYFIRE_DEFAULTS} absent"
    if plugins_entry is not None and not plugins & {"autostart", "autostart-static"}:
        where += f" ([core] plugins at {plugins_entry[1]} load no autostart plugin)"
    found, started = swayidle_timeouts(_with_xdg(ctx, commands, names or [], files, invalid, xdg))
    return _swayidle_answer(found, started, where, notes)
