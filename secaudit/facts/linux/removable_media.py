"""Removable media on Linux: GNOME's AutoRun setting from the dconf system databases, and the usb-storage driver.

dconf (dconf(7), the system administrators' guide): the profile /etc/dconf/profile/user (else
/usr/local/share or /usr/share/dconf/profile/user) lists the databases, the
user's own first (`user-db:user`), then system databases (`system-db:local`, ...) in lookup order. A system
database is compiled by `dconf update` from the keyfiles in /etc/dconf/db/<name>.d/ (read in name order, a
later file overriding an earlier one) and its locks from /etc/dconf/db/<name>.d/locks/; a key locked in a
database is read from that database or those below it, never from the user's. Without a profile file only the
user's database is read: the system keyfiles do nothing. Keyfiles newer than the compiled database are not in
effect until `dconf update` runs: what the older compiled database holds is not read here, so the setting is
then undetermined (never a pass); keyfiles of a database never compiled do nothing.

modprobe.d (modprobe.d(5)): *.conf in /etc/modprobe.d, /run/modprobe.d, /usr/local/lib/modprobe.d,
/usr/lib/modprobe.d, /lib/modprobe.d; a file name in an earlier directory hides the same name in a later one;
all files are read in name order. `blacklist usb_storage` only stops loading by device alias (plugging a disk in);
`install usb-storage /bin/false` (or /bin/true) replaces the loading itself, so nothing loads it. Module names
treat - and _ alike.

The running kernel's command line (/proc/cmdline, kernel-parameters.txt): `module_blacklist=a,b` makes the kernel
refuse to load those modules whatever asks; `modprobe.blacklist=a,b` is modprobe's `blacklist` (alias only).
An audit of a mounted root (--root) has no running kernel: the boot loader's configuration is not read.
"""

from __future__ import annotations

import re
import stat as stat_mod
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

SCHEMA = "/usr/share/glib-2.0/schemas/org.gnome.desktop.media-handling.gschema.xml"
PROFILE = "/etc/dconf/profile/user"
# dconf looks for the profile in /etc first, then in the data directories ($XDG_DATA_DIRS/dconf/profile).
PROFILES = (PROFILE, "/usr/local/share/dconf/profile/user", "/usr/share/dconf/profile/user")
DB_DIR = "/etc/dconf/db"
SECTION = "org/gnome/desktop/media-handling"
KEY = "autorun-never"
KEY_PATH = f"/{SECTION}/{KEY}"
MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                 "/lib/modprobe.d")
MODULE = "usb_storage"
NEVER = re.compile(r"^(/usr)?/bin/(false|true)$")
MAX_FILES = 200


def _profile_dbs(text: str) -> list[str]:
    dbs = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("system-db:"):
            dbs.append(line.split(":", 1)[1].strip())
    return dbs


def keyfile_value(text: str, section: str, key: str) -> tuple[str, int] | None:
    """The last value of `key` in `[section]` of a GLib keyfile, with its line number."""
    current, found = "", None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip().strip("/")
            continue
        name, sep, value = line.partition("=")
        if sep and current == section and name.strip() == key:
            found = (value.strip(), number)
    return found


def _gvariant_bool(text: str) -> bool | None:
    return {"true": True, "false": False}.get(text.strip().lower())


def _files(ctx: FactContext, directory: str) -> list[str]:
    try:
        names = ctx.transport.list_dir(directory)
    except FactUnavailable:
        return []
    return [f"{directory}/{n}" for n in sorted(names)[:MAX_FILES] if not n.startswith(".")]


def _mtime(ctx: FactContext, path: str) -> int | None:
    try:
        st = ctx.transport.stat(path)
    except FactUnavailable:
        return None
    return st.mtime


def _is_dir(ctx: FactContext, path: str) -> bool:
    try:
        return stat_mod.S_ISDIR(ctx.transport.stat(path).mode)
    except FactUnavailable:
        return False


def _database(ctx: FactContext, name: str) -> dict[str, Any]:
    """One system database: the key's value and source from its keyfiles, whether it locks the key, staleness."""
    keyfile_dir = f"{DB_DIR}/{name}.d"
    value: bool | None = None
    source = ""
    newest = 0
    for path in _files(ctx, keyfile_dir):
        if path.endswith("/locks") or _is_dir(ctx, path):
            continue
        text = ctx.read_text(path, "removable_media.autorun")
        newest = max(newest, _mtime(ctx, path) or 0)
        found = keyfile_value(text or "", SECTION, KEY)
        if found is not None:
            value, source = _gvariant_bool(found[0]), f"{path}:{found[1]}"
    locked, lock_source = False, ""
    for path in _files(ctx, f"{keyfile_dir}/locks"):
        text = ctx.read_text(path, "removable_media.autorun") or ""
        newest = max(newest, _mtime(ctx, path) or 0)
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if line and not line.startswith("#") and (line == KEY_PATH or (line.endswith("/")
                                                                           and KEY_PATH.startswith(line))):
                locked, lock_source = True, f"{path}:{number}"
    compiled = _mtime(ctx, f"{DB_DIR}/{name}")
    # Keyfiles never compiled: the database does not exist, so they do nothing. Compiled before the keyfiles
    # changed: it holds an older state nobody can read here (the binary is not parsed): unknown.
    stale = bool(source or locked) and (compiled is None or compiled < newest)
    return {"name": name, "value": value, "source": source, "locked": locked, "lock_source": lock_source,
            "stale": stale, "outdated": stale and compiled is not None}


def autorun(ctx: FactContext) -> dict[str, Any]:
    if not ctx.transport.exists(SCHEMA):
        return {"disabled": True, "desktop": False, "value": None, "locked": False, "databases": [], "stale": [],
                "source": f"{SCHEMA} absent: no GNOME desktop settings, nothing opens inserted media"}
    found, profile = ctx.read_first(PROFILES, "removable_media.autorun")
    profile_path = found or PROFILE
    names = _profile_dbs(profile) if profile is not None else []
    dbs = [_database(ctx, n) for n in names]
    live = [d for d in dbs if not d["stale"]]
    lock_at = max((i for i, d in enumerate(live) if d["locked"]), default=None)
    candidates = live[lock_at:] if lock_at is not None else live
    setting = next((d for d in candidates if d["source"]), None)
    value = setting["value"] if setting else None
    locked = lock_at is not None
    sources = [str(s) for s in ((setting or {}).get("source"),
                                live[lock_at]["lock_source"] if lock_at is not None else None) if s]
    if profile is None:
        sources.append(f"{PROFILE} absent: only each user's own database is read")
    elif not setting:
        sources.append(f"profile {profile_path}: {', '.join(names) or 'no system database'}")
    stale = [d["name"] for d in dbs if d["stale"]]
    if stale:
        sources.append(f"not compiled (dconf update): {', '.join(stale)}")
    disabled: bool | None = value is True and locked
    if any(d["outdated"] for d in dbs):
        disabled = None  # an older compiled database may set or lock it otherwise
    return {"disabled": disabled, "desktop": True, "value": value, "locked": locked,
            "databases": names, "stale": stale, "source": "; ".join(sources) or f"{KEY} not set ({SCHEMA})"}


def _module(name: str) -> str:
    return name.replace("-", "_")


def modprobe_files(ctx: FactContext) -> list[str]:
    """*.conf of the modprobe.d directories, a name in an earlier directory hiding it in later ones, name order."""
    chosen: dict[str, str] = {}
    for directory in MODPROBE_DIRS:
        for path in _files(ctx, directory):
            base = path.rsplit("/", 1)[1]
            if base.endswith(".conf"):
                chosen.setdefault(base, path)
    return [chosen[k] for k in sorted(chosen)]


def kernel_parameters(text: str) -> dict[str, list[str]]:
    """module_blacklist and modprobe.blacklist of a kernel command line: module names (- and _ alike)."""
    out: dict[str, list[str]] = {"module_blacklist": [], "modprobe.blacklist": []}
    for word in text.split():
        name, sep, value = word.partition("=")
        if sep and name in out:
            out[name] += [_module(m) for m in value.strip('"').split(",") if m]
    return out


def usb_storage(ctx: FactContext) -> dict[str, Any]:
    blacklisted, sources = False, []
    install: str | None = None
    kernel_blacklist: bool | None = None
    for path in modprobe_files(ctx):
        text = ctx.read_text(path, "removable_media.usb_storage") or ""
        text = re.sub(r"\\\n", " ", text)
        for number, raw in enumerate(text.splitlines(), 1):
            words = raw.split("#", 1)[0].split()
            if len(words) < 2 or _module(words[1]) != MODULE:
                continue
            if words[0] == "blacklist":
                blacklisted = True
                sources.append(f"{path}:{number} blacklist")
            elif words[0] == "install" and install is None:  # the first install command is the one used
                install = " ".join(words[2:])
                sources.append(f"{path}:{number} install {install}")
    loaded: bool | None = None
    if ctx.transport.live:
        cmdline = ctx.read_text("/proc/cmdline", "removable_media.usb_storage")
        if cmdline is not None:
            params = kernel_parameters(cmdline)
            kernel_blacklist = MODULE in params["module_blacklist"]
            if kernel_blacklist:
                sources.append("/proc/cmdline module_blacklist")
            if MODULE in params["modprobe.blacklist"]:
                blacklisted = True
                sources.append("/proc/cmdline modprobe.blacklist")
        modules = ctx.read_text("/proc/modules", "removable_media.usb_storage")
        if modules is not None:
            loaded = any(line.split(" ", 1)[0] == MODULE for line in modules.splitlines())
            sources.append("/proc/modules")
    builtin: bool | None = None
    kernels = _files(ctx, "/lib/modules") or _files(ctx, "/usr/lib/modules")
    for kernel in kernels:
        listed = ctx.read_text(f"{kernel}/modules.builtin")
        if listed is not None:
            builtin = bool(builtin) or any(_module(line.rsplit("/", 1)[-1]) == f"{MODULE}.ko"
                                           for line in listed.splitlines())
    if builtin:
        sources.append("modules.builtin lists usb-storage")
    never = bool(kernel_blacklist) or (install is not None and bool(NEVER.match(install.strip())))
    return {"blocked": never and not builtin and loaded is not True, "blacklisted": blacklisted, "install": install,
            "kernel_blacklist": kernel_blacklist, "loaded": loaded, "builtin": builtin,
            "source": "; ".join(sources) or "modprobe.d: nothing about usb-storage"}


@collector("removable_media", ("removable_media",))
def collect_removable_media(ctx: FactContext) -> None:
    ctx.put("removable_media", {"autorun": autorun(ctx), "usb_storage": usb_storage(ctx)})
