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
        """The sentence for a terminal: a path, host or value quoted from an audited system cannot
        carry an escape sequence or bidi control with it (they are shown as `\\x1b`, `\\u202e`)."""
        from secaudit.safetext import for_terminal

        return for_terminal(self.vi if lang == "vi" else self.en)


class ConfigError(SecauditError):
    pass


class PlaybookError(SecauditError):
    pass
