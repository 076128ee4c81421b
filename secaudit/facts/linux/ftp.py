"""vsftpd's anonymous login as vsftpd 3 reads its configuration: /etc/vsftpd.conf (Debian) or
/etc/vsftpd/vsftpd.conf (RHEL), `option=value` lines with no blank around `=`, `#` comments, booleans YES/TRUE/1
and NO/FALSE/0 in any case, a later line overriding an earlier one. Built in, anonymous_enable is YES: a file
without the line lets anonymous users in (Debian's shipped file sets NO). A line vsftpd cannot read (a blank
around `=`, an unknown boolean) stops it from starting."""

from __future__ import annotations

from typing import Any

from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources import dpkg
from secaudit.facts.linux.sources.systemd import enabled_unit

CONFIGS = ("/etc/vsftpd.conf", "/etc/vsftpd/vsftpd.conf")
_TRUE, _FALSE = ("YES", "TRUE", "1"), ("NO", "FALSE", "0")


def parse_vsftpd(text: str, path: str) -> dict[str, Any]:
    """{anonymous_enable, source, broken}: the value in force and its line ("built-in default" when unset);
    broken names the first line vsftpd refuses."""
    anonymous, source, broken = True, "built-in default (anonymous_enable=YES)", None
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        key, eq, value = raw.partition("=")
        value = value.rstrip()
        if not eq or key != key.strip():
            broken = broken or f"{path}:{number}"
            continue
        if key == "anonymous_enable":
            if value.upper() in _TRUE:
                anonymous, source = True, f"{path}:{number}"
            elif value.upper() in _FALSE:
                anonymous, source = False, f"{path}:{number}"
            else:
                broken = broken or f"{path}:{number}"
    return {"anonymous_enable": anonymous, "source": source, "broken": broken}


def vsftpd(ctx: FactContext) -> dict[str, Any] | None:
    """vsftpd's anonymous setting, or None when vsftpd is neither installed nor configured."""
    path, text = ctx.read_first(CONFIGS)
    installed = dpkg.is_installed(ctx, "vsftpd")
    if text is None or path is None:
        return None if not installed else {"config": None, "anonymous_enable": None, "source": None,
                                           "broken": None, "installed": True,
                                           "enabled": enabled_unit(ctx, "vsftpd.service")}
    return {"config": path, **parse_vsftpd(text, path), "installed": installed,
            "enabled": enabled_unit(ctx, "vsftpd.service", "vsftpd.socket")}
