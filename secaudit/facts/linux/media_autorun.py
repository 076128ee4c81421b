"""AutoRun of inserted media on Linux, per installed desktop, as the system settings give every user.

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
"""

from __future__ import annotations

from typing import Any

from secaudit.facts.common import xmltext
from secaudit.facts.context import FactContext
from secaudit.facts.linux.dconf import Key, Profile, SchemaDefaults, lookup, read_profile, read_schemas, schema_file
from secaudit.facts.linux.desktop import present, read_sessions
from secaudit.facts.linux.desktop_ini import kde_bool, parse_kconfig, read_checked
from secaudit.facts.linux.desktop_lock import xfconf_properties
from secaudit.facts.linux.sources.dpkg import installed
from secaudit.transport.base import FactUnavailable

UNKNOWN_KEY = "removable_media.autorun"
# desktop -> (autorun-never, automount) of its media-handling schema; defaults as the schemas ship them
GSETTINGS: dict[str, tuple[Key, Key]] = {
    "gnome": (Key("org.gnome.desktop.media-handling", "autorun-never", "b", False),
              Key("org.gnome.desktop.media-handling", "automount", "b", True)),
    "cinnamon": (Key("org.cinnamon.desktop.media-handling", "autorun-never", "b", False),
                 Key("org.cinnamon.desktop.media-handling", "automount", "b", True)),
    "mate": (Key("org.mate.media-handling", "autorun-never", "b", False, path="org/mate/desktop/media-handling"),
             Key("org.mate.media-handling", "automount", "b", True, path="org/mate/desktop/media-handling")),
}
VOLMAN = ("thunar-volman", "/usr/bin/thunar-volman")
VOLMAN_XML = "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"
VOLMAN_RUNS = ("/autorun/enabled", "/autoopen/enabled", "/autoplay-audio-cds/enabled",
               "/autoplay-video-cds/enabled", "/autophoto/enabled", "/autoipod/enabled")
VOLMAN_MOUNTS = ("/automount-drives/enabled", "/automount-media/enabled")
KDE_RC = "/etc/xdg/kded_device_automounterrc"
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
            "setting": setting, "source": source, "automount": automount, "pending": pending or [],
            "invalid": invalid or []}


def installed_desktops(ctx: FactContext, packages: dict[str, str] | None) -> dict[str, list[str]]:
    """desktop -> the DesktopNames its sessions give (for [schema:DESKTOP] vendor overrides)."""
    found: dict[str, list[str]] = {}
    for session in read_sessions(ctx, [], UNKNOWN_KEY):
        names = found.setdefault(session["desktop"], [])
        names.extend(n for n in session["desktop_names"] if n not in names)
    for desktop, (never, _) in GSETTINGS.items():
        if _exists(ctx, schema_file(never.schema)):
            found.setdefault(desktop, [])
    if present(ctx, packages, *VOLMAN):
        found.setdefault("xfce", [])
    return found


def gsettings_autorun(desktop: str, profile: Profile, schemas: SchemaDefaults, names: list[str],
                      invalid: list[str]) -> dict[str, Any]:
    never_key, mount_key = GSETTINGS[desktop]
    got = lookup(never_key, profile, schemas, names)
    mount = lookup(mount_key, profile, schemas, names)
    pending = list(profile.pending)
    if profile.path is None:
        pending.append("/etc/dconf/profile/user absent: only each user's own database is read")
    value = got["value"]
    setting = f"{never_key.schema} {never_key.name} {'-' if value is None else str(value).lower()}"
    source = "; ".join([got["source"], *pending])
    return {**_entry(desktop, value, got["locked"], setting, source, automount=mount["value"], pending=pending,
                     invalid=invalid), "set": got["set"]}


def xfce_autorun(ctx: FactContext, packages: dict[str, str] | None) -> dict[str, Any]:
    if not present(ctx, packages, *VOLMAN):
        return _entry("xfce", True, True, "thunar-volman not installed",
                      "thunar-volman not installed: Thunar runs and opens nothing from inserted media")
    text, problem = read_checked(ctx, VOLMAN_XML, UNKNOWN_KEY)
    if problem is not None:
        return _entry("xfce", None, None, "thunar-volman", problem, invalid=[problem])
    props: dict[str, tuple[str, bool]] = {}
    invalid: list[str] = []
    if text is not None:
        try:
            props = xfconf_properties(xmltext.parse(text))
        except xmltext.ParseError as exc:
            invalid.append(f"{VOLMAN_XML}: {exc}")  # xfconfd cannot load it: every user gets the defaults
    values: dict[str, bool | None] = {}
    for path in VOLMAN_RUNS + VOLMAN_MOUNTS:
        raw = props.get(path)
        values[path] = False if raw is None else {"true": True, "false": False}.get(raw[0].strip().lower())
        if values[path] is None:
            invalid.append(f"{VOLMAN_XML}: {path}: not a boolean: {raw[0] if raw else ''}")
    runs = [values[p] for p in VOLMAN_RUNS]
    autorun_off = False if True in runs else None if None in runs else True
    locked = all(props.get(p, ("", False))[1] for p in VOLMAN_RUNS)
    on = [p.split("/")[1] for p in VOLMAN_RUNS if values[p]]
    setting = "thunar-volman " + (", ".join(on) + " on" if on else "autorun, autoopen, autoplay off")
    set_in = [p for p in VOLMAN_RUNS if p in props]
    source = f"{VOLMAN_XML} ({', '.join(set_in)})" if set_in else "default (thunar-volman: off when unset)"
    mounts = [values[p] for p in VOLMAN_MOUNTS]
    return _entry("xfce", autorun_off, locked, setting, source, automount=None if None in mounts else any(mounts),
                  invalid=invalid)


def kde_autorun(ctx: FactContext) -> dict[str, Any]:
    text, problem = read_checked(ctx, KDE_RC, UNKNOWN_KEY)
    values: dict[str, bool | None] = {}
    sources: list[str] = []
    invalid = [problem] if problem else []
    if text is not None:
        conf = parse_kconfig(text, KDE_RC)
        invalid.extend(conf.invalid)
        for name, entry in conf.groups.get("General", {}).items():
            if name in ("AutomountEnabled", "AutomountOnLogin", "AutomountOnPlugin"):
                values[name] = kde_bool(entry.value)
                sources.append(f"{name}={entry.value} ({entry.source})")
    enabled, login, plug = (values.get(n) for n in ("AutomountEnabled", "AutomountOnLogin", "AutomountOnPlugin"))
    automount = False if enabled is False or (login is False and plug is False) else \
        True if enabled and (login or plug) else None
    setting = "KDE Plasma has no autorun (the device notifier only offers actions)"
    source = "automounter: " + ("; ".join(sources) or f"{KDE_RC}: AutomountEnabled, AutomountOnLogin, "
                                                    "AutomountOnPlugin not set (defaults differ between releases)")
    return _entry("kde", True, True, setting, source, automount=automount, invalid=invalid)


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
    states = [e["disabled"] for e in entries]
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
