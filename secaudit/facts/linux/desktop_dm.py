"""Display managers and console gettys that log a user in without a password.

- GDM reads one key file compiled in: /etc/gdm3/custom.conf (Ubuntu), /etc/gdm3/daemon.conf (Debian), or
  /etc/gdm/custom.conf (Fedora, upstream); [daemon] AutomaticLoginEnable + AutomaticLogin (a user logged in at
  once), TimedLoginEnable + TimedLogin + TimedLoginDelay (logged in after the greeter waited that long,
  default 30 s). Booleans are exactly true/1/false/0; anything else is the default, false.
- LightDM reads, later winning: /usr/share/lightdm/lightdm.conf.d/*.conf, /usr/local/share/..., /etc/xdg/lightdm/
  lightdm.conf.d/*.conf, /etc/lightdm/lightdm.conf.d/*.conf, then /etc/lightdm/lightdm.conf. The seat's settings
  are [Seat:*] (the deprecated [SeatDefaults] is read as [Seat:*]) then every [Seat:PATTERN] matching the seat,
  in the order the groups first appear. autologin-user (empty: off), autologin-user-timeout (seconds at the
  greeter first; 0: at once), autologin-guest (a guest account logged in; LightDM's booleans are exactly "true").
  A conf.d file GKeyFile rejects is skipped; a rejected lightdm.conf stops LightDM from starting.
- SDDM: /usr/lib/sddm/sddm.conf.d/*.conf, /etc/sddm.conf.d/*.conf, /etc/sddm.conf, later winning (sddm.conf(5));
  [Autologin] User= non-empty logs that user in (Session= empty: the last session used).
- LXDM: /etc/lxdm/lxdm.conf [base] autologin=USER. nodm: always logs NODM_USER in (/etc/default/nodm; the
  sysvinit script stops at NODM_ENABLED=false/no). greetd: /etc/greetd/config.toml [initial_session] runs its
  command as its user once at boot, without authentication; a [default_session] that runs no known greeter
  as a person's account (not greetd's greeter user) is a desktop that never asks for a password.
- Console: a systemd drop-in of a getty unit (getty@tty1.service.d/*.conf, getty@.service.d/, serial-getty@...)
  whose ExecStart runs agetty with --autologin USER / -a USER (raspi-config's "console autologin" writes exactly
  that). An empty `ExecStart=` resets the list; the last ExecStart in drop-in order is the one run.

Which one runs: /etc/systemd/system/display-manager.service (its ExecStart names the program) or, on Debian,
/etc/X11/default-display-manager.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import tomllib
from collections.abc import Callable
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.desktop_ini import (
    IniFile,
    c_int,
    glib_bool,
    merge,
    parse_keyfile,
    parse_lenient,
    read_checked,
)
from secaudit.facts.linux.sources.dpkg import installed
from secaudit.facts.linux.sources.systemd import UNIT_DIRS
from secaudit.transport.base import FactUnavailable

MAX_FILES = 200
UNKNOWN_KEY = "desktop.display_managers"
# name -> (programs, packages, units)
MANAGERS: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "gdm": (("/usr/sbin/gdm3", "/usr/sbin/gdm", "/usr/bin/gdm"), ("gdm3", "gdm"), ("gdm3.service", "gdm.service")),
    "lightdm": (("/usr/sbin/lightdm", "/usr/bin/lightdm"), ("lightdm",), ("lightdm.service",)),
    "sddm": (("/usr/bin/sddm", "/usr/sbin/sddm"), ("sddm",), ("sddm.service",)),
    "lxdm": (("/usr/sbin/lxdm", "/usr/sbin/lxdm-binary", "/usr/bin/lxdm"), ("lxdm",), ("lxdm.service",)),
    "nodm": (("/usr/sbin/nodm", "/usr/bin/nodm"), ("nodm",), ("nodm.service",)),
    "greetd": (("/usr/sbin/greetd", "/usr/bin/greetd"), ("greetd",), ("greetd.service",)),
}
GDM_DEBIAN = ("/etc/gdm3/daemon.conf", "/etc/gdm3/custom.conf", "/etc/gdm/custom.conf")
GDM_OTHERS = ("/etc/gdm3/custom.conf", "/etc/gdm3/daemon.conf", "/etc/gdm/custom.conf")
LIGHTDM_DIRS = ("/usr/share/lightdm/lightdm.conf.d", "/usr/local/share/lightdm/lightdm.conf.d",
                "/etc/xdg/lightdm/lightdm.conf.d", "/etc/lightdm/lightdm.conf.d")
LIGHTDM_MAIN = "/etc/lightdm/lightdm.conf"
SDDM_DIRS = ("/usr/lib/sddm/sddm.conf.d", "/etc/sddm.conf.d")
SDDM_MAIN = "/etc/sddm.conf"
LXDM_CONF = "/etc/lxdm/lxdm.conf"
NODM_DEFAULTS = "/etc/default/nodm"
GREETD_CONF = "/etc/greetd/config.toml"
# [default_session] is meant to run a greeter as greetd's own user (greetd's default "greeter"; Debian's
# package creates _greetd). A desktop run there as a person's account is a session nobody logs in to.
GREETER_USERS = frozenset({"greeter", "_greetd", "greetd"})
GREETERS = frozenset({"agreety", "tuigreet", "gtkgreet", "wlgreet", "qtgreet", "regreet", "nwg-hello",
                      "dlm", "ddlm", "greetd-mini-wl-greeter", "sway-config", "sway-greeter.conf"})
DM_UNIT = "/etc/systemd/system/display-manager.service"
DEBIAN_DM = "/etc/X11/default-display-manager"
GETTY_UNITS = ("getty@", "serial-getty@", "autovt@", "console-getty", "container-getty@")
GETTY_PROGRAMS = ("agetty", "getty", "mingetty")


def _exists(ctx: FactContext, path: str) -> bool:
    try:
        return ctx.transport.exists(path)
    except FactUnavailable:
        return False


def conf_files(ctx: FactContext, directory: str, suffix: str = ".conf") -> list[str]:
    names = sorted(n for n in ctx.list_dir(directory) if n.endswith(suffix) and not n.startswith("."))
    return [f"{directory}/{n}" for n in names[:MAX_FILES]]


def _text(ctx: FactContext, path: str, out: dict[str, Any]) -> str | None:
    """The file's text; a file there but unreadable leaves the manager's auto-login undetermined."""
    text, problem = read_checked(ctx, path, UNKNOWN_KEY)
    if problem is not None:
        out["invalid"].append(problem)
        out["auto_login"] = None
    if text is not None:
        out["files"].append(path)
    return text


def _read(ctx: FactContext, path: str, parse: Callable[[str, str], IniFile], out: dict[str, Any]) -> IniFile | None:
    text = _text(ctx, path, out)
    if text is None:
        return None
    parsed = parse(text, path)
    out["invalid"].extend(parsed.invalid)
    return parsed


def _entry(name: str) -> dict[str, Any]:
    return {"name": name, "installed": True, "active": False, "auto_login": False, "user": None, "timed": False,
            "delay_seconds": None, "guest": False, "source": None, "files": [], "invalid": []}


def gdm(ctx: FactContext, debian: bool) -> dict[str, Any]:
    out = _entry("gdm")
    for path in GDM_DEBIAN if debian else GDM_OTHERS:  # the one file the build reads
        if not _exists(ctx, path):
            continue
        conf = _read(ctx, path, parse_keyfile, out)
        if conf is None:  # present but unreadable: auto_login is null
            break
        auto, user = conf.get("daemon", "AutomaticLoginEnable"), conf.get("daemon", "AutomaticLogin")
        timed, timed_user = conf.get("daemon", "TimedLoginEnable"), conf.get("daemon", "TimedLogin")
        if auto and glib_bool(auto.value) and user and user.value:
            out.update(auto_login=True, user=user.value, source=auto.source)
        elif timed and glib_bool(timed.value) and timed_user and timed_user.value:
            delay = conf.get("daemon", "TimedLoginDelay")
            seconds = c_int(delay.value) if delay else 30
            out.update(auto_login=True, user=timed_user.value, timed=True, source=timed.source,
                       delay_seconds=30 if seconds is None else seconds)
        break
    return out


def lightdm_files(ctx: FactContext) -> list[str]:
    files = [p for d in LIGHTDM_DIRS for p in conf_files(ctx, d)]
    return [*files, LIGHTDM_MAIN]


def seat_settings(merged: dict[str, dict[str, Any]], seat: str = "seat0") -> dict[str, Any]:
    """The settings LightDM gives `seat`: [Seat:*] / [SeatDefaults], then matching [Seat:PATTERN] groups."""
    out: dict[str, Any] = {}
    for group, entries in merged.items():
        pattern = "*" if group == "SeatDefaults" else group[5:] if group.startswith("Seat:") else None
        if pattern is not None and fnmatch.fnmatchcase(seat, pattern):
            out.update(entries)
    return out


def _lightdm_merged(files: list[IniFile]) -> dict[str, dict[str, Any]]:
    # [SeatDefaults] is renamed [Seat:*] on load, so the two share one place in group order.
    renamed = []
    for f in files:
        groups = {("Seat:*" if g == "SeatDefaults" else g): e for g, e in f.groups.items()}
        renamed.append(IniFile(f.path, groups))
    return merge(renamed)


def lightdm_seat(ctx: FactContext, unknown_key: str = UNKNOWN_KEY) -> dict[str, Any]:
    """LightDM's settings for seat0 from every file it reads, as lightdm() reads them (xserver-command, ...)."""
    parsed = [parse_keyfile(text, path) for path in lightdm_files(ctx)
              if (text := ctx.read_text(path, unknown_key)) is not None]
    return seat_settings(_lightdm_merged(parsed))


def lightdm(ctx: FactContext) -> dict[str, Any]:
    out = _entry("lightdm")
    parsed = [p for p in (_read(ctx, path, parse_keyfile, out)
                          for path in lightdm_files(ctx)) if p is not None]
    seat = seat_settings(_lightdm_merged(parsed))
    user, guest, timeout = seat.get("autologin-user"), seat.get("autologin-guest"), seat.get("autologin-user-timeout")
    delay = c_int(timeout.value) if timeout else 0
    if user is not None and user.value:
        out.update(auto_login=True, user=user.value, source=user.source)
    elif guest is not None and guest.value.rstrip() == "true":  # LightDM's own boolean: "true" and nothing else
        out.update(auto_login=True, user="guest", guest=True, source=guest.source)
    if out["auto_login"] and delay:
        out.update(timed=True, delay_seconds=delay)
    return out


def sddm(ctx: FactContext) -> dict[str, Any]:
    out = _entry("sddm")
    paths = [p for d in SDDM_DIRS for p in conf_files(ctx, d)] + [SDDM_MAIN]
    parsed = [p for p in (_read(ctx, path, parse_lenient, out) for path in paths)
              if p is not None]
    user = merge(parsed).get("Autologin", {}).get("User")
    if user is not None and user.value:
        out.update(auto_login=True, user=user.value, source=user.source)
    return out


def lxdm(ctx: FactContext) -> dict[str, Any]:
    out = _entry("lxdm")
    conf = _read(ctx, LXDM_CONF, parse_keyfile, out)
    user = conf.get("base", "autologin") if conf else None
    if user is not None and user.value:
        out.update(auto_login=True, user=user.value, source=user.source)
    return out


def _shell_vars(text: str) -> dict[str, tuple[str, int]]:
    found: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        try:
            words = shlex.split(value, comments=True)
        except ValueError:
            continue
        found[name.strip().removeprefix("export ").strip()] = (words[0] if words else "", number)
    return found


def nodm(ctx: FactContext) -> dict[str, Any]:
    out = _entry("nodm")
    text = _text(ctx, NODM_DEFAULTS, out)
    found = _shell_vars(text) if text is not None else {}
    enabled = found.get("NODM_ENABLED")
    if enabled is not None and enabled[0].lower() in ("false", "no", "0"):
        out["source"] = f"{NODM_DEFAULTS}:{enabled[1]}"
        return out
    user = found.get("NODM_USER")
    # nodm exists to log one user in with no greeter at all.
    out.update(auto_login=True, user=user[0] if user else None,
               source=f"{NODM_DEFAULTS}:{user[1]}" if user else "nodm (logs a user in by design)")
    return out


def greetd(ctx: FactContext) -> dict[str, Any]:
    out = _entry("greetd")
    text = _text(ctx, GREETD_CONF, out)
    if text is None:
        return out
    try:
        conf = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        out["invalid"].append(f"{GREETD_CONF}: {exc}")
        out["auto_login"] = None  # greetd would not start: nothing to judge, nothing known
        return out
    for section in ("initial_session", "default_session"):
        session = conf.get(section)
        if not isinstance(session, dict) or not session.get("command"):
            continue
        user = str(session.get("user") or ("" if section == "initial_session" else "greeter"))
        if section == "default_session" and (user in GREETER_USERS or _greeter(str(session["command"]))):
            continue  # the usual: a greeter, as greetd's own unprivileged user
        line = next((n for n, raw in enumerate(text.splitlines(), 1) if raw.strip() == f"[{section}]"), 0)
        out.update(auto_login=True, user=user or None, source=f"{GREETD_CONF}:{line}")
        break
    return out


def _greeter(command: str) -> bool:
    """Whether a greetd command runs a known greeter (alone, or inside cage/sway as greeters are run)."""
    return any(word in GREETERS for word in re.split(r"[\s/;'\"=]+", command.lower()))


def _unit_exec(text: str) -> str | None:
    """The program of a unit's last ExecStart line."""
    program = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("ExecStart="):
            words = line[len("ExecStart="):].split()
            program = words[0].lstrip("-@:+!") if words else None
    return program


def active_manager(ctx: FactContext) -> tuple[str | None, str | None]:
    """(manager name, how it was found) of the display manager started at boot."""
    text = ctx.read_text(DM_UNIT, UNKNOWN_KEY)
    program = _unit_exec(text) if text is not None else None
    where = DM_UNIT
    if program is None:
        text = ctx.read_text(DEBIAN_DM, UNKNOWN_KEY)
        program = text.strip() if text else None
        where = DEBIAN_DM
    if not program:
        return None, None
    base = program.rsplit("/", 1)[-1]
    for name, (programs, _, _) in MANAGERS.items():
        if base in {p.rsplit("/", 1)[-1] for p in programs}:
            return name, where
    return None, where


def is_installed(ctx: FactContext, name: str, packages: dict[str, str] | None) -> bool:
    programs, names, units = MANAGERS[name]
    if packages is not None and any(p in packages for p in names):
        return True
    return any(_exists(ctx, p) for p in programs) or any(_exists(ctx, f"{d}/{u}") for d in UNIT_DIRS
                                                          for u in units)


def display_managers(ctx: FactContext, debian: bool) -> list[dict[str, Any]]:
    packages = installed(ctx)
    active, _ = active_manager(ctx)
    readers: dict[str, Callable[[], dict[str, Any]]] = {
        "gdm": lambda: gdm(ctx, debian), "lightdm": lambda: lightdm(ctx), "sddm": lambda: sddm(ctx),
        "lxdm": lambda: lxdm(ctx), "nodm": lambda: nodm(ctx), "greetd": lambda: greetd(ctx)}
    out = []
    for name, read in readers.items():
        if not is_installed(ctx, name, packages):
            continue
        entry = read()
        entry["active"] = name == active
        out.append(entry)
    return out


# --- console gettys --------------------------------------------------------------------------------------

def agetty_autologin(command: str) -> str | None:
    """The user of `agetty --autologin USER` / `-a USER` / `-aUSER` / `--autologin=USER` in an ExecStart value."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    if not words or words[0].lstrip("-@:+!").rsplit("/", 1)[-1] not in GETTY_PROGRAMS:
        return None
    for i, word in enumerate(words[1:], 1):
        if word == "--":
            break
        if word in ("-a", "--autologin") and i + 1 < len(words):
            return words[i + 1]
        if word.startswith("--autologin="):
            return word.split("=", 1)[1] or None
        if word.startswith("-a") and not word.startswith("--") and len(word) > 2:
            return word[2:]
    return None


def _execstarts(text: str, path: str) -> list[tuple[str, str]]:
    """(value, file:line) of the [Service] ExecStart lines, an empty one resetting the list."""
    out: list[tuple[str, str]] = []
    section = ""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if pending:
            line, pending = pending + " " + line, ""
            number = start
        if line.endswith("\\"):
            pending, start = line[:-1], number
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, sep, value = line.partition("=")
        if sep and section == "Service" and key.strip() == "ExecStart":
            value = value.strip()
            out = [] if not value else [*out, (value, f"{path}:{number}")]
    return out


def _dropins(ctx: FactContext, names: list[str]) -> list[str]:
    """*.conf of the units' drop-in directories in name order, a name in an earlier directory hiding later ones."""
    chosen: dict[str, str] = {}
    for base in UNIT_DIRS:
        for unit in names:
            for path in conf_files(ctx, f"{base}/{unit}.d"):
                chosen.setdefault(path.rsplit("/", 1)[1], path)
    return [chosen[k] for k in sorted(chosen)]


def getty_autologins(ctx: FactContext, files: list[str]) -> list[dict[str, Any]]:
    """Getty units whose drop-ins (or admin copy in /etc) make agetty log a user in by itself."""
    units: set[str] = set()
    for base in UNIT_DIRS:
        for entry in ctx.list_dir(base):
            unit = entry.removesuffix(".d")
            if unit.startswith(GETTY_UNITS) and unit.endswith(".service"):
                units.add(unit)
    out: list[dict[str, Any]] = []
    for unit in sorted(units):
        names = [unit]
        if "@" in unit and not unit.endswith("@.service"):
            names.append(unit.split("@", 1)[0] + "@.service")  # the template's drop-ins apply to its instances
        execs: list[tuple[str, str]] = []
        own = ctx.read_text(f"/etc/systemd/system/{unit}", "desktop.console")
        if own is not None:
            files.append(f"/etc/systemd/system/{unit}")
            execs = _execstarts(own, f"/etc/systemd/system/{unit}")
        for path in _dropins(ctx, names):
            text = ctx.read_text(path, "desktop.console")
            if text is None:
                continue
            files.append(path)
            found = _execstarts(text, path)
            execs = found if _resets(text) else execs + found  # `ExecStart=` drops what came before
        if execs:
            value, where = execs[-1]
            user = agetty_autologin(value)
            if user and where not in {o["source"] for o in out}:
                out.append({"unit": unit, "user": user, "source": where})
    return out


def _resets(text: str) -> bool:
    return any(raw.strip() == "ExecStart=" for raw in text.splitlines())
