"""SQL dumps: a dump that stopped half-way still "succeeds" as a file. mysqldump and pg_dump
write an end marker as their last comment; the custom format of pg_dump is read by pg_restore."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile

from secaudit.backup.verify import FormatError, Sink

HEAD = 4096
TAIL = 4096
PG_CUSTOM_MAGIC = b"PGDMP"
TOOL_TIMEOUT = 3600.0  # seconds for pg_restore on one file when the run has no deadline
ERR_TAIL = 16 << 10  # the end of pg_restore's messages, which names the problem

# (flavour, header marker, end marker)
_FLAVOURS = (
    ("mysqldump", (b"-- MySQL dump", b"-- MariaDB dump"), (b"-- Dump completed",)),
    ("pg_dumpall", (b"-- PostgreSQL database cluster dump",), (b"-- PostgreSQL database cluster dump complete",)),
    ("pg_dump", (b"-- PostgreSQL database dump",), (b"-- PostgreSQL database dump complete",)),
)


def sql_flavour(head: bytes) -> str | None:
    """The dump tool, from the first lines; None when the stream is not a recognised SQL dump."""
    window = head[:HEAD]
    for flavour, starts, _ in _FLAVOURS:
        if any(marker in window for marker in starts):
            return flavour
    return None


def _end_markers(flavour: str) -> tuple[bytes, ...]:
    return next(ends for name, _, ends in _FLAVOURS if name == flavour)


class SqlDumpSink(Sink):
    """Checks the end marker of a mysqldump / pg_dump / pg_dumpall plain-text dump."""

    def __init__(self, flavour: str) -> None:
        self.flavour = flavour
        self._tail = bytearray()
        self.size = 0

    def feed(self, data: memoryview | bytes) -> None:
        self.size += len(data)
        if len(data) >= TAIL:
            self._tail = bytearray(data[-TAIL:])
        else:
            self._tail += data
            del self._tail[:-TAIL]

    def finish(self) -> None:
        tail = bytes(self._tail)
        if not any(marker in tail for marker in _end_markers(self.flavour)):
            # Only the statement's keyword: the rest of the line is data (names, hashes) that has no
            # place in a report.
            last = tail.rstrip().rsplit(b"\n", 1)[-1].lstrip()
            word = re.match(rb"[A-Za-z-]{1,20}", last)
            what = f"the last line starts with {word.group().decode()}" if word else "the last line is data"
            marker = _end_markers(self.flavour)[0].decode()
            raise FormatError("incomplete_dump", f"{self.flavour}: no '{marker}' at the end (the dump stopped "
                                                 f"early; {what})")


def check_pg_custom(path: str, timeout: float | None) -> None:
    """pg_dump -Fc: `pg_restore --list` reads the table of contents; restoring to /dev/null reads
    and decompresses every data block, which catches truncation the TOC cannot show. Only the end
    of pg_restore's messages is kept, so a damaged file that makes it print without end costs nothing."""
    exe = shutil.which("pg_restore")
    if exe is None:
        raise FormatError("tool_error", "pg_restore is not installed: cannot verify a pg_dump custom-format file")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    for argv in ([exe, "--list", path], [exe, "--file", os.devnull, path]):
        with tempfile.TemporaryFile() as err:
            try:
                proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=err, timeout=timeout or TOOL_TIMEOUT,
                                      env=env, stdin=subprocess.DEVNULL, check=False)
            except subprocess.TimeoutExpired:
                raise FormatError("tool_error", f"{' '.join(argv[:2])} did not finish in time") from None
            except OSError as exc:
                raise FormatError("tool_error", f"pg_restore cannot run: {exc.strerror or exc}") from None
            if proc.returncode == 0:
                continue
            err.seek(max(0, err.seek(0, os.SEEK_END) - ERR_TAIL))
            message = err.read(ERR_TAIL).decode("utf-8", "replace").strip().splitlines()
        text = "; ".join(message[-3:])[:600] or f"exit code {proc.returncode}"
        code = "tool_error" if "unsupported version" in text else "corrupt"
        if "could not read" in text or "unexpected end" in text or "end of file" in text:
            code = "truncated"
        raise FormatError(code, f"pg_restore: {text}")
