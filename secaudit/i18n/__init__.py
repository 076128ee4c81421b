"""Bilingual strings for everything a user reads. Vietnamese is the default; all text is NFC."""

from __future__ import annotations

import os
import unicodedata
from typing import Any

from secaudit.i18n.messages import MESSAGES

LANGS = ("vi", "en")

STATUS: dict[str, dict[str, str]] = {
    "pass": {"vi": "Đạt", "en": "Pass"},
    "warn": {"vi": "Cảnh báo", "en": "Warning"},
    "fail": {"vi": "Không đạt", "en": "Fail"},
    "unknown": {"vi": "Không xác định", "en": "Unknown"},
    "not_applicable": {"vi": "Không áp dụng", "en": "Not applicable"},
    "error": {"vi": "Lỗi", "en": "Error"},
    "attested": {"vi": "Tự xác nhận", "en": "Attested"},
}

SEVERITY: dict[str, dict[str, str]] = {
    "critical": {"vi": "Nghiêm trọng", "en": "Critical"},
    "high": {"vi": "Cao", "en": "High"},
    "medium": {"vi": "Trung bình", "en": "Medium"},
    "low": {"vi": "Thấp", "en": "Low"},
    "info": {"vi": "Thông tin", "en": "Info"},
}

# Why a fact is unknown, keyed by the transport's reason code.
REASON: dict[str, dict[str, str]] = {
    "permission_denied": {
        "vi": "không có quyền đọc {detail} (hãy chạy với quyền root/sudo)",
        "en": "no permission to read {detail} (run as root/sudo)",
    },
    "not_found": {"vi": "không tìm thấy {detail}", "en": "{detail} not found"},
    "not_applicable": {"vi": "không áp dụng: {detail}", "en": "not applicable: {detail}"},
    "command_failed": {"vi": "lệnh thất bại: {detail}", "en": "command failed: {detail}"},
    "timeout": {"vi": "quá thời gian: {detail}", "en": "timed out: {detail}"},
    "error": {"vi": "lỗi khi thu thập: {detail}", "en": "collection error: {detail}"},
    "not_regular": {"vi": "không phải tệp thông thường: {detail}", "en": "not a regular file: {detail}"},
    "too_large": {"vi": "quá lớn, không đọc: {detail}", "en": "too large, not read: {detail}"},
    "no_entries": {"vi": "{detail} không có mục nào đọc được", "en": "{detail} has no readable entries"},
    "not_collected": {"vi": "chưa thu thập dữ kiện {detail}", "en": "the {detail} facts were not collected"},
}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def default_lang() -> str:
    lang = os.environ.get("SECAUDIT_LANG", "vi")
    return lang if lang in LANGS else "vi"


def fmt_value(value: Any, limit: int = 15) -> str:
    """Render a message argument: lists joined, long lists cut with a count."""
    if isinstance(value, list | tuple | set):
        items = [str(v) for v in value]
        shown = ", ".join(items[:limit])
        return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")
    return str(value)


def render(template: str, args: dict[str, Any]) -> str:
    try:
        return nfc(template.format(**{k: fmt_value(v) for k, v in args.items()}))
    except (KeyError, IndexError, ValueError):
        return nfc(template)


def both(template: dict[str, str], args: dict[str, Any] | None = None) -> dict[str, str]:
    return {lang: render(template[lang], args or {}) for lang in LANGS}


def t(key: str, lang: str, **args: Any) -> str:
    entry = MESSAGES[key]
    return render(entry.get(lang, entry["en"]), args)
