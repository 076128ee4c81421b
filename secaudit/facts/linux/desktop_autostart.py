"""What a graphical session starts: XDG autostart entries, read as the Desktop Application Autostart
specification says (a *.desktop file of /etc/xdg/autostart, or of a person's ~/.config/autostart, which hides the
system's file of the same name; not run when Hidden=true, when OnlyShowIn names none of the session's desktop
names or NotShowIn names one; its Exec without the field codes %f %F %u %U %i %c %k), and the words of the shell
commands such entries and autostart files run."""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field

from secaudit.facts.context import FactContext
from secaudit.facts.linux.desktop_ini import glib_bool, parse_keyfile, read_checked

AUTOSTART = "/etc/xdg/autostart"
# programs that run the XDG autostart entries for a compositor that does not do it itself (Raspberry Pi OS's labwc
# autostart and Wayfire defaults.ini run lxsession-xdg-autostart)
RUNNERS = frozenset({"lxsession-xdg-autostart"})
MAX_FILES = 200


@dataclass
class Entries:
    """A person's own XDG autostart entries (~/.config/autostart): name.desktop -> (path, text), which hide the
    system's of the same name, and those there but unreadable (the answer is then unknown)."""
    found: dict[str, tuple[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def command_words(command: str) -> list[str]:
    """A shell command's words, the words of `sh -c '...'` strings included; [] when it does not parse."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        return []
    out: list[str] = []
    for word in words:
        out.extend(command_words(word) if any(c.isspace() for c in word) else [word])
    return out


def runs_runner(commands: list[tuple[str, str]]) -> bool:
    """Whether one of these commands runs the XDG autostart entries."""
    return any(posixpath.basename(w) in RUNNERS for command, _ in commands for w in command_words(command))


def entry_command(text: str, path: str, names: list[str], invalid: list[str]) -> tuple[str, str] | None:
    """(Exec, file:line) of an XDG autostart entry that runs in a session named `names`, else None."""
    parsed = parse_keyfile(text, path)
    invalid.extend(parsed.invalid)
    entry = parsed.groups.get("Desktop Entry", {})
    hidden, command = entry.get("Hidden"), entry.get("Exec")
    if (hidden is not None and glib_bool(hidden.value)) or command is None or not command.value:
        return None
    only, never = entry.get("OnlyShowIn"), entry.get("NotShowIn")
    if only is not None and not set(only.value.split(";")) & set(names):
        return None
    if never is not None and set(never.value.split(";")) & set(names):
        return None
    return re.sub(r"%[fFuUick]", "", command.value).replace("%%", "%"), command.source


def entry_files(ctx: FactContext, directory: str, unknown_key: str, read: list[str], problems: list[str]
                ) -> dict[str, tuple[str, str]]:
    """name.desktop -> (path, text) of a directory's entries; one there but unreadable is noted in `problems`."""
    found: dict[str, tuple[str, str]] = {}
    for name in sorted(ctx.list_dir(directory))[:MAX_FILES]:
        if not name.endswith(".desktop") or name.startswith("."):
            continue
        path = f"{directory}/{name}"
        text, problem = read_checked(ctx, path, unknown_key)
        if problem is not None:
            problems.append(problem)
        elif text is not None:
            read.append(path)
            found[name] = (path, text)
    return found


def own_entries(ctx: FactContext, home: str, unknown_key: str, read: list[str]) -> Entries:
    """A person's own XDG autostart entries (their ~/.config/autostart)."""
    out = Entries()
    out.found = entry_files(ctx, f"{home}/.config/autostart", unknown_key, read, out.problems)
    return out


def commands_of(entries: dict[str, tuple[str, str]], names: list[str], invalid: list[str]) -> list[tuple[str, str]]:
    """(Exec, file:line) of the entries that run, in name order."""
    return [c for _, (path, text) in sorted(entries.items())
            if (c := entry_command(text, path, names, invalid)) is not None]
