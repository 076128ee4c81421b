"""Transports: local machine, mounted root (--root), recorded replay; SSH arrives later."""

from secaudit.transport.base import (
    CommandFailed,
    CommandResult,
    FactUnavailable,
    NotApplicable,
    NotFound,
    PermissionDenied,
    StatResult,
    TimedOut,
    Transport,
)

__all__ = [
    "CommandFailed",
    "CommandResult",
    "FactUnavailable",
    "NotApplicable",
    "NotFound",
    "PermissionDenied",
    "StatResult",
    "TimedOut",
    "Transport",
]
