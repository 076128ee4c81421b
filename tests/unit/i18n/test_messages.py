"""The message catalogue: every message in both languages, NFC, with the same placeholders."""

from __future__ import annotations

import string
import unicodedata

from secaudit.i18n.messages import MESSAGES


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_is_bilingual_nfc_with_the_same_placeholders() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) >= {"vi", "en"}, key
        for lang in ("vi", "en"):
            assert entry[lang] == unicodedata.normalize("NFC", entry[lang]), (key, lang)
        assert _fields(entry["vi"]) == _fields(entry["en"]), key
