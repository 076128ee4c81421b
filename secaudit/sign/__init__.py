"""Signed reports: DSSE v1 envelopes with Ed25519 (dsse.py), the agent key (keys.py), envelope files
(verify.py), CLI (cli.py). Inside the package imports run payload_types, ids <- dsse <- keys <- verify <- here.

Heavy imports (cryptography) happen inside the functions, so importing this package is cheap.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secaudit.fsutil import safe_name
from secaudit.sign.payload_types import KEYROTATE_TYPE as KEYROTATE_TYPE  # re-exported
from secaudit.sign.payload_types import REPORT_TYPE as REPORT_TYPE  # re-exported
from secaudit.timefmt import parse_rfc3339

ENVELOPE_SUFFIX = ".secaudit.json"


def envelope_name(payload: dict[str, Any]) -> str:
    """`<hostname>-<YYYYMMDD-HHMMSS>.secaudit.json`, the time being the report's generated_at (UTC)."""
    host = payload.get("host")
    hostname = host.get("hostname") if isinstance(host, dict) else None
    try:
        when = parse_rfc3339(payload.get("generated_at"))
    except ValueError:
        when = datetime.now(UTC)
    return f"{safe_name(hostname, 'host')}-{when:%Y%m%d-%H%M%S}{ENVELOPE_SUFFIX}"


def agent_id_for(key_dir: str | None) -> str | None:
    """The agent id bound to the key directory's key (stable across `keys rotate`), or None without a key."""
    from secaudit.sign.keys import read_agent_id

    try:
        return read_agent_id(key_dir)
    except OSError:
        return None


def sign_report(payload: dict[str, Any], key_dir: str | None, passphrase: str | None, out_dir: str) -> str | None:
    """Sign canonical_bytes(payload) with the key directory's agent.key and write the envelope into
    out_dir (atomically, never overwriting); return its path, or None when there is no key.
    A None passphrase falls back to SECAUDIT_KEY_PASSPHRASE."""
    from secaudit.errors import SecauditError
    from secaudit.fsutil import create_unique, write_error
    from secaudit.limits import ENVELOPE
    from secaudit.sign import dsse, keys

    directory = keys.resolve_key_dir(key_dir)
    if not keys.has_private_key(directory):
        return None
    if passphrase is None:
        passphrase = os.environ.get(keys.PASSPHRASE_ENV) or None
    key = keys.load_private(directory, passphrase)
    envelope = dsse.sign(dsse.canonical_bytes(payload), REPORT_TYPE, key)
    if len(envelope) > ENVELOPE:  # the report builder keeps payloads well under this: a bug if reached
        raise SecauditError(f"Báo cáo đã ký quá lớn ({len(envelope)} byte, tối đa {ENVELOPE}); không ghi.",
                            f"The signed report is too large ({len(envelope)} bytes, at most {ENVELOPE}); "
                            "not written.")
    out = Path(out_dir or ".")
    stem = envelope_name(payload)[: -len(ENVELOPE_SUFFIX)]
    try:  # never overwrites: two reports in the same second get -2, -3...
        return str(create_unique(out, stem, ENVELOPE_SUFFIX, envelope))
    except OSError as exc:
        raise write_error(out / f"{stem}{ENVELOPE_SUFFIX}", exc) from None
