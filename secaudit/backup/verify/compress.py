"""gzip, bzip2, xz/lzma and zstd streams: decompressed chunk by chunk with bounded output,
checking every member's CRC/length (gzip), block CRCs (bzip2), check field (xz) and content
checksum (zstd, when the frame has one). Multi-member/multi-frame files are followed to the end."""

from __future__ import annotations

import bz2
import lzma
import zlib
from typing import Any

from secaudit.backup.verify import FormatError, Sink

OUT_CHUNK = 1 << 20  # decompressed output handed downstream at most this much at a time

MAGIC = {
    "gzip": b"\x1f\x8b",
    "bzip2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
}


def sniff(head: bytes) -> str | None:
    for name, magic in MAGIC.items():
        if head.startswith(magic):
            return name
    return None


class _Decoder(Sink):
    """Push-style decoder: `feed` compressed bytes, decompressed chunks go to `out`."""

    name = "?"
    magic = b""

    def __init__(self, out: Sink) -> None:
        self.out = out
        self.members = 0
        self.total_out = 0
        self._obj: Any = None
        self._between = bytearray()  # bytes after a member's end, not yet classified

    # subclasses
    def _new(self) -> Any:
        raise NotImplementedError

    def _magic_ok(self, data: bytes) -> bool:
        return data.startswith(self.magic)

    def _decompress(self, data: bytes) -> bytes:
        raise NotImplementedError

    def _more(self) -> bytes:
        """Further output for the input already given (bounded decompressors)."""
        return b""

    def _member_done(self) -> bool:
        return bool(self._obj.eof)

    def _unused(self) -> bytes:
        return bytes(self._obj.unused_data)

    def _emit(self, chunk: bytes) -> None:
        if chunk:
            self.total_out += len(chunk)
            self.out.feed(chunk)

    def feed(self, data: memoryview | bytes) -> None:
        buf = bytes(data)
        while buf:
            if self._obj is None:
                self._between += buf
                buf = b""
                head = bytes(self._between.lstrip(b"\x00")) if self.members else bytes(self._between)
                if not head:
                    self._between.clear()  # zero padding after the last member (dd, tape blocks): tolerated
                    break
                if len(head) < len(self.magic):
                    break  # wait for a complete magic number
                if not self._magic_ok(head):
                    if self.members:
                        raise FormatError("trailing_data", f"{self.name}: data that is not {self.name} after "
                                                           f"member {self.members}")
                    raise FormatError("corrupt", f"not a {self.name} stream (bad magic number)")
                self._between.clear()
                self._obj = self._new()
                self.members += 1
                buf = head
            try:
                self._emit(self._decompress(buf))
                buf = b""
                while not self._member_done():
                    more = self._more()
                    if not more:
                        break
                    self._emit(more)
            except FormatError:
                raise
            except (zlib.error, OSError, lzma.LZMAError, EOFError, ValueError) as exc:
                raise FormatError("corrupt", f"{self.name} member {self.members}: {exc}") from None
            except Exception as exc:  # zstandard.ZstdError, without importing zstandard here
                if type(exc).__name__ == "ZstdError":
                    raise FormatError("corrupt", f"{self.name} frame {self.members}: {exc}") from None
                raise
            if self._member_done():
                buf = self._unused()
                self._obj = None

    def finish(self) -> None:
        if self._obj is not None:
            raise FormatError("truncated", f"{self.name}: the stream ends inside member {self.members} after "
                                           f"{self.total_out} decompressed bytes (file truncated)")
        if self._between.strip(b"\x00"):
            if self.members:
                raise FormatError("trailing_data", f"{self.name}: data that is not {self.name} after member "
                                                   f"{self.members}")
            raise FormatError("truncated", f"{self.name}: file too short")
        if self.members == 0:
            raise FormatError("truncated", f"{self.name}: empty file")
        self.out.finish()


class GzipDecoder(_Decoder):
    name = "gzip"
    magic = MAGIC["gzip"]

    def _new(self) -> Any:
        return zlib.decompressobj(wbits=31)  # gzip wrapper: CRC-32 and ISIZE checked at member end

    def _decompress(self, data: bytes) -> bytes:
        return self._obj.decompress(data, OUT_CHUNK)  # type: ignore[no-any-return]

    def _more(self) -> bytes:
        if self._obj.unconsumed_tail:
            return self._obj.decompress(self._obj.unconsumed_tail, OUT_CHUNK)  # type: ignore[no-any-return]
        return b""


class _NeedsInputDecoder(_Decoder):
    """bz2/lzma decompressors: bounded with max_length; input kept internally."""

    def _decompress(self, data: bytes) -> bytes:
        return self._obj.decompress(data, OUT_CHUNK)  # type: ignore[no-any-return]

    def _more(self) -> bytes:
        if self._obj.eof or self._obj.needs_input:
            return b""
        return self._obj.decompress(b"", OUT_CHUNK)  # type: ignore[no-any-return]


class Bzip2Decoder(_NeedsInputDecoder):
    name = "bzip2"
    magic = MAGIC["bzip2"]

    def _new(self) -> Any:
        return bz2.BZ2Decompressor()


class XzDecoder(_NeedsInputDecoder):
    name = "xz"
    magic = MAGIC["xz"]

    def _new(self) -> Any:
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ)  # check field (CRC64/SHA-256) verified


class ZstdDecoder(_Decoder):
    """zstandard's decompressobj returns all output of its input at once, so input is fed in
    slices that shrink when the ratio is high (runs of zeros compress ~32000:1)."""

    name = "zstd"
    magic = MAGIC["zstd"]

    def __init__(self, out: Sink) -> None:
        super().__init__(out)
        import zstandard

        self._dctx = zstandard.ZstdDecompressor()
        self._slice = 1 << 16
        self._rest = b""

    def _new(self) -> Any:
        return self._dctx.decompressobj(write_size=OUT_CHUNK)

    def _magic_ok(self, data: bytes) -> bool:
        return data.startswith(self.magic) or 0x184D2A50 <= int.from_bytes(data[:4], "little") <= 0x184D2A5F

    def _decompress(self, data: bytes) -> bytes:
        # Feed slice by slice; stop at the end of a frame so the caller can handle what follows.
        view = memoryview(data)
        pos = 0
        while pos < len(view):
            piece = view[pos:pos + self._slice]
            out = self._obj.decompress(piece)
            pos += len(piece)
            self._slice = 512 if len(out) > 256 * len(piece) else min(1 << 16, self._slice * 2)
            for i in range(0, len(out), OUT_CHUNK):
                self._emit(out[i:i + OUT_CHUNK])
            if self._obj.eof:
                self._rest = bytes(self._obj.unused_data) + bytes(view[pos:])
                return b""
        self._rest = b""
        return b""

    def _unused(self) -> bytes:
        rest, self._rest = self._rest, b""
        return rest


def decoder_for(kind: str, out: Sink) -> _Decoder:
    if kind == "gzip":
        return GzipDecoder(out)
    if kind == "bzip2":
        return Bzip2Decoder(out)
    if kind == "xz":
        return XzDecoder(out)
    if kind == "zstd":
        return ZstdDecoder(out)
    raise ValueError(kind)
