"""Units systemd starts at boot, read once per collection from the unit files (so it works on a mounted
root): a unit is enabled by a link in a `*.wants/` or `*.requires/` directory of any directory of the
persistent unit search path (`systemctl enable` writes them in /etc, packages may ship them in
/usr/lib), unless it is masked (linked to /dev/null in /etc/systemd/system)."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable

ADMIN_DIR = "/etc/systemd/system"
# systemd's unit search path for the system manager, without the runtime parts under /run (not what
# starts at boot, and empty on a mounted root); /lib is /usr/lib's twin on systems not merged into /usr.
UNIT_DIRS = (ADMIN_DIR, "/usr/local/lib/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")


@dataclass(frozen=True)
class Units:
    links: dict[str, str]  # unit -> the .wants/.requires link that enables it, first in search-path order
    admin: frozenset[str]  # names directly in /etc/systemd/system, where a mask lives


def units(ctx: FactContext) -> Units:
    def compute() -> Units:
        found: dict[str, str] = {}
        admin: list[str] = []
        for base in UNIT_DIRS:
            entries = ctx.list_dir(base)
            if base == ADMIN_DIR:
                admin = entries
            for entry in entries:
                if not entry.endswith((".wants", ".requires")):
                    continue
                for unit in ctx.list_dir(f"{base}/{entry}"):
                    found.setdefault(unit, f"{base}/{entry}/{unit}")
        return Units(found, frozenset(admin))

    return ctx.memo("systemd.units", compute)


def unit_links(ctx: FactContext) -> dict[str, str]:
    """Units linked from a .wants/.requires directory (masked ones included): unit -> link."""
    return units(ctx).links


def unit_masked(ctx: FactContext, unit: str) -> bool:
    """A unit linked to /dev/null in /etc/systemd/system (a dangling link in --root mode)."""
    if unit not in units(ctx).admin:
        return False
    try:
        st = ctx.transport.stat(f"{ADMIN_DIR}/{unit}")
    except FactUnavailable:
        return True
    return not st.is_file and not st.is_dir


def enabled_unit(ctx: FactContext, *names: str) -> str | None:
    """The link of the first of `names` that is enabled and not masked."""
    links = unit_links(ctx)
    for unit in names:
        if unit in links and not unit_masked(ctx, unit):
            return links[unit]
    return None


def is_enabled(ctx: FactContext, unit: str) -> bool:
    return enabled_unit(ctx, unit) is not None


def disabled_package_unit(ctx: FactContext, unit: str) -> bool:
    """A unit a package installed (under /usr/lib, /lib, /usr/local/lib) that is not enabled: `systemctl
    disable` removed its .wants link. A unit no package installed is not judged here (False)."""
    shipped = any(ctx.transport.exists(f"{d}/{unit}") for d in UNIT_DIRS[1:])
    return shipped and not is_enabled(ctx, unit)
