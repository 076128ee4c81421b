"""Checksum manifests as written by sha256sum/sha512sum/sha1sum/md5sum/b2sum/b3sum:

    <hex>  <name>           text mode
    <hex> *<name>           binary mode
    \\<hex>  <escaped name>  a name with a backslash or newline (\\\\, \\n, \\r escaped)
    SHA256 (<name>) = <hex> BSD tag format (--tag)
    <hex>                   a sidecar file ("db.sql.gz.sha256" holding only the digest)

Relative names are relative to the manifest's directory, as `sha256sum -c` is run there."""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import re
from dataclasses import dataclass
from typing import Any

from secaudit.backup.verify import Problem

# Manifest file names recognised beside the copies, and the algorithm they imply.
NAMED = {
    "sha256sums": "sha256", "sha512sums": "sha512", "sha1sums": "sha1", "md5sums": "md5",
    "sha224sums": "sha224", "sha384sums": "sha384", "b2sums": "blake2b", "b3sums": "blake3",
    "checksums": None, "checksums.txt": None, "sha256sums.txt": "sha256", "b3sums.txt": "blake3",
}
SUFFIXES = {
    ".sha256": "sha256", ".sha256sum": "sha256", ".sha512": "sha512", ".sha512sum": "sha512",
    ".sha1": "sha1", ".md5": "md5", ".b2": "blake2b", ".b2sum": "blake2b", ".b3": "blake3", ".b3sum": "blake3",
}
_TAGS = {"SHA256": "sha256", "SHA512": "sha512", "SHA1": "sha1", "MD5": "md5", "SHA224": "sha224",
         "SHA384": "sha384", "BLAKE2b": "blake2b", "BLAKE3": "blake3"}
_TAG_LINE = re.compile(r"^(?P<tag>[A-Z0-9]+(?:b)?(?:-(?P<bits>\d+))?) \((?P<name>.*)\) = (?P<hex>[0-9a-fA-F]+)$")
_LINE = re.compile(r"^(?P<hex>[0-9a-fA-F]{8,}) (?P<mode>[ *^])(?P<name>.+)$")
_HEX_ONLY = re.compile(r"^[0-9a-fA-F]{32,}$")
_BY_LENGTH = {32: "md5", 40: "sha1", 56: "sha224", 64: "sha256", 96: "sha384", 128: "sha512"}


def is_manifest_name(name: str) -> bool:
    low = name.lower()
    return low in NAMED or any(low.endswith(s) for s in SUFFIXES)


def algorithm_for(manifest_name: str) -> str | None:
    low = manifest_name.lower()
    if low in NAMED:
        return NAMED[low]
    for suffix, algo in SUFFIXES.items():
        if low.endswith(suffix):
            return algo
    return None


@dataclass(frozen=True)
class Expected:
    path: str  # absolute path of the file the digest is for
    algo: str  # sha256 | sha512 | sha1 | md5 | sha224 | sha384 | blake2b | blake3
    digest: str  # lower-case hex
    where: str  # "manifest:line"


def _unescape(name: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(name):
        c = name[i]
        if c == "\\" and i + 1 < len(name):
            nxt = name[i + 1]
            out.append({"\\": "\\", "n": "\n", "r": "\r"}.get(nxt, "\\" + nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


MAX_LINE = 16 << 10  # a path (4 KiB at most on Linux, escaped) and a 128-digit digest fit easily
_MAX_DIGEST_HEX = 128  # SHA-512, BLAKE2b-512; b3sum may print longer (--length), not worth more


def _algo_for_digest(hinted: str | None, hexlen: int) -> str | None:
    if hexlen % 2 or not 8 <= hexlen <= _MAX_DIGEST_HEX:
        return None
    if hinted == "blake2b" or hinted == "blake3":
        return hinted
    if hinted is not None:
        return hinted if hashlib.new(hinted).digest_size * 2 == hexlen else None
    return _BY_LENGTH.get(hexlen)


def parse(text: str, manifest_path: str) -> tuple[list[Expected], list[Problem]]:
    """Entries and malformed lines of a manifest. `manifest_path` is absolute (POSIX)."""
    base = posixpath.dirname(manifest_path)
    name = posixpath.basename(manifest_path)
    hinted = algorithm_for(name)
    entries: list[Expected] = []
    problems: list[Problem] = []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for number, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{manifest_path}:{number}"
        if len(line) > MAX_LINE:  # never hand an absurd line to the regular expressions
            problems.append(Problem(manifest_path, "malformed_manifest", f"line {number}: longer than "
                                                                         f"{MAX_LINE} characters"))
            continue
        escaped = line.startswith("\\")
        body = line[1:] if escaped else line
        algo: str | None
        tag = _TAG_LINE.match(body)
        if tag:
            family = tag.group("tag").split("-")[0]
            algo = _TAGS.get(family)
            target, digest = tag.group("name"), tag.group("hex")
            if algo is not None and _algo_for_digest(algo, len(digest)) is None:
                problems.append(Problem(manifest_path, "malformed_manifest",
                                        f"line {number}: a {len(digest)}-digit digest does not fit {algo}"))
                continue
            if algo is None:
                problems.append(Problem(manifest_path, "malformed_manifest", f"line {number}: unknown algorithm "
                                                                             f"{tag.group('tag')}"))
                continue
        else:
            plain = _LINE.match(body)
            if plain:
                target, digest = plain.group("name"), plain.group("hex")
            elif _HEX_ONLY.match(body.strip()) and len(lines) == 1:
                # A sidecar: "db.sql.gz.sha256" with only the digest names "db.sql.gz".
                digest = body.strip()
                target = name[: name.lower().rfind(".")] if "." in name else ""
                if not target:
                    problems.append(Problem(manifest_path, "malformed_manifest", f"line {number}: no file name"))
                    continue
            else:
                # never echoed: the file may not be a manifest at all (a link to /etc/shadow...)
                problems.append(Problem(manifest_path, "malformed_manifest", f"line {number}: not a checksum line"))
                continue
            algo = _algo_for_digest(hinted, len(digest))
            if algo is None:
                problems.append(Problem(manifest_path, "malformed_manifest",
                                        f"line {number}: a {len(digest)}-digit digest does not fit {hinted or 'any'}"))
                continue
        if escaped:
            target = _unescape(target)
        if "\x00" in target:
            problems.append(Problem(manifest_path, "malformed_manifest", f"line {number}: a NUL in the file name"))
            continue
        target = posixpath.normpath(target if target.startswith("/") else posixpath.join(base, target))
        entries.append(Expected(target, algo, digest.lower(), where))
    return entries, problems


class _Blake2b:
    def __init__(self, digest_size: int) -> None:
        self._h = hashlib.blake2b(digest_size=digest_size)

    def update(self, data: Any) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


class _Blake3:
    def __init__(self, hexlen: int) -> None:
        import blake3

        # AUTO: blake3 hashes large updates on all cores (and releases the GIL).
        self._h = blake3.blake3(max_threads=blake3.blake3.AUTO)
        self._len = hexlen // 2

    def update(self, data: Any) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return str(self._h.hexdigest(length=self._len))


def new_hasher(algo: str, hexlen: int) -> Any:
    if algo == "blake3":
        return _Blake3(hexlen)
    if algo == "blake2b":
        return _Blake2b(hexlen // 2)
    return hashlib.new(algo)


def matches(pattern: str, path: str) -> bool:
    return fnmatch.fnmatchcase(path, pattern)
