"""Run `secaudit` in a subprocess that looks like Windows where secaudit can tell: the POSIX-only modules
(fcntl, pwd, grp, termios) cannot be imported, `sys.platform` is "win32" and `msvcrt.locking` exists (a
stand-in over flock, whole-file, enough to show who holds a lock). The standard library and the third-party
packages are imported first under the real platform (their own Windows branches need Windows itself), then
the platform is switched and the command runs. `os.name` stays "posix": pathlib and os.path cannot change
flavour inside a process, so paths are still POSIX ones (a Windows path like D:\\x is reached as the relative
directory "D:" under the working directory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

POSIX_ONLY = ("fcntl", "pwd", "grp", "termios")

PRELUDE = """
import errno, sys, types
import fcntl as _fcntl
for _name in %(blocked)r:
    sys.modules[_name] = None
import asyncio, click, cryptography, httpcore, httpx, jinja2, multiprocessing, nmap, psutil
import shutil, subprocess, tempfile
# (all of them before msvcrt exists: they would take their Windows branches)
import secaudit.cli
_msvcrt = types.ModuleType("msvcrt")
_msvcrt.LK_UNLCK, _msvcrt.LK_LOCK, _msvcrt.LK_NBLCK = 0, 1, 2
def _locking(fd, mode, nbytes):
    try:
        _fcntl.flock(fd, _fcntl.LOCK_EX | (_fcntl.LOCK_NB if mode == 2 else 0))
    except BlockingIOError:
        raise OSError(errno.EACCES, "Permission denied") from None
_msvcrt.locking = _locking
sys.modules["msvcrt"] = _msvcrt
sys.platform = "win32"
sys.argv = ["secaudit", *sys.argv[1:]]
secaudit.cli.run()
"""


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
        ) -> subprocess.CompletedProcess[str]:
    code = PRELUDE % {"blocked": POSIX_ONLY}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
