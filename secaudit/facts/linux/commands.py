"""Commands collectors run on the audited system with a short timeout (nft, iptables, chronyc, timedatectl)."""

from __future__ import annotations

from secaudit.facts.context import FactContext
from secaudit.transport.base import CommandResult, PermissionDenied

CMD_TIMEOUT = 3.0


def run_short(ctx: FactContext, argv: list[str]) -> CommandResult:
    """Run with the short timeout; a refusal to a non-root user becomes PermissionDenied."""
    res = ctx.transport.run(argv, timeout=CMD_TIMEOUT)
    err = res.stderr.lower()
    if res.rc != 0 and any(s in err for s in ("permission denied", "operation not permitted", "must be root")):
        raise PermissionDenied(" ".join(argv))
    return res
