"""Removable media on Linux: AutoRun of inserted media per desktop (media_autorun.py, through dconf.py for the
GSettings desktops), and the usb-storage driver.

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
from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.media_autorun import autorun
from secaudit.facts.registry import collector
from secaudit.transport.base import FactUnavailable

MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                 "/lib/modprobe.d")
MODULE = "usb_storage"
NEVER = re.compile(r"^(/usr)?/bin/(false|true)$")
MAX_FILES = 200


def _files(ctx: FactContext, directory: str) -> list[str]:
    try:
        names = ctx.transport.list_dir(directory)
    except FactUnavailable:
        return []
    return [f"{directory}/{n}" for n in sorted(names)[:MAX_FILES] if not n.startswith(".")]


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
