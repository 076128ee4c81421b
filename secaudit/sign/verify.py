"""Verify an envelope file against PEM public key files: the file-level entry of `verify` and `render`.

It sits above dsse.py (the envelope format) and keys.py (reading key files), so neither imports the other's
way back: keys -> dsse for the rotation statement, verify -> both.
"""

from __future__ import annotations

from secaudit.fsutil import TooLarge, read_capped
from secaudit.limits import ENVELOPE
from secaudit.sign.dsse import EnvelopeUnusable, Verified, verify
from secaudit.sign.keys import load_public
from secaudit.sign.payload_types import REPORT_TYPE


def verify_file(path: str, pubkeys: list[str],
                allowed_types: set[str] | frozenset[str] | None = None) -> Verified:
    """Verify an envelope file against PEM public key files (default: only report envelopes)."""
    keys = [load_public(p) for p in pubkeys]
    try:
        raw = read_capped(path, ENVELOPE)
    except TooLarge as exc:
        raise EnvelopeUnusable(f"Tệp {path} quá lớn ({exc.size} byte, tối đa {ENVELOPE} byte); không kiểm tra.",
                               f"{path} is too large ({exc.size} bytes, at most {ENVELOPE}); not checked.") from None
    except OSError as exc:
        raise EnvelopeUnusable(f"Không đọc được tệp {path}: {exc.strerror}.",
                               f"Cannot read {path}: {exc.strerror}.") from None
    return verify(raw, allowed_types if allowed_types is not None else {REPORT_TYPE}, keys)
