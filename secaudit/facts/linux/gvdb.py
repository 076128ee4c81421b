"""GVDB, the binary format of dconf's databases (a user's own settings: ~/.config/dconf/user), read as GLib's
gvdb-reader does: a header ("GVariant", version, options, the root table's pointer), then a hash table of items
(hash, parent index, key, type, value pointer); an item's full name is its parents' names and its own joined,
"/org/" + "gnome/" + "desktop/" + "session/" + "idle-delay". Values of type 'v' are serialized GVariant
variants: the child's bytes, a NUL, the child's type string. Only booleans and integers are decoded; anything
else is kept as its type with no value. Bounds are checked everywhere: a damaged or hostile file gives
GvdbError, never an exception of another kind or a loop.
"""

from __future__ import annotations

import struct
from typing import Any

MAX_ITEMS = 100_000
MAX_DEPTH = 64
INTS = {"y": ("B", 1), "n": ("h", 2), "q": ("H", 2), "i": ("i", 4), "u": ("I", 4), "x": ("q", 8), "t": ("Q", 8)}


class GvdbError(Exception):
    """The data is not a GVDB file this reader can use."""


def _variant(blob: bytes, order: str) -> tuple[str, Any]:
    """(type, value) of a serialized 'v': booleans and integers decoded, other types with value None."""
    split = blob.rfind(b"\x00")
    if split < 0:
        raise GvdbError("a value without its type")
    kind, child = blob[split + 1:].decode("ascii", "replace"), blob[:split]
    if kind == "b":
        if len(child) != 1 or child[0] > 1:
            raise GvdbError("a malformed boolean")
        return kind, child == b"\x01"
    if kind in INTS:
        code, size = INTS[kind]
        if len(child) != size:
            raise GvdbError(f"a malformed {kind}")
        return kind, struct.unpack(order + code, child)[0]
    return kind, None


def read_gvdb(data: bytes) -> dict[str, tuple[str, Any]]:
    """Full key name -> (GVariant type, value) of every value of a GVDB file's root table."""
    if len(data) < 24:
        raise GvdbError("too short for a GVDB header")
    if data[:8] == b"GVariant":
        order = "<"
    elif data[:8] == b"raVGtnai":  # written on a machine of the other byte order
        order = ">"
    else:
        raise GvdbError("no GVDB signature")
    start, end = struct.unpack(order + "II", data[16:24])
    if not 24 <= start <= end <= len(data) or end - start < 8:
        raise GvdbError("the root table lies outside the file")
    bloom_words, buckets = struct.unpack(order + "II", data[start:start + 8])
    items_at = start + 8 + 4 * (bloom_words & 0x07FFFFFF) + 4 * buckets
    if items_at > end:
        raise GvdbError("the hash table's header lies outside it")
    item = struct.Struct(order + "IIIHcc II")  # hash, parent, key start, key size, type, -, value start, end
    count = min((end - items_at) // item.size, MAX_ITEMS)
    raw = [item.unpack_from(data, items_at + i * item.size) for i in range(count)]
    names: dict[int, str] = {}

    def name(index: int) -> str:
        chain: list[int] = []
        while index != 0xFFFFFFFF and index not in names:
            if index >= count or index in chain or len(chain) > MAX_DEPTH:
                raise GvdbError("an item's parents do not lead to the root")
            chain.append(index)
            index = raw[index][1]
        prefix = names.get(index, "")
        for i in reversed(chain):
            key_start, key_size = raw[i][2], raw[i][3]
            if key_start + key_size > len(data):
                raise GvdbError("a key lies outside the file")
            prefix += data[key_start:key_start + key_size].decode("utf-8", "replace")
            names[i] = prefix
        return prefix

    out: dict[str, tuple[str, Any]] = {}
    for i, (_, _, _, _, kind, _, v_start, v_end) in enumerate(raw):
        if kind != b"v":
            continue
        if not v_start <= v_end <= len(data):
            raise GvdbError("a value lies outside the file")
        out[name(i)] = _variant(data[v_start:v_end], order)
    return out
