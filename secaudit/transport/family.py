"""Which OS family a transport reaches: the key of the collectors that run (secaudit/facts/<family>/) and of the
checks that apply. The transport says it: this machine from the running OS, a mounted or remote system by
probing it, a recording from what it recorded. Never a default."""

from __future__ import annotations

import platform
import sys
from typing import Any

from secaudit.transport.base import FactUnavailable

FAMILIES = ("linux", "windows")
# A Windows system drive, mounted or reached over SFTP: the folder is there whatever the UI language.
WINDOWS_MARKERS = ("/Windows/System32", "/WINDOWS/system32", "/windows/system32", "/C:/Windows/System32")


def local_family() -> str:
    """The running OS: linux, windows, or the lower-case name of another (darwin, freebsd), which has no
    collectors and no checks of its own."""
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "win32":
        return "windows"
    return platform.system().lower() or sys.platform


def _uname(transport: Any) -> str | None:
    try:
        res = transport.run(["uname", "-s"], timeout=10.0)
    except FactUnavailable:
        return None
    name = res.stdout.strip().lower() if res.rc == 0 else ""
    return name or None


def probe(transport: Any, commands: bool = True) -> str:
    """The family of the system behind `transport`, from what it shows: a Windows tree has Windows/System32;
    where commands run, `uname -s` names the kernel; a tree without either is read the POSIX way, as Linux
    (its collectors then say whether it looks like a system at all)."""
    for marker in WINDOWS_MARKERS:
        try:
            if transport.exists(marker):
                return "windows"
        except FactUnavailable:
            continue
    kernel = _uname(transport) if commands else None
    if kernel is None or kernel == "linux":
        return "linux"
    if kernel.startswith(("mingw", "msys", "cygwin", "windows")):
        return "windows"
    return kernel
