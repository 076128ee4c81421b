"""Readers and helpers that work on every OS: psutil readers for a native transport (processes, sockets,
interface addresses) and value parsing shared by the per-OS collectors."""

from __future__ import annotations

from secaudit.transport.base import Native, Transport


def native(transport: Transport) -> bool:
    """Whether psutil and the OS's own APIs answer for the audited system: it is the machine this process
    runs on, running. Other live transports (SSH, replays) are read through files and commands."""
    return isinstance(transport, Native) and transport.native and transport.live
