"""The graphical desktop of a Linux PC: sessions installed, display managers and console gettys that log a user in
by themselves, and when each desktop locks an idle screen (VN-ACC-11). The parsing rules of each program are in
desktop_dm.py and desktop_lock.py; the files are read through the transport, so `--root DIR` works."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux import dconf, etcfiles
from secaudit.facts.linux.dconf import Profile, SchemaDefaults, read_profile, read_schemas
from secaudit.facts.linux.desktop_autostart import own_entries
from secaudit.facts.linux.desktop_dm import conf_files, display_managers, getty_autologins
from secaudit.facts.linux.desktop_ini import parse_keyfile
from secaudit.facts.linux.desktop_lock import (
    GSETTINGS,
    OWN_FILES,
    UNDETERMINED,
    UNKNOWN_KEY,
    Own,
    gsettings_lock,
    kde_lock,
    locker_lock,
)
from secaudit.facts.linux.desktop_xlock import light_locker_entry
from secaudit.facts.linux.gvdb import GvdbError, read_gvdb
from secaudit.facts.linux.logins import defs_int, login_defs
from secaudit.facts.linux.sources.dpkg import installed
from secaudit.facts.linux.sources.osrelease import os_release
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

SESSION_DIRS = ("/usr/share/xsessions", "/usr/share/wayland-sessions")
# DesktopNames (XDG_CURRENT_DESKTOP) entry -> the desktop whose screen locker is read
DESKTOPS = {"gnome": "gnome", "ubuntu": "gnome", "unity": "gnome", "x-cinnamon": "cinnamon", "cinnamon": "cinnamon",
            "mate": "mate", "xfce": "xfce", "kde": "kde", "lxde": "lxde", "lxqt": "lxqt", "budgie": "budgie",
            "pantheon": "pantheon", "lxde-pi": "lxde", "wayfire": "wayfire", "labwc": "labwc",
            "lxde-pi-labwc": "labwc", "lxde-pi-wayfire": "wayfire"}  # Raspberry Pi OS's Wayland sessions
WAYLAND = (("swaylock", "/usr/bin/swaylock"), ("gtklock", "/usr/bin/gtklock"), ("waylock", "/usr/bin/waylock"))
# the screen lockers each desktop can run, the one it prefers first (LXQt's "Lock screen" runs xscreensaver)
LOCKERS = {"xfce": (("xfce4-screensaver", "/usr/bin/xfce4-screensaver"), ("light-locker", "/usr/bin/light-locker"),
                    ("xscreensaver", "/usr/bin/xscreensaver")),
           "lxqt": (("xscreensaver", "/usr/bin/xscreensaver"), ("light-locker", "/usr/bin/light-locker")),
           "lxde": (("xscreensaver", "/usr/bin/xscreensaver"), ("light-locker", "/usr/bin/light-locker")),
           "labwc": WAYLAND, "wayfire": WAYLAND}


def read_sessions(ctx: FactContext, invalid: list[str], unknown_key: str = "desktop.sessions"
                  ) -> list[dict[str, Any]]:
    """The graphical sessions installed and the desktop each starts (also how removable_media finds desktops)."""
    out = []
    for directory in SESSION_DIRS:
        for path in conf_files(ctx, directory, ".desktop"):
            text = ctx.read_text(path, unknown_key)
            if text is None:
                continue
            parsed = parse_keyfile(text, path)
            invalid.extend(parsed.invalid)
            entry = parsed.groups.get("Desktop Entry", {})
            name, names = entry.get("Name"), entry.get("DesktopNames")
            # a ;-list by the spec; Ubuntu writes "ubuntu:GNOME" as XDG_CURRENT_DESKTOP does
            desktop_names = [n for n in (names.value if names else "").replace(":", ";").split(";") if n]
            out.append({"file": path, "name": name.value if name else None, "desktop_names": desktop_names,
                        "desktop": desktop_of(path, desktop_names),
                        "wayland": directory.endswith("wayland-sessions")})
    return out


def desktop_of(path: str, names: list[str]) -> str:
    """The desktop a session starts, by its DesktopNames, else by its file name (plasma.desktop -> kde)."""
    for name in names:
        if name.lower() in DESKTOPS:
            return DESKTOPS[name.lower()]
    stem = path.rsplit("/", 1)[-1].removesuffix(".desktop").lower()
    for prefix, desktop in (("plasma", "kde"), ("budgie", "budgie"), ("gnome", "gnome"), ("ubuntu", "gnome"),
                            ("cinnamon", "cinnamon"),
                            ("mate", "mate"), ("xfce", "xfce"), ("lxqt", "lxqt"), ("lxde-pi-labwc", "labwc"),
                            ("lxde-pi-wayfire", "wayfire"), ("lxde", "lxde"), ("labwc", "labwc"),
                            ("wayfire", "wayfire")):
        if stem.startswith(prefix):
            return desktop
    return names[0].lower() if names else stem


def present(ctx: FactContext, packages: dict[str, str] | None, package: str, program: str) -> bool:
    """The dpkg package is installed, or its program is there (other distributions, dpkg unreadable)."""
    if packages is not None and package in packages:
        return True
    try:
        return ctx.transport.exists(program)
    except FactUnavailable:
        return False


MAX_PEOPLE = 2000
Lock = Callable[[list[str], str, bytes], dict[str, Any]]  # a locker's answer with a person's own file's bytes


def people(ctx: FactContext) -> list[tuple[str, str]] | None:
    """(name, home) of the accounts of people (UID_MIN and up, a login shell, a home directory): those whose
    own settings count; None when /etc/passwd cannot be read."""
    entries = etcfiles.passwd(ctx)
    if entries is None:
        return None
    uid_min = defs_int(login_defs(ctx), "UID_MIN")[0] or 1000
    return [(e.name, e.home.rstrip("/")) for e in entries
            if e.uid >= uid_min and e.uid != 65534 and etcfiles.login_shell(e.shell) and e.home.startswith("/")
            and e.home.rstrip("/")][:MAX_PEOPLE]


def own_locks(ctx: FactContext, kind: str, lock: Lock, accounts: list[tuple[str, str]] | None
              ) -> tuple[list[dict[str, Any]], bool]:
    """Each person's lock where they have their own settings file of this locker (`kind` in OWN_FILES), and
    whether the system's applies to someone (a person without one, or people unknown)."""
    out: list[dict[str, Any]] = []
    for name, home in accounts or []:
        path = f"{home}/{OWN_FILES[kind]}"
        try:
            data = ctx.transport.read_bytes(path, cap=dconf.OWN_CAP)
        except FactUnavailable as exc:
            if exc.code == "not_found":
                continue
            ctx.unknown_from(UNKNOWN_KEY, exc)
            problem = f"{path}: unreadable ({exc.code})"
            out.append({"user": name, "file": path, **UNDETERMINED, "source": {"own": problem}, "invalid": [problem]})
            continue
        invalid: list[str] = []
        out.append({"user": name, "file": path, **lock(invalid, path, data), "invalid": invalid})
    return out, accounts is None or len(out) < len(accounts) or not accounts


def wayland_own_locks(ctx: FactContext, desktop: str, locker: str, looked_for: str, names: list[str],
                      accounts: list[tuple[str, str]] | None) -> tuple[list[dict[str, Any]], bool]:
    """labwc's and Wayfire's lock for each person with their own compositor file (~/.config/labwc/autostart,
    ~/.config/wayfire.ini) or their own XDG autostart entries (~/.config/autostart/*.desktop, which count when
    the session runs lxsession-xdg-autostart), and whether the system's applies to someone."""
    out: list[dict[str, Any]] = []
    for name, home in accounts or []:
        path = f"{home}/{OWN_FILES[desktop]}"
        read: list[str] = []
        xdg = own_entries(ctx, home, UNKNOWN_KEY, read)
        try:
            data: bytes | None = ctx.transport.read_bytes(path, cap=dconf.OWN_CAP)
        except FactUnavailable as exc:
            data = None
            if exc.code != "not_found":
                ctx.unknown_from(UNKNOWN_KEY, exc)
                xdg.problems.append(f"{path}: unreadable ({exc.code})")
                problem = "; ".join(xdg.problems)
                out.append({"user": name, "file": path, **UNDETERMINED, "source": {"own": problem},
                            "invalid": list(xdg.problems)})
                continue
        if data is None and not xdg.found and not xdg.problems:
            continue
        own = Own(path, data.decode("utf-8", "replace")) if data is not None else None
        invalid: list[str] = []
        lock = locker_lock(ctx, locker, looked_for, [], invalid, own, desktop=desktop, names=names, xdg=xdg)
        files = ([path] if own is not None else []) + read
        out.append({"user": name, "file": ", ".join(files) or "; ".join(xdg.problems), **lock,
                    "invalid": list(dict.fromkeys(invalid + xdg.problems))})
    return out, accounts is None or len(out) < len(accounts) or not accounts


def _text(read: Callable[[list[str], Own], dict[str, Any]]) -> Lock:
    """A text locker's reader of a person's own file."""
    def run(invalid: list[str], path: str, data: bytes) -> dict[str, Any]:
        return read(invalid, Own(path, data.decode("utf-8", "replace")))
    return run


def _dconf_own(desktop: str, profile: Profile, schemas: SchemaDefaults, names: list[str], invalid: list[str],
               path: str, data: bytes) -> dict[str, Any]:
    try:
        values = read_gvdb(data)
    except GvdbError as exc:
        invalid.append(f"{path}: {exc}")
        return {**UNDETERMINED, "source": {"own": f"{path}: not a dconf database ({exc})"}}
    return gsettings_lock(desktop, profile, schemas, names, dconf.Own(path, values))


def screen_locks(ctx: FactContext, sessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    desktops: dict[str, list[str]] = {}
    for s in sessions:
        names = desktops.setdefault(s["desktop"], [])
        names.extend(n for n in s["desktop_names"] if n not in names)
    if not desktops:
        return []
    files: list[str] = []
    invalid: list[str] = []
    profile = read_profile(ctx, files, invalid, UNKNOWN_KEY) if set(desktops) & set(GSETTINGS) else None
    schemas = read_schemas(ctx, {k.schema for d in desktops if d in GSETTINGS for k in GSETTINGS[d].values()},
                           invalid, UNKNOWN_KEY)
    packages = installed(ctx)
    accounts = people(ctx)
    out = []
    for desktop, names in sorted(desktops.items()):
        pending: list[str] = []
        own_files: list[str] = []
        own_invalid: list[str] = []
        users: list[dict[str, Any]] = []
        default_applies = True
        if desktop in GSETTINGS and profile is not None:
            lock = gsettings_lock(desktop, profile, schemas, names)
            users, default_applies = own_locks(ctx, "dconf", partial(_dconf_own, desktop, profile, schemas, names),
                                               accounts)
            pending = list(profile.pending)
            own_files, own_invalid = files, invalid  # the dconf databases and schemas are shared
            if profile.path is None:
                pending.append("no dconf profile (/etc/dconf/profile/user): system settings do not apply, "
                               "defaults only")
        elif desktop == "kde":
            lock = kde_lock(ctx, own_files, own_invalid)
            users, default_applies = own_locks(ctx, "kde", _text(partial(kde_lock, ctx, [])), accounts)
        elif desktop in LOCKERS:
            locker = next((p for p, program in LOCKERS[desktop] if present(ctx, packages, p, program)), None)
            looked_for = ", ".join(p for p, _ in LOCKERS[desktop])
            if locker == "light-locker":
                lock, users, default_applies = light_locker_entry(
                    ctx, desktop, names, present(ctx, packages, "lightdm", "/usr/sbin/lightdm"),
                    present(ctx, packages, "xfce4-power-manager", "/usr/bin/xfce4-power-manager"), accounts,
                    own_files, own_invalid)
            else:
                lock = locker_lock(ctx, locker, looked_for, own_files, own_invalid, desktop=desktop, names=names)
            if desktop in ("labwc", "wayfire") and locker:
                users, default_applies = wayland_own_locks(ctx, desktop, locker, looked_for, names, accounts)
            elif locker in OWN_FILES:
                users, default_applies = own_locks(ctx, str(locker), _text(
                    partial(locker_lock, ctx, locker, looked_for, [], desktop=desktop, names=names)), accounts)
        else:
            lock = {**UNDETERMINED, "source": {"locker": f"{desktop}: its screen locker is not examined"}}
        out.append({"desktop": desktop, **lock, "files": list(dict.fromkeys(own_files)),
                    "invalid": list(own_invalid), "pending": pending, "users": users,
                    "default_applies": default_applies})
    return out


@collector("desktop", ("desktop",))
def collect_desktop(ctx: FactContext) -> None:
    invalid: list[str] = []
    sessions = read_sessions(ctx, invalid)
    release = os_release(ctx).keys
    debian = release.get("ID") == "debian" or (release.get("ID") != "ubuntu"
                                               and "debian" in release.get("ID_LIKE", "").split()
                                               and "ubuntu" not in release.get("ID_LIKE", "").split())
    managers = display_managers(ctx, debian)
    console_files: list[str] = []
    console = getty_autologins(ctx, console_files)
    ctx.put("desktop", {
        "sessions": sessions,
        "display_managers": managers,
        "console_autologin": console,
        "screen_lock": screen_locks(ctx, sessions),
        "files": list(dict.fromkeys(console_files)),
        "invalid": invalid,
    })
