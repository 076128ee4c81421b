"""Where the agent keeps its files when nothing says otherwise, on each OS, in one place.

Windows: everything under `%ProgramData%\\secaudit\\` (`secaudit.toml`, `keys\\`, `state\\`, `reports\\`),
a folder only SYSTEM and Administrators should reach (`ACL_COMMAND`: %ProgramData% lets every user read,
and create files in, the folders made under it). Elsewhere: `/etc/secaudit/secaudit.toml`,
`/etc/secaudit/keys`, `/var/lib/secaudit` (run as root; an unprivileged user's state is under
$XDG_STATE_HOME) and `/var/lib/secaudit/reports`.

The functions take the OS name (`os.name`), the environment and whether the run is privileged, so the
Windows answers can be checked on any OS: they return pure paths of that OS; `local()` turns one into a
Path of the running OS."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

APP = "secaudit"
STATE_ENV = "SECAUDIT_STATE_DIR"
KEY_DIR_ENV = "SECAUDIT_KEY_DIR"
WINDOWS_PROGRAM_DATA = r"C:\ProgramData"
SYSTEM_SID, ADMINISTRATORS_SID = "S-1-5-18", "S-1-5-32-544"


def _env(environ: Mapping[str, str] | None, name: str) -> str:
    """An environment variable, its name matched without case (as Windows does)."""
    env = os.environ if environ is None else environ
    if name in env:
        return env[name]
    folded = name.casefold()
    return next((value for key, value in env.items() if key.casefold() == folded), "")


def is_windows(os_name: str | None = None) -> bool:
    return (os_name or os.name) == "nt"


def _privileged() -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is None or geteuid() == 0  # Windows: the agent's places are machine-wide


@dataclass(frozen=True)
class Layout:
    """The default places of one OS: `base` holds the rest on Windows."""

    base: PurePath
    config: PurePath
    keys: PurePath
    state: PurePath
    reports: PurePath


def program_data(environ: Mapping[str, str] | None = None) -> PureWindowsPath:
    """%ProgramData% (C:\\ProgramData when unset or not absolute)."""
    value = PureWindowsPath(_env(environ, "ProgramData") or WINDOWS_PROGRAM_DATA)
    return value if value.is_absolute() else PureWindowsPath(WINDOWS_PROGRAM_DATA)


def layout(os_name: str | None = None, environ: Mapping[str, str] | None = None,
           privileged: bool | None = None) -> Layout:
    """The default places for `os_name` (default: this OS). $SECAUDIT_KEY_DIR and $SECAUDIT_STATE_DIR,
    when set, win on every OS. Reports: `reports` beside the others on Windows, in the state folder
    elsewhere."""
    if is_windows(os_name):
        base: PurePath = program_data(environ) / APP
        cls: type[PurePath] = PureWindowsPath
        config, keys, state = base / f"{APP}.toml", base / "keys", base / "state"
    else:
        cls = PurePosixPath
        base = PurePosixPath("/etc") / APP
        config, keys = base / f"{APP}.toml", base / "keys"
        if privileged if privileged is not None else _privileged():
            state = PurePosixPath("/var/lib") / APP
        else:
            home = _env(environ, "XDG_STATE_HOME") or str(PurePosixPath(_env(environ, "HOME") or "~") / ".local/state")
            state = PurePosixPath(home) / APP
    if _env(environ, KEY_DIR_ENV):
        keys = cls(_env(environ, KEY_DIR_ENV))
    if _env(environ, STATE_ENV):
        state = cls(_env(environ, STATE_ENV))
    reports = base / "reports" if is_windows(os_name) else state / "reports"
    return Layout(base=base, config=config, keys=keys, state=state, reports=reports)


def local(path: PurePath) -> Path:
    """A default place as a Path of the running OS (`~` expanded)."""
    return Path(str(path)).expanduser()


def config_path() -> Path:
    return local(layout().config)


def key_dir() -> Path:
    return local(layout().keys)


def state_dir() -> Path:
    return local(layout().state)


def reports_dir() -> Path:
    return local(layout().reports)


def acl_command(directory: PurePath | str) -> list[str]:
    """icacls arguments that leave `directory` (and what it holds, by inheritance) to SYSTEM and the
    Administrators group only, named by SID so a Vietnamese (or any) Windows UI reads them the same."""
    return ["icacls", str(directory), "/inheritance:r", "/grant:r",
            f"*{SYSTEM_SID}:(OI)(CI)F", f"*{ADMINISTRATORS_SID}:(OI)(CI)F"]


def _icacls(argv: Sequence[str]) -> tuple[int, str]:
    try:
        done = subprocess.run(list(argv), capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 1, str(exc)
    message = (done.stderr or done.stdout).decode("utf-8", "replace").strip().splitlines()
    return done.returncode, message[0].strip() if message else f"exit {done.returncode}"


def restrict(directory: PurePath | str, run: Callable[[Sequence[str]], tuple[int, str]] | None = None) -> str | None:
    """On Windows, leave a folder the agent has just made to SYSTEM and Administrators (`acl_command`);
    elsewhere nothing (POSIX modes do it). Returns why it could not be done, None when done."""
    if not is_windows():
        return None
    code, message = (run or _icacls)(acl_command(directory))
    return None if code == 0 else message.rstrip(".")
