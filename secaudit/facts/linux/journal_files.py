"""The persistent journal as it is on disk, without journalctl: the files of /var/log/journal/<machine-id>/
(`*.journal`, and `*.journal~` that journald renamed after finding them damaged), their total size, and the
oldest entry they hold, read from the first bytes of each file's header (systemd's journal-def.h: the
signature "LPKSHHRH", then little-endian u64s; n_entries at 152, head_entry_realtime at 184 in microseconds
since the epoch; checked against `journalctl --header` of systemd 252). Also the size of the block device
holding the journal (/sys/dev/block/MAJOR:MINOR/size), from which journald's default size cap follows."""

from __future__ import annotations

import os
import re
import struct
from typing import Any

from secaudit.facts.common.values import uint
from secaudit.facts.context import FactContext
from secaudit.timefmt import rfc3339
from secaudit.transport.base import FactUnavailable

JOURNAL_DIR = "/var/log/journal"
SIGNATURE = b"LPKSHHRH"
HEADER_BYTES = 200  # through tail_entry_realtime (192..200): present in every journal file format
MAX_FILES = 1000  # journald keeps at most SystemMaxFiles (default 100) archived files
UNKNOWN_KEY = "logging.journal_files"
_N_ENTRIES, _HEAD_REALTIME = 152, 184  # tail_entry_realtime follows head_entry_realtime at 192
_MACHINE_ID = re.compile(r"[0-9a-f]{32}")


def parse_header(data: bytes) -> dict[str, int] | None:
    """n_entries, head and tail realtime (µs) of a journal file's header; None when `data` is not one (wrong
    signature, shorter than HEADER_BYTES)."""
    if len(data) < HEADER_BYTES or data[:8] != SIGNATURE:
        return None
    (n_entries,) = struct.unpack_from("<Q", data, _N_ENTRIES)
    head, tail = struct.unpack_from("<QQ", data, _HEAD_REALTIME)
    return {"n_entries": n_entries, "head_realtime": head, "tail_realtime": tail}


def _machine_dir(ctx: FactContext, names: list[str]) -> str | None:
    """This machine's journal directory: /etc/machine-id's, else the only machine-id-like one there."""
    mid = (ctx.read_text("/etc/machine-id") or "").strip().lower()
    if _MACHINE_ID.fullmatch(mid) and mid in names:
        return mid
    ids = [n for n in names if _MACHINE_ID.fullmatch(n)]
    return ids[0] if len(ids) == 1 else None


def _device_bytes(ctx: FactContext, path: str) -> int | None:
    """Size of the block device holding `path` (its file system, near enough), or None when not known (a
    remote stat without st_dev, a mounted root without /sys, btrfs subvolumes with anonymous devices)."""
    st = ctx.stat(path)
    if st is None or not st.dev:
        return None
    sectors = uint(ctx.read_text(f"/sys/dev/block/{os.major(st.dev)}:{os.minor(st.dev)}/size") or "")
    return sectors * 512 if sectors is not None else None


def collect_journal_files(ctx: FactContext) -> dict[str, Any]:
    out: dict[str, Any] = {"dir": None, "files": 0, "bytes": None, "oldest": None, "fs_bytes": None,
                           "header_bytes": HEADER_BYTES, "max_files": MAX_FILES, "truncated": False,
                           "skipped": [], "unreadable": []}
    try:
        machines = ctx.transport.list_dir(JOURNAL_DIR)
    except FactUnavailable as exc:
        if exc.code != "not_found":
            ctx.unknown_from(UNKNOWN_KEY, exc)
        return out
    mid = _machine_dir(ctx, machines)
    if mid is None:
        return out
    base = f"{JOURNAL_DIR}/{mid}"
    out["dir"] = base
    try:
        names = sorted(n for n in ctx.transport.list_dir(base) if n.endswith((".journal", ".journal~")))
    except FactUnavailable as exc:
        ctx.unknown_from(UNKNOWN_KEY, exc)
        return out
    out["truncated"] = len(names) > MAX_FILES
    total = 0
    oldest: int | None = None
    for name in names[:MAX_FILES]:
        path = f"{base}/{name}"
        try:
            st = ctx.transport.stat(path)
        except FactUnavailable as exc:
            if exc.code != "not_found":  # not_found: vacuumed since the listing
                out["unreadable"].append(path)
                ctx.unknown_from(UNKNOWN_KEY, exc)
            continue
        if not st.is_file:
            continue
        total += st.size
        out["files"] += 1
        try:
            head = parse_header(ctx.transport.read_bytes(path, limit=HEADER_BYTES))
        except FactUnavailable as exc:
            out["unreadable"].append(path)
            ctx.unknown_from(UNKNOWN_KEY, exc)
            continue
        if head is None or head["n_entries"] == 0 or head["head_realtime"] == 0:
            out["skipped"].append(path)  # damaged, truncated, or holding no entry yet
            continue
        oldest = head["head_realtime"] if oldest is None else min(oldest, head["head_realtime"])
    out["bytes"] = total
    # Not known when a file could not be read or was left out: that one may be the oldest.
    out["oldest"] = None if oldest is None or out["unreadable"] or out["truncated"] else rfc3339(oldest / 1_000_000)
    out["fs_bytes"] = _device_bytes(ctx, base)
    return out
