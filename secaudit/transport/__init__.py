"""Transports: local machine, mounted root (--root), recorded replay (replay.py), a remote host over SSH
(ssh/, host keys in known_hosts.py)."""

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
