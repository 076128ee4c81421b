"""Host identity (minimal; extended by the inventory work)."""

from __future__ import annotations

from secaudit.facts.context import FactContext
from secaudit.facts.registry import collector


def parse_os_release(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        out[key.strip()] = value
    return out


@collector("host", ("host",))
def collect_host(ctx: FactContext) -> None:
    text = ctx.read_text("/etc/os-release") or ctx.read_text("/usr/lib/os-release") or ""
    rel = parse_os_release(text)
    hostname = (ctx.read_text("/etc/hostname") or "").strip()
    if ctx.transport.live:
        hostname = (ctx.read_text("/proc/sys/kernel/hostname") or hostname).strip()
    ctx.put("host", {
        "hostname": hostname,
        "os": {"family": "linux", "name": rel.get("PRETTY_NAME") or rel.get("NAME", ""),
               "id": rel.get("ID", ""), "version": rel.get("VERSION_ID", "")},
    })
