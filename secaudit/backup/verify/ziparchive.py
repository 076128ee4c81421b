"""zip archives: the central directory is read, then every member is decompressed in file order
and its CRC-32 compared (zipfile raises on a mismatch). Encrypted members cannot be checked
without their password and are listed, not failed. Members whose data overlap (the trick of
non-recursive zip bombs: thousands of entries inflating the same bytes) are refused unread."""

from __future__ import annotations

import contextlib
import itertools
import zipfile
from collections.abc import Callable, Iterator

from secaudit.backup.verify import Problem
from secaudit.backup.verify.regular import open_regular

CHUNK = 1 << 20
MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_LOCAL_HEADER = 30  # fixed part of a local file header


def overlapping(infos: list[zipfile.ZipInfo]) -> str | None:
    """The first member whose data would run into the next member's header, or None."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for this, nxt in itertools.pairwise(ordered):
        codec = "utf-8" if this.flag_bits & 0x800 else "cp437"  # as the name is stored in the file
        end = this.header_offset + _LOCAL_HEADER + len(this.orig_filename.encode(codec, "replace")) \
            + this.compress_size  # a lower bound: the local extra field is not counted
        if nxt.header_offset < end:
            return f"{this.filename} and {nxt.filename}"
    return None


@contextlib.contextmanager
def open_archive(path: str, nofollow: bool = False) -> Iterator[zipfile.ZipFile]:
    """A ZipFile on a regular file only (never a FIFO swapped in after the listing)."""
    with open(open_regular(path, nofollow), "rb") as fh, zipfile.ZipFile(fh) as archive:
        yield archive


def check_zip(path: str, progress: Callable[[int], None] | None = None, nofollow: bool = False
              ) -> tuple[list[Problem], list[str], int]:
    """(problems, encrypted member names, members checked)."""
    try:
        with open_archive(path, nofollow) as archive:
            return _check_members(path, archive, progress)
    except zipfile.BadZipFile as exc:
        return [Problem(path, "truncated", f"zip: {exc} (no readable central directory: truncated or "
                                           f"not a zip)")], [], 0
    except OSError as exc:
        return [Problem(path, "unreadable", f"zip: {exc.strerror or exc}")], [], 0
    except Exception as exc:  # a central directory that makes zipfile itself trip
        return [Problem(path, "corrupt", f"zip: unreadable central directory ({type(exc).__name__}: {exc})")], [], 0


def _check_members(path: str, archive: zipfile.ZipFile, progress: Callable[[int], None] | None
                   ) -> tuple[list[Problem], list[str], int]:
    problems: list[Problem] = []
    encrypted: list[str] = []
    checked = 0
    clash = overlapping(archive.infolist())
    if clash:
        return [Problem(path, "corrupt", f"zip: members {clash} overlap (a zip bomb or a damaged "
                                         f"central directory): not decompressed")], [], 0
    for info in sorted(archive.infolist(), key=lambda i: i.header_offset):
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            encrypted.append(info.filename)
            continue
        try:
            with archive.open(info) as member:
                while True:
                    chunk = member.read(CHUNK)
                    if not chunk:
                        break
            checked += 1
        except zipfile.BadZipFile as exc:
            text = str(exc)
            code = "bad_crc" if "CRC" in text else "corrupt"
            problems.append(Problem(path, code, f"zip member {info.filename}: {text}"))
        except NotImplementedError as exc:
            problems.append(Problem(path, "tool_error", f"zip member {info.filename}: {exc}"))
        except (EOFError, OSError, ValueError) as exc:
            text = str(exc) or type(exc).__name__
            code = "truncated" if isinstance(exc, EOFError) else "corrupt"
            problems.append(Problem(path, code, f"zip member {info.filename}: {text}"))
        except Exception as exc:  # zlib.error and friends: a damaged deflate stream
            problems.append(Problem(path, "corrupt", f"zip member {info.filename}: {type(exc).__name__}: {exc}"))
        if progress is not None:
            progress(info.compress_size)
    return problems, encrypted, checked
