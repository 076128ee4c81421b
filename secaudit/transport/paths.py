"""Path helpers that work through any transport (local, --root, SSH, replay)."""

from __future__ import annotations

import fnmatch
import posixpath
import re

from secaudit import limits
from secaudit.transport.base import FactUnavailable, TooLarge, Transport

_MAGIC = re.compile(r"[*?\[]")


def is_glob(path: str) -> bool:
    return bool(_MAGIC.search(path))


def expand_glob(transport: Transport, pattern: str) -> list[str]:
    """Paths matching `pattern` on the audited system, sorted like glob(3). Raises
    FactUnavailable (permission denied) when a directory on the way cannot be listed."""
    parts = [p for p in pattern.split("/") if p]
    found = ["/"]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        nxt: list[str] = []
        for base in found:
            if not _MAGIC.search(part):
                nxt.append(posixpath.join(base, part))
                continue
            try:
                names = transport.list_dir(base)
            except FactUnavailable as exc:
                if exc.code == "not_found":
                    continue
                raise
            for name in names:
                if name.startswith(".") and not part.startswith("."):
                    continue  # glob(3): a leading dot must be matched explicitly
                if fnmatch.fnmatchcase(name, part):
                    nxt.append(posixpath.join(base, name))
        if len(nxt) > limits.DIR_ENTRIES:  # a pattern like /*/*/*/* over a whole image
            raise TooLarge(f"{pattern} (more than {limits.DIR_ENTRIES} matches)")
        found = nxt if last else [p for p in nxt if _is_dir(transport, p)]
    # like glob(3): a literal path is returned only if it exists
    return sorted(p for p in found if transport.exists(p))


def _is_dir(transport: Transport, path: str) -> bool:
    try:
        return transport.stat(path).is_dir
    except FactUnavailable:
        return False
