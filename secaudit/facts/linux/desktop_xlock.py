"""When light-locker (Xubuntu, Lubuntu, LXDE and Xfce setups) locks an idle screen, read from files only.

What this relies on (light-locker 1.8/1.9 sources: light-locker.c, gs-monitor.c, gs-manager.c,
apps.light-locker.gschema.xml):

- light-locker has no idle timer: it waits for the X server's screen saver to activate, then locks
  `lock-after-screensaver` seconds later (gs_manager_timed_lock; 0 disables locking after the screen saver, the
  schema's own words; default 5). With `late-locking` the lock window covers the session at that moment and
  LightDM's greeter is shown when someone comes back: locked at the same time either way. `lock-on-suspend` only
  concerns suspend. Its settings are GSettings apps.light-locker (path /apps/light-locker/, read as dconf.py
  reads GNOME's), overridden by options on its command line (`--lock-after-screensaver=S`, `--[no-]late-locking`,
  `--[no-]lock-on-suspend`).
- It only runs when started: XDG autostart (/etc/xdg/autostart/light-locker.desktop, hidden by a person's
  ~/.config/autostart/ file of the same name; Hidden=true, OnlyShowIn, NotShowIn) or, on LXDE, the autostart
  file of lxsession's profile (the desktop's name: LXDE, LXDE-pi; a person's ~/.config/lxsession/PROFILE/
  autostart replaces /etc/xdg/lxsession/PROFILE/autostart; `@` restarts a command). It locks by switching to
  LightDM's greeter: without LightDM it cannot lock.
- The X screen saver's idle time: the X server's (Xorg's compiled default 10 minutes, `Option "BlankTime"` in
  minutes in xorg.conf / xorg.conf.d, LightDM's `xserver-command=X -s MIN`), changed at login by `xset s N|off|
  default` in the X session's start-up scripts (/etc/X11/Xsession.d, ~/.xsessionrc, /etc/xprofile, ~/.xprofile,
  read as desktop_xsession.py says: the last one run wins), then, over that, in an autostart command, or, in
  Xfce, by xfce4-power-manager when it runs (XSetScreenSaver to
  /xfce4-power-manager/blank-on-ac minutes, 0 when presentation-mode is on; its built-in default differs between
  versions, so an unset blank-on-ac leaves the idle time unknown). Two of these started together in one session
  that disagree leave it unknown too (which runs last is not fixed). DPMS turning the monitor off does not activate
  the screen saver, so it is not counted. A person can run xset or stop light-locker at will: never locked down.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux import dconf
from secaudit.facts.linux.dconf import Key, Profile, SchemaDefaults, lookup, read_profile, read_schemas
from secaudit.facts.linux.desktop_autostart import AUTOSTART, command_words, commands_of, entry_files
from secaudit.facts.linux.desktop_dm import lightdm_seat
from secaudit.facts.linux.desktop_ini import c_int, kde_bool, read_checked
from secaudit.facts.linux.desktop_lock import UNDETERMINED, UNKNOWN_KEY, effective_lock, xfconf_properties
from secaudit.facts.linux.desktop_xsession import (
    OWN_XPROFILE,
    OWN_XSESSIONRC,
    TOO_LONG,
    XPROFILE,
    XSESSION_D,
    Scripts,
    sessiond_names,
    setters,
    xset_timeouts,
)

LXSESSION = "/etc/xdg/lxsession"
XFPM_XML = "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml"
XFPM_OWN = ".config/xfce4/xfconf/xfce-perchannel-xml/xfce4-power-manager.xml"
XORG_FILES = ("/etc/X11/xorg.conf",)
XORG_DIRS = ("/etc/X11/xorg.conf.d", "/usr/share/X11/xorg.conf.d")
X_DEFAULT = 600  # Xorg's DEFAULT_SCREEN_SAVER_TIME (include/site.h): 10 minutes
MAX_FILES = 200
KEYS = {"after": Key("apps.light-locker", "lock-after-screensaver", "u", 5),
        "late": Key("apps.light-locker", "late-locking", "b", None),
        "suspend": Key("apps.light-locker", "lock-on-suspend", "b", None)}
CURRENT_DESKTOP = {"xfce": ["XFCE"], "lxde": ["LXDE"], "lxqt": ["LXQt"]}  # when the session names none
_OPTION = re.compile(r'^\s*option\s+"([^"]*)"\s*(?:"([^"]*)")?', re.IGNORECASE)
_SECTION = re.compile(r'^\s*section\s+"([^"]*)"', re.IGNORECASE)


@dataclass
class Files:
    """The files light-locker's lock depends on: the system's, or a person's own laid over them."""
    autostart: dict[str, tuple[str, str]] = field(default_factory=dict)  # name.desktop -> (path, text)
    lxsession: dict[str, tuple[str, str]] = field(default_factory=dict)  # profile -> (path, text)
    xfpm: tuple[str, str] | None = None  # (path, text) of xfce4-power-manager's xfconf channel
    dconf: dconf.Own | None = None
    xprofile: tuple[str, str] | None = None  # (path, text) of /etc/xprofile, or the person's ~/.xprofile
    xsessionrc: tuple[str, str] | None = None  # (path, text) of the person's ~/.xsessionrc
    problems: list[str] = field(default_factory=list)  # files there but unreadable: the answer is then unknown


@dataclass
class System:
    files: Files
    server: tuple[int | None, str]  # the X server's screen saver time and where it comes from
    scripts: Scripts  # the X session's start-up scripts (desktop_xsession.py)
    lightdm: bool
    xfpm_installed: bool
    profile: Profile
    schemas: SchemaDefaults


def _text(ctx: FactContext, path: str, out: Files, read: list[str]) -> str | None:
    text, problem = read_checked(ctx, path, UNKNOWN_KEY)
    if problem is not None:
        out.problems.append(problem)
    elif text is not None:
        read.append(path)
    return text


def _lxsession(ctx: FactContext, base: str, out: Files, read: list[str]) -> dict[str, tuple[str, str]]:
    found: dict[str, tuple[str, str]] = {}
    for profile in sorted(ctx.list_dir(base))[:MAX_FILES]:
        text = _text(ctx, f"{base}/{profile}/autostart", out, read)
        if text is not None:
            found[profile] = (f"{base}/{profile}/autostart", text)
    return found


def x_server_timeout(ctx: FactContext, read: list[str], invalid: list[str]) -> tuple[int | None, str]:
    """(seconds, where) of the X server's own screen saver time: LightDM's `xserver-command ... -s MIN` over
    xorg.conf's `Option "BlankTime" "MIN"` (ServerFlags or ServerLayout) over Xorg's default."""
    command = lightdm_seat(ctx, UNKNOWN_KEY).get("xserver-command")
    if command is not None:
        try:
            words = shlex.split(command.value)
        except ValueError:
            words = command.value.split()
        for i, word in enumerate(words[:-1]):
            if word == "-s" and words[i + 1].isdigit():
                return int(words[i + 1]) * 60, f"{command.source} (X -s {words[i + 1]})"
    paths = [*XORG_FILES, *(f"{d}/{n}" for d in XORG_DIRS for n in sorted(ctx.list_dir(d))[:MAX_FILES]
                            if n.endswith(".conf"))]
    found: list[tuple[int, str]] = []
    for path in paths:
        text, problem = read_checked(ctx, path, UNKNOWN_KEY)
        if problem is not None:
            invalid.append(problem)
            return None, problem
        if text is None:
            continue
        read.append(path)
        section = ""
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0]
            if (m := _SECTION.match(line)) is not None:
                section = m.group(1).lower()
            elif line.strip().lower() == "endsection":
                section = ""
            elif section in ("serverflags", "serverlayout") and (m := _OPTION.match(line)) is not None \
                    and re.sub(r"[_\s]", "", m.group(1)).lower() == "blanktime":  # xf86NameCmp
                if (minutes := c_int(m.group(2) or "")) is None or minutes < 0:
                    invalid.append(f"{path}:{number}: BlankTime {m.group(2)!r} is not a number of minutes")
                else:
                    found.append((minutes * 60, f"{path}:{number}"))
    if len({s for s, _ in found}) > 1:
        invalid.append("xorg.conf: BlankTime set differently in " + ", ".join(w for _, w in found))
        return None, "xorg.conf: BlankTime set differently in " + ", ".join(w for _, w in found)
    if found:
        return found[0][0], found[0][1] + " (BlankTime)"
    return X_DEFAULT, "default (Xorg: 10 min)"


def _options(command: str) -> dict[str, Any] | None:
    """light-locker's command-line settings of a command that starts it (later options win), None if it does not."""
    words = command_words(command)
    start = next((i for i, w in enumerate(words) if posixpath.basename(w) == "light-locker"), None)
    if start is None:
        return None
    out: dict[str, Any] = {}
    args = words[start + 1:]
    for i, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name == "--lock-after-screensaver":
            value = value or (args[i + 1] if i + 1 < len(args) else "")
            if (seconds := c_int(value)) is not None:
                out["after"] = seconds
        elif arg in ("--late-locking", "--no-late-locking"):
            out["late"] = arg == "--late-locking"
        elif arg in ("--lock-on-suspend", "--no-lock-on-suspend"):
            out["suspend"] = arg == "--lock-on-suspend"
    return out


def read_system(ctx: FactContext, profile: Profile, schemas: SchemaDefaults, lightdm: bool, xfpm: bool,
                read: list[str], invalid: list[str]) -> System:
    files = Files()
    files.autostart = entry_files(ctx, AUTOSTART, UNKNOWN_KEY, read, files.problems)
    files.lxsession = _lxsession(ctx, LXSESSION, files, read)
    text = _text(ctx, XFPM_XML, files, read)
    files.xfpm = (XFPM_XML, text) if text is not None else None
    text = _text(ctx, XPROFILE, files, read)
    files.xprofile = (XPROFILE, text) if text is not None else None
    wrapper = lightdm_seat(ctx, UNKNOWN_KEY).get("session-wrapper")
    sessiond = []
    for name in sessiond_names(ctx.list_dir(XSESSION_D))[:MAX_FILES]:
        text = _text(ctx, f"{XSESSION_D}/{name}", files, read)
        if text is not None:
            sessiond.append((f"{XSESSION_D}/{name}", text))
    scripts = Scripts(wrapper.value if wrapper is not None else "lightdm-session", sessiond, files.xprofile)
    return System(files, x_server_timeout(ctx, read, invalid), scripts, lightdm, xfpm, profile, schemas)


def own_files(ctx: FactContext, home: str) -> Files | None:
    """A person's own files that change light-locker's lock, None when they have none."""
    out = Files()
    ignored: list[str] = []
    out.autostart = entry_files(ctx, f"{home}/.config/autostart", UNKNOWN_KEY, ignored, out.problems)
    out.lxsession = _lxsession(ctx, f"{home}/.config/lxsession", out, ignored)
    text = _text(ctx, f"{home}/{XFPM_OWN}", out, ignored)
    out.xfpm = (f"{home}/{XFPM_OWN}", text) if text is not None else None
    text = _text(ctx, f"{home}/{OWN_XPROFILE}", out, ignored)
    out.xprofile = (f"{home}/{OWN_XPROFILE}", text) if text is not None else None
    text = _text(ctx, f"{home}/{OWN_XSESSIONRC}", out, ignored)
    out.xsessionrc = (f"{home}/{OWN_XSESSIONRC}", text) if text is not None else None
    out.dconf, problem = dconf.read_own(ctx, home, UNKNOWN_KEY)
    if problem is not None:
        out.problems.append(problem)
    if not (out.autostart or out.lxsession or out.xfpm or out.dconf or out.xprofile or out.xsessionrc
            or out.problems):
        return None
    return out


def _xfpm(system: System, own: Files | None, invalid: list[str]) -> tuple[int | None, str]:
    """(seconds, where) xfce4-power-manager sets the X screen saver to (on mains power)."""
    props: dict[str, tuple[str, str, bool]] = {}  # property -> (value, file, locked by the system)
    for source in (system.files.xfpm, own.xfpm if own else None):
        if source is None:
            continue
        try:
            found = xfconf_properties(xmltext.parse(source[1]))
        except xmltext.ParseError as exc:
            invalid.append(f"{source[0]}: {exc}")
            continue
        for name, (value, locked) in found.items():
            if not props.get(name, ("", "", False))[2]:  # a property the system locked stays the system's
                props[name] = (value, source[0], locked)
    presentation = props.get("/xfce4-power-manager/presentation-mode")
    if presentation is not None and kde_bool(presentation[0]):
        return 0, f"{presentation[1]} (presentation-mode: never blanks)"
    blank = props.get("/xfce4-power-manager/blank-on-ac")
    minutes = c_int(blank[0]) if blank is not None else None
    if blank is None or minutes is None or minutes < 0:
        return None, "xfce4-power-manager: blank-on-ac not set (its default differs between versions)"
    return minutes * 60, f"{blank[1]} (xfce4-power-manager blank-on-ac {minutes} min, on mains power)"


def light_locker_lock(system: System, desktop: str, names: list[str], invalid: list[str],
                      own: Files | None = None) -> dict[str, Any]:
    names = names or CURRENT_DESKTOP.get(desktop, [])
    problems = system.files.problems + (own.problems if own else [])
    if problems:
        return {**UNDETERMINED, "source": {"light-locker": "; ".join(problems)}}
    entries = {**system.files.autostart, **(own.autostart if own else {})}  # a person's file hides the system's
    commands = commands_of(entries, names, invalid)
    if desktop == "lxde":  # lxsession's autostart of the session's profile; a person's own replaces the system's
        sessions = {**system.files.lxsession, **(own.lxsession if own else {})}
        for path, text in (sessions[p] for p in names if p in sessions):
            commands += [(line.strip().lstrip("@"), f"{path}:{n}") for n, line in enumerate(text.splitlines(), 1)
                         if line.strip() and not line.strip().startswith("#")]
    started = [(opts, where) for command, where in commands if (opts := _options(command)) is not None]
    sources: dict[str, str] = {}
    if not started:
        return {**UNDETERMINED, "lock_enabled": False, "determined": True, "locked_down": False,
                "source": {"light-locker": "installed but not started by any autostart entry: nothing locks"}}
    sources["light-locker"] = started[0][1]
    if not system.lightdm:
        return {**UNDETERMINED, "lock_enabled": False, "determined": True, "locked_down": False,
                "source": {**sources, "LightDM": "not installed: light-locker locks through LightDM and cannot"}}
    values: dict[str, Any] = {}
    for role, key in KEYS.items():
        got = lookup(key, system.profile, system.schemas, names, own.dconf if own else None)
        values[role], sources[f"{key.schema} {key.name}"] = got["value"], got["source"]
        if role in started[0][0]:
            values[role] = started[0][0][role]
            sources[f"{key.schema} {key.name}"] = f"{started[0][1]} (command line)"
    after = values["after"]
    idle, idle_source = _idle(system, desktop, commands, own, invalid)
    sources["X screen saver"] = idle_source
    enabled = None if after is None else after > 0
    if after == 0:
        sources[f"{KEYS['after'].schema} {KEYS['after'].name}"] += " (0: never locks after the screen saver)"
    effective, determined = effective_lock(idle, enabled, after)
    return {"idle_seconds": idle, "lock_enabled": enabled, "lock_delay_seconds": after,
            "lock_after_seconds": effective, "determined": determined, "locked_down": False, "source": sources}


def _before(system: System, own: Files | None, invalid: list[str]) -> tuple[int | None, str]:
    """(seconds, where) of the X screen saver when the session's start-up scripts have run: the last `xset s`
    of them over the X server's own."""
    found = setters(system.scripts, own.xsessionrc if own else None, own.xprofile if own else None, invalid)
    if not found:
        return system.server
    last = found[-1]
    if last.conditional:
        return None, f"{last.where}: xset s under a condition or in a function, not evaluated here"
    if last.seconds == TOO_LONG:
        return None, f"{last.where}: xset s with a time the X server cannot take"
    return (system.server[0] if last.seconds is None else last.seconds), f"{last.where} (xset s)"


def _idle(system: System, desktop: str, commands: list[tuple[str, str]], own: Files | None,
          invalid: list[str]) -> tuple[int | None, str]:
    """The X screen saver time: the start-up scripts', then what the autostart entries start sets over it."""
    found: list[tuple[int | None, str]] = []
    for command, where in commands:
        for value in xset_timeouts(command):
            found.append((system.server[0] if value is None else None if value == TOO_LONG else value,
                          f"{where} (xset s)"))
    xfpm_runs = desktop == "xfce" and system.xfpm_installed and any(
        "xfce4-power-manager" in c for c, _ in commands)
    if xfpm_runs:
        found.append(_xfpm(system, own, invalid))
    if not found:
        return _before(system, own, invalid)
    if len({s for s, _ in found}) > 1:
        return None, "set differently by programs started together: " + "; ".join(
            f"{w}: {s}" for s, w in found)
    return found[0]


def light_locker_entry(ctx: FactContext, desktop: str, names: list[str], lightdm: bool, xfpm: bool,
                       accounts: list[tuple[str, str]] | None, read: list[str], invalid: list[str]
                       ) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
    """(the lock a person without files of their own gets, each person's own, whether the first applies)."""
    profile = read_profile(ctx, read, invalid, UNKNOWN_KEY)
    schemas = read_schemas(ctx, {k.schema for k in KEYS.values()}, invalid, UNKNOWN_KEY)
    system = read_system(ctx, profile, schemas, lightdm, xfpm, read, invalid)
    lock = light_locker_lock(system, desktop, names, invalid)
    users: list[dict[str, Any]] = []
    for name, home in accounts or []:
        own = own_files(ctx, home)
        if own is None:
            continue
        mine: list[str] = []
        paths = [p for p, _ in own.autostart.values()] + [p for p, _ in own.lxsession.values()] + \
            [f[0] for f in (own.xfpm, own.xprofile, own.xsessionrc) if f] + ([own.dconf.path] if own.dconf else [])
        users.append({"user": name, "file": ", ".join(paths) or "; ".join(own.problems),
                      **light_locker_lock(system, desktop, names, mine, own), "invalid": mine + own.problems})
    return lock, users, accounts is None or len(users) < len(accounts) or not accounts
