"""zip archives: the central directory is read, then every member is decompressed in file order
and its CRC-32 compared (zipfile raises on a mismatch). Encrypted members cannot be checked
without their password and are listed, not failed."""

from __future__ import annotations

import zipfile
from collections.abc import Callable

from secaudit.backup.verify import Problem

CHUNK = 1 << 20
MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def check_zip(path: str, progress: Callable[[int], None] | None = None) -> tuple[list[Problem], list[str], int]:
    """(problems, encrypted member names, members checked)."""
    problems: list[Problem] = []
    encrypted: list[str] = []
    checked = 0
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        return [Problem(path, "truncated", f"zip: {exc} (no readable central directory: truncated or "
                                           f"not a zip)")], [], 0
    except OSError as exc:
        return [Problem(path, "unreadable", f"zip: {exc.strerror or exc}")], [], 0
    with archive:
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
