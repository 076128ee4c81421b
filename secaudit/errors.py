"""Errors a user sees: one bilingual sentence, never a traceback."""

from __future__ import annotations


class SecauditError(Exception):
    """A user-facing error. `vi` and `en` are complete sentences."""

    exit_code = 2

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi = vi
        self.en = en

    def text(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


class ConfigError(SecauditError):
    pass


class PlaybookError(SecauditError):
    pass
