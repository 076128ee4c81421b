"""Transports: local machine, mounted root (--root), recorded replay; SSH arrives later."""

from secaudit.transport.base import (
    CommandFailed,
    CommandResult,
    FactUnavailable,
    NotApplicable,
    NotFound,
    NotRegular,
    PermissionDenied,
    StatResult,
    TimedOut,
    TooLarge,
    Transport,
)

__all__ = [
    "CommandFailed",
    "CommandResult",
    "FactUnavailable",
    "NotApplicable",
    "NotFound",
    "NotRegular",
    "PermissionDenied",
    "StatResult",
    "TimedOut",
    "TooLarge",
    "Transport",
]
