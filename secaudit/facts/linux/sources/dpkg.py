"""The dpkg database (/var/lib/dpkg/status), parsed once per collection for every collector that asks:
software (the package list), host (the native architecture), antivirus (installed products), system
(whether unattended-upgrades is installed)."""

from __future__ import annotations

from dataclasses import dataclass

from secaudit import limits
from secaudit.facts.context import FactContext
from secaudit.transport.base import FactUnavailable, TooLarge

DPKG_STATUS = "/var/lib/dpkg/status"
DPKG_INFO = "/var/lib/dpkg/info"
# dpkg states in which the package's files are on disk (not "not-installed" / "config-files").
DPKG_PRESENT = frozenset({"installed", "half-installed", "unpacked", "half-configured", "triggers-awaited",
                          "triggers-pending"})
# Real systems have a few thousand packages. A 64 MiB database of 13-byte stanzas would be five million
# (gigabytes of rows): past this the package list is unknown rather than the agent out of memory.
MAX_PACKAGES = 100_000


@dataclass(frozen=True)
class DpkgPackage:
    name: str
    version: str
    arch: str
    maintainer: str
    state: str  # third word of Status: installed, config-files, half-configured, ...
    line: int  # line of the stanza's first field


class TooManyPackages(ValueError):
    pass


def parse_dpkg_status(text: str) -> list[DpkgPackage]:
    """Every stanza of a dpkg status file (all states). Fast: only the fields we keep are split.
    TooManyPackages past MAX_PACKAGES."""
    out: list[DpkgPackage] = []
    name = version = arch = maint = status = ""
    start = 0
    for lineno, line in enumerate(text.split("\n"), 1):
        first = line[:1]
        if first == " " or first == "\t":
            if not line.isspace():
                continue  # continuation line (Description, Conffiles, ...)
            first = ""  # a whitespace-only line also separates stanzas
        if first == "":
            if name:
                out.append(DpkgPackage(name, version, arch, maint, status.rpartition(" ")[2], start))
                if len(out) > MAX_PACKAGES:
                    raise TooManyPackages(f"{DPKG_STATUS}: more than {MAX_PACKAGES} packages")
            name = version = arch = maint = status = ""
            start = 0
            continue
        if not start:
            start = lineno
        if first not in "PSVAMpsvam":
            continue
        key, _, value = line.partition(":")
        key = key.lower()
        if key == "package":
            name = value.strip()
        elif key == "status":
            status = " ".join(value.split())
        elif key == "version":
            version = value.strip()
        elif key == "architecture":
            arch = value.strip()
        elif key == "maintainer":
            maint = value.strip()
    if name:
        out.append(DpkgPackage(name, version, arch, maint, status.rpartition(" ")[2], start))
    return out


@dataclass(frozen=True)
class DpkgStatus:
    packages: list[DpkgPackage] | None  # None: no database was read (absent, unreadable or too large)
    problem: FactUnavailable | None  # why a database that is there was not read


def dpkg_status(ctx: FactContext) -> DpkgStatus:
    def compute() -> DpkgStatus:
        try:
            text = ctx.transport.read_text(DPKG_STATUS, cap=limits.PACKAGE_DB)
        except FactUnavailable as exc:
            return DpkgStatus(None, None if exc.code == "not_found" else exc)
        try:
            return DpkgStatus(parse_dpkg_status(text), None)
        except TooManyPackages as exc:
            return DpkgStatus(None, TooLarge(str(exc)))

    return ctx.memo("dpkg.status", compute)


def packages(ctx: FactContext, unknown_key: str | None = None) -> list[DpkgPackage]:
    """Every package stanza; [] without a readable database, why recorded under `unknown_key` if given."""
    status = dpkg_status(ctx)
    if status.problem is not None and unknown_key:
        ctx.unknown_from(unknown_key, status.problem)
    return status.packages or []


def installed(ctx: FactContext) -> dict[str, str] | None:
    """Packages in state "installed" (name -> version); None without a readable database."""
    found = dpkg_status(ctx).packages
    if found is None:
        return None
    return {p.name: p.version for p in found if p.state == "installed"}


def is_installed(ctx: FactContext, package: str) -> bool | None:
    names = installed(ctx)
    return None if names is None else package in names


def info_lists(ctx: FactContext) -> set[str]:
    """Package names with a file list in /var/lib/dpkg/info (a clue when the status file is unreadable)."""
    def compute() -> set[str]:
        names = ctx.list_dir(DPKG_INFO)
        return {n[: -len(".list")].split(":", 1)[0] for n in names if n.endswith(".list")}

    return ctx.memo("dpkg.info_lists", compute)
