"""The X session's start-up scripts and the X screen saver time their `xset s` lines set (light-locker locks a
while after the X screen saver starts, desktop_xlock.py).

Which scripts run is LightDM's [Seat:*] session-wrapper: its own default, lightdm-session, sources /etc/xprofile
then ~/.xprofile before it starts the session; Debian and Ubuntu set /etc/X11/Xsession (01_debian.conf), which
sources, in name order, the files of /etc/X11/Xsession.d whose names are only letters, digits, `_` and `-`
(`run-parts --list`: `50x11.sh` is not run); one of them (Debian's 40x11-common_xsessionrc) sources the person's
~/.xsessionrc. Where a script sources `$USERXSESSIONRC`, ~/.xsessionrc, /etc/xprofile or ~/.xprofile, that file
is read at that place (the test around it, whether the file is there, is known: it is read or absent). Another
session-wrapper's scripts are not read.

Only plain `xset` command lines count: `xset s N [cycle]` (N seconds; 0 turns the screen saver off), `xset s off`,
`xset s default` / `xset s on` (the X server's own time). `xset -dpms`, `xset dpms ...`, `xset s blank|noblank`
do not change when the screen saver starts. An `xset s` inside an if/case/loop, after `&&` or `||`, or inside a
function or `{ }` group cannot be evaluated here: it is kept as a conditional setter, whose value is unknown when
it is the last one. The last setter in execution order wins; the desktop's autostart entries run after all these.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass

from secaudit.facts.linux.desktop_autostart import command_words
from secaudit.facts.linux.desktop_ini import MAX_LINES

XSESSION_D = "/etc/X11/Xsession.d"
XPROFILE = "/etc/xprofile"
OWN_XPROFILE = ".xprofile"
OWN_XSESSIONRC = ".xsessionrc"
RUN_PARTS = re.compile(r"^[A-Za-z0-9_-]+$")  # run-parts --list without --lsbsysinit
PUSH = frozenset({"if", "while", "until", "for", "case", "select", "{"})
POP = frozenset({"fi", "done", "esac", "}"})
LEADING = frozenset({"then", "else", "elif", "do", "!", "time", "command", "nohup", "env"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
MAX_TIMEOUT = 32767  # SetScreenSaver's timeout is an INT16
TOO_LONG = -1
MAX_JOIN = 200  # lines an open quote may span before the rest is given up on


@dataclass(frozen=True)
class Setter:
    """One `xset s` line: seconds (0: off; None: the X server's own time), file:line, and whether it runs only
    under a condition that is not evaluated here."""
    seconds: int | None
    where: str
    conditional: bool


@dataclass(frozen=True)
class Source:
    """A `. FILE` / `source FILE` line: the file named, as written."""
    target: str
    where: str


def xset_values(words: list[str]) -> list[int | None]:
    """The screen saver times the `xset` commands among these words set: seconds, 0 for off, None for the
    server's default, TOO_LONG for a number X cannot take (what the server then does is not known)."""
    out: list[int | None] = []
    for i, word in enumerate(words):
        if posixpath.basename(word) != "xset":
            continue
        args = words[i + 1:]
        for j, arg in enumerate(args):
            if arg != "s":
                continue
            value = args[j + 1] if j + 1 < len(args) else "default"
            if value == "off" or value.isdigit():  # the protocol's timeout is 16 bits: more is not a time
                out.append(0 if value == "off" else int(value) if int(value) <= MAX_TIMEOUT else TOO_LONG)
            elif value in ("default", "on"):
                out.append(None)
    return out


def xset_timeouts(command: str) -> list[int | None]:
    """The screen saver times `xset s ...` sets in a command (an autostart line), `sh -c '...'` included."""
    return xset_values(command_words(command))


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _logical_lines(text: str, path: str, invalid: list[str]) -> list[tuple[int, list[str]]]:
    """(first line, tokens) of each command line: backslash-newline joined, a quote left open running on."""
    out: list[tuple[int, list[str]]] = []
    buf, start = "", 0
    for number, raw in enumerate(text.split("\n")[:MAX_LINES], 1):
        if not buf:
            start = number
        buf = f"{buf}\n{raw}" if buf else raw
        if buf.endswith("\\") and not buf.endswith("\\\\"):
            buf = buf[:-1]
            continue
        try:
            tokens = _tokens(buf)
        except ValueError:
            if number - start < MAX_JOIN:
                continue
            invalid.append(f"{path}:{start}: a quote is never closed")
            tokens = []
        out.append((start, tokens))
        buf = ""
    if buf:
        invalid.append(f"{path}:{start}: a quote is never closed")
    return out


def script_events(text: str, path: str, invalid: list[str]) -> list[Setter | Source]:
    """The `xset s` setters and sourced files of a POSIX shell script, in order."""
    out: list[Setter | Source] = []
    depth = 0
    for number, tokens in _logical_lines(text, path, invalid):
        after_and_or = False
        commands: list[tuple[list[str], bool]] = []
        words: list[str] = []
        skip = False
        for token in tokens:
            if skip:
                skip = False
                continue
            if token and set(token) <= set("();<>|&"):
                if "<" in token or ">" in token:
                    skip = token in ("<", ">", ">>", "<<", ">|", "<>", "&>", "&>>")  # its file comes next
                    continue
                commands.append((words, after_and_or))
                words = []
                if token in ("&&", "||"):
                    after_and_or = True
                elif token not in ("|", "|&", "()", "(", ")"):
                    after_and_or = False
                continue
            words.append(token)
        commands.append((words, after_and_or))
        for command, chained in commands:
            while command and (command[0] in LEADING or _ASSIGNMENT.match(command[0])):
                command = command[1:]  # keywords, and `NAME=value` assignments before a command
            if not command:
                continue
            if command[0] in POP:
                depth = max(0, depth - 1)
                continue
            if command[0] != "{" and command[-1] == "{":
                depth += 1  # `function name {`, `name() {` written on one line
                continue
            if command[0] in PUSH:
                depth += 1
                command = command[1:] if command[0] == "{" else command
                chained = True  # a condition, a loop's list or a group: not evaluated
            where = f"{path}:{number}"
            if command and command[0] in (".", "source") and len(command) > 1:
                out.append(Source(command[1], where))
                continue
            conditional = depth > 0 or chained
            out.extend(Setter(v, where, conditional) for v in xset_values(command)
                       if posixpath.basename(command[0]) == "xset")
    return out


@dataclass
class Scripts:
    """The session's start-up scripts: (path, text) of the system's, of one person's own (None: they have none)."""
    wrapper: str  # LightDM's session-wrapper
    xsession_d: list[tuple[str, str]]
    xprofile: tuple[str, str] | None = None


def sessiond_names(names: list[str]) -> list[str]:
    """The Xsession.d files Debian's Xsession sources, in the order it sources them."""
    return sorted((n for n in names if RUN_PARTS.match(n)), key=lambda n: n.encode())


def setters(system: Scripts, xsessionrc: tuple[str, str] | None, xprofile: tuple[str, str] | None,
            invalid: list[str]) -> list[Setter]:
    """Every `xset s` setter of the start-up scripts in the order they run, with a person's own ~/.xsessionrc and
    ~/.xprofile where the scripts source them (None: no such file)."""
    def events(source: tuple[str, str] | None) -> list[Setter | Source]:
        return script_events(source[1], source[0], invalid) if source is not None else []

    def spliced(found: list[Setter | Source]) -> list[Setter]:
        out: list[Setter] = []
        for event in found:
            if isinstance(event, Setter):
                out.append(event)
            elif "xsessionrc" in event.target.lower():
                out += [e for e in events(xsessionrc) if isinstance(e, Setter)]
            elif event.target.endswith("xprofile"):
                chosen = system.xprofile if event.target.startswith("/etc/") else xprofile
                out += [e for e in events(chosen) if isinstance(e, Setter)]
        return out

    wrapper = posixpath.basename(system.wrapper.split()[0]) if system.wrapper.split() else "lightdm-session"
    if wrapper == "Xsession":
        return [s for path, text in system.xsession_d for s in spliced(script_events(text, path, invalid))]
    if wrapper == "lightdm-session":
        return [e for e in [*events(system.xprofile), *events(xprofile)] if isinstance(e, Setter)]
    return []
