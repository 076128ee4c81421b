"""Signed reports: DSSE v1 envelopes with Ed25519 (dsse.py), the agent key (keys.py), CLI (cli.py).

Heavy imports (cryptography) happen inside the functions, so importing this package is cheap.
"""

from __future__ import annotations

import os
import re
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPORT_TYPE = "application/vnd.secaudit.report.v1+json"
KEYROTATE_TYPE = "application/vnd.secaudit.keyrotate.v1+json"
ENVELOPE_SUFFIX = ".secaudit.json"


def _safe_host(hostname: Any) -> str:
    """A hostname as a file name part: ASCII letters, digits, '.', '-', '_' only; never empty."""
    text = unicodedata.normalize("NFKD", str(hostname or "")).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:63]
    return text or "host"


def envelope_name(payload: dict[str, Any]) -> str:
    """`<hostname>-<YYYYMMDD-HHMMSS>.secaudit.json`, the time being the report's generated_at (UTC)."""
    host = payload.get("host")
    hostname = host.get("hostname") if isinstance(host, dict) else None
    try:
        when = datetime.strptime(str(payload.get("generated_at")), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        when = datetime.now(UTC)
    return f"{_safe_host(hostname)}-{when:%Y%m%d-%H%M%S}{ENVELOPE_SUFFIX}"


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
    from secaudit import fsutil as _fs
    from secaudit.errors import SecauditError
    from secaudit.sign import dsse, keys

    directory = keys.resolve_key_dir(key_dir)
    if not keys.has_private_key(directory):
        return None
    if passphrase is None:
        passphrase = os.environ.get(keys.PASSPHRASE_ENV) or None
    key = keys.load_private(directory, passphrase)
    envelope = dsse.sign(dsse.canonical_bytes(payload), REPORT_TYPE, key)
    out = Path(out_dir or ".")
    name = envelope_name(payload)
    stem = name[: -len(ENVELOPE_SUFFIX)]
    try:
        out.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):  # two reports in the same second get -2, -3...
            path = out / (name if n == 1 else f"{stem}-{n}{ENVELOPE_SUFFIX}")
            try:
                _fs.create_new(path, envelope)
            except FileExistsError:
                continue
            return str(path)
    except OSError as exc:
        raise SecauditError(f"Không ghi được báo cáo đã ký vào {out}: {exc.strerror}.",
                            f"Cannot write the signed report into {out}: {exc.strerror}.") from None
    raise SecauditError(f"Đã có quá nhiều báo cáo cùng tên {name} trong {out}.",
                        f"There are too many reports named {name} in {out}.")
