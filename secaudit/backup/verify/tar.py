"""A streaming tar walker: header checksums, member sizes (octal, base-256, pax `size`), long
names (GNU L/K, pax `path`), old GNU sparse extension blocks, and the end-of-archive marker.
Data is skipped (or handed to a member handler, for restore drills) without buffering it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from secaudit.backup.verify import FormatError, Sink

BLOCK = 512
_DATA_LESS = frozenset(b"123456")  # hard/sym links, devices, dirs, FIFOs: size field carries no data
_META_MAX = 8 << 20  # pax and GNU long-name headers are kept in memory: refuse absurd ones


def looks_like_tar(head: bytes) -> bool:
    if len(head) < BLOCK:
        return False
    if head[257:262] == b"ustar":
        return True
    return _checksum_ok(head[:BLOCK]) and head[:BLOCK].count(0) < BLOCK


def _checksum_ok(header: bytes) -> bool:
    try:
        stored = int(header[148:156].replace(b"\x00", b" ").strip() or b"-1", 8)
    except ValueError:
        return False
    unsigned = sum(header[:148]) + 8 * 32 + sum(header[156:])
    signed = unsigned - 2 * sum(b for b in header[:148] + header[156:] if b > 127)  # old tars summed signed bytes
    return stored in (unsigned, signed)


def _number(field: bytes) -> int:
    if field and field[0] & 0x80:  # GNU base-256
        value = field[0] & 0x7F
        if field[0] & 0x40:
            raise ValueError("negative base-256 number")
        for b in field[1:]:
            value = (value << 8) | b
        return value
    text = field.replace(b"\x00", b" ").strip()
    return int(text, 8) if text else 0


def _pax(data: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            raise FormatError("bad_header", "malformed pax header record") from None
        if length <= 0:
            break
        record = data[space + 1:pos + length - 1]  # without the trailing newline
        key, _, value = record.partition(b"=")
        out[key.decode("utf-8", "replace")] = value.decode("utf-8", "replace")
        pos += length
    return out


@dataclass
class Member:
    name: str
    size: int
    type: str  # tar typeflag as a character ("0" regular, "5" directory ...)
    mtime: int
    offset: int  # header offset in the (decompressed) stream

    @property
    def is_file(self) -> bool:
        return self.type in ("0", "\x00", "7")


class MemberHandler:
    """Receives member data as it streams past (restore drills)."""

    def start(self, member: Member) -> bool:
        """Return True to receive this member's data."""
        return False

    def data(self, chunk: memoryview) -> None:
        pass

    def end(self, member: Member, complete: bool) -> None:
        pass


class TarSink(Sink):
    def __init__(self, handler: MemberHandler | None = None, on_member: Callable[[Member], None] | None = None
                 ) -> None:
        self.handler = handler
        self.on_member = on_member
        self.offset = 0  # stream offset of the next unparsed byte
        self.members = 0
        self.regular_bytes = 0
        self._header = bytearray()
        self._remaining = 0  # data bytes of the current member still to come
        self._padding = 0  # padding after them
        self._meta: bytearray | None = None  # collecting a pax/GNU long-name body
        self._meta_type = ""
        self._pending_pax: dict[str, str] = {}
        self._pending_name: str | None = None
        self._pending_link: bool = False
        self._sparse_ext = False  # old GNU sparse: extension headers follow
        self._current: Member | None = None
        self._deliver = False
        self._zero_blocks = 0
        self._ended = False
        self._last_name = "(start of archive)"

    # -- streaming ---------------------------------------------------------------------------
    def feed(self, data: memoryview | bytes) -> None:
        view = memoryview(data)
        pos, n = 0, len(view)
        while pos < n:
            if self._ended:
                self.offset += n - pos
                return
            if self._remaining:
                take = min(self._remaining, n - pos)
                chunk = view[pos:pos + take]
                if self._meta is not None:
                    self._meta += chunk
                    if len(self._meta) > _META_MAX:
                        raise FormatError("bad_header", f"tar: oversized extended header at offset {self.offset}")
                elif self._deliver and self.handler is not None:
                    self.handler.data(chunk)
                self._remaining -= take
                pos += take
                self.offset += take
                if not self._remaining:
                    self._member_data_done()
                continue
            if self._padding:
                take = min(self._padding, n - pos)
                self._padding -= take
                pos += take
                self.offset += take
                continue
            need = BLOCK - len(self._header)
            take = min(need, n - pos)
            self._header += view[pos:pos + take]
            pos += take
            if len(self._header) == BLOCK:
                header = bytes(self._header)
                self._header.clear()
                self._header_block(header)
                self.offset += BLOCK

    def _header_block(self, header: bytes) -> None:
        if self._sparse_ext:  # old GNU sparse extension block: 21 entries, then isextended at 504
            self._sparse_ext = header[504] != 0
            return
        if header.count(0) == BLOCK:
            self._zero_blocks += 1
            if self._zero_blocks >= 2:
                self._ended = True
            return
        if self._zero_blocks:
            raise FormatError("bad_header", f"tar: a zero block inside the archive at offset {self.offset - BLOCK} "
                                            f"(after {self._last_name})")
        if not _checksum_ok(header):
            raise FormatError("bad_header", f"tar: header checksum mismatch at offset {self.offset} "
                                            f"(after {self._last_name})")
        typeflag = chr(header[156]) if header[156] else "\x00"
        try:
            size = _number(header[124:136])
            mtime = _number(header[136:148])
        except ValueError:
            raise FormatError("bad_header", f"tar: unreadable size field at offset {self.offset}") from None
        if size < 0:
            raise FormatError("bad_header", f"tar: negative size at offset {self.offset}")
        if typeflag in ("x", "g", "L", "K"):
            self._meta = bytearray()
            self._meta_type = typeflag
            self._start_data(size)
            return
        name = header[0:100].split(b"\x00", 1)[0]
        if header[257:262] == b"ustar" and header[345:500].strip(b"\x00"):
            name = header[345:500].split(b"\x00", 1)[0] + b"/" + name
        member_name = self._pending_name if self._pending_name is not None else name.decode("utf-8", "replace")
        if "path" in self._pending_pax:
            member_name = self._pending_pax["path"]
        if "size" in self._pending_pax:
            try:
                size = int(self._pending_pax["size"])
            except ValueError:
                raise FormatError("bad_header", f"tar: bad pax size for {member_name}") from None
        if size < 0:
            raise FormatError("bad_header", f"tar: negative size for {member_name} at offset {self.offset}")
        self._pending_pax = {}
        self._pending_name = None
        if typeflag == "S" and header[482]:
            self._sparse_ext = True
        has_data = header[156] not in _DATA_LESS
        member = Member(member_name, size if has_data else 0, typeflag, mtime, self.offset)
        self.members += 1
        self._last_name = member_name
        if self.on_member is not None:
            self.on_member(member)
        self._current = member
        self._deliver = bool(self.handler is not None and member.is_file and self.handler.start(member))
        if member.is_file or typeflag == "S":
            self.regular_bytes += member.size
        self._start_data(member.size)

    def _start_data(self, size: int) -> None:
        self._remaining = size
        self._padding = (-size) % BLOCK
        if size == 0:
            self._member_data_done()

    def _member_data_done(self) -> None:
        if self._meta is not None:
            body = bytes(self._meta)
            self._meta = None
            if self._meta_type == "x":
                self._pending_pax.update(_pax(body))
            elif self._meta_type == "L":
                self._pending_name = body.split(b"\x00", 1)[0].decode("utf-8", "replace")
            return  # "g" (global) and "K" (long link name) carry nothing we need
        if self._current is not None:
            if self._deliver and self.handler is not None:
                self.handler.end(self._current, True)
            self._current = None
            self._deliver = False

    def finish(self) -> None:
        if self._remaining or self._meta is not None:
            what = self._current.name if self._current else "an extended header"
            got = (self._current.size - self._remaining) if self._current else 0
            if self._current is not None and self._deliver and self.handler is not None:
                self.handler.end(self._current, False)
            size = self._current.size if self._current else 0
            raise FormatError("truncated", f"tar: archive ends inside {what} ({got} of {size} bytes)")
        if self._header:
            raise FormatError("truncated", f"tar: archive ends inside a header at offset {self.offset} "
                                           f"(after {self._last_name})")
        if self._padding:
            raise FormatError("truncated", f"tar: archive ends in the padding after {self._last_name}")
        if not self._ended and self._zero_blocks == 0:
            raise FormatError("truncated", f"tar: no end-of-archive marker after {self._last_name} "
                                           f"(archive cut at a member boundary)")
