"""Text from an audited system made inert before a person reads it (one definition of "unsafe").

A hostname, user name, NetBIOS name, path or error detail can carry escape sequences (colours,
OSC 8 hyperlinks, cursor moves, window titles) or bidirectional controls that reorder what a
reader sees. Terminals get them as visible escapes (`\\x1b`, `\\u202e`); documents (HTML,
Markdown, PDF, CSV) as a visible "[U+202E]". JSON output keeps the raw values: it is data.
"""

from __future__ import annotations

import re
from typing import Any

# C0 (but tab and newline) and C1 controls, DEL, the Arabic letter mark, zero-width and bidi marks,
# line/paragraph separators, embeddings/overrides/isolates, invisible operators, BOM, interlinear
# annotation controls, and lone surrogates (which no UTF-8 writer can output).
_CONTROLS = ("\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069"
             "\ufeff\ufff9-\ufffb\ud800-\udfff")
DOCUMENT_UNSAFE = re.compile(f"[{_CONTROLS}]")
TERMINAL_UNSAFE = re.compile(f"[\t\n{_CONTROLS}]")  # a terminal line: tab and newline too


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(value: Any) -> str:
    """`value` as text a terminal shows literally: every control or bidi character as `\\x1b`/`\\u202e`."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    return TERMINAL_UNSAFE.sub(_escape, text) if TERMINAL_UNSAFE.search(text) else text


def mark(match: re.Match[str]) -> str:
    """One unsafe character as "[U+202E]" (for re.sub)."""
    return f"[U+{ord(match.group()):04X}]"


def for_document(text: str) -> str:
    """Control and bidi characters as a visible "[U+202E]" (newlines and tabs are the layout's business)."""
    return DOCUMENT_UNSAFE.sub(mark, text) if DOCUMENT_UNSAFE.search(text) else text
