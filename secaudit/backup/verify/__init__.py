"""Integrity verifiers, one module per format. Each reads end to end in large sequential chunks
with bounded memory and reports problems as `Problem(file, code, detail)`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    code: str  # truncated | corrupt | bad_crc | checksum_mismatch | missing | unreadable | incomplete_dump |
    #            bad_header | trailing_data | tool_error | malformed_manifest
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"file": self.file, "problem": self.code, "detail": self.detail}


class FormatError(Exception):
    """A stream is not what it claims to be. `code` is a Problem code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Sink:
    """Receives a stream chunk by chunk; `finish` is called at the end of the input."""

    def feed(self, data: memoryview | bytes) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class NullSink(Sink):
    def feed(self, data: memoryview | bytes) -> None:
        pass
