"""Units enabled at boot, one reader for the firewall, time sync, updates and antivirus collectors: links in
.wants/.requires of the whole persistent unit search path, masked units excluded."""

from __future__ import annotations

import os
from pathlib import Path

from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.linux.sources.systemd import enabled_unit, is_enabled, unit_links, unit_masked
from secaudit.facts.model import Snapshot
from secaudit.transport.local import RootTransport
from tests.conftest import facts_of

WANTS = "multi-user.target.wants"


def _link(root: Path, where: str, target: str) -> None:
    path = root / where.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def _root(make_root) -> Path:
    root = make_root({"usr/bin/clamscan": "", "usr/lib/systemd/system/clamav-freshclam.service": "[Unit]\n",
                      "usr/lib/systemd/system/clamav-daemon.service": "[Unit]\n",
                      "usr/lib/systemd/system/chrony.service": "[Unit]\n"})
    # shipped enabled by the package (vendor preset), enabled by the admin, and enabled then masked
    _link(root, f"/usr/lib/systemd/system/{WANTS}/clamav-freshclam.service", "../clamav-freshclam.service")
    _link(root, f"/etc/systemd/system/{WANTS}/chrony.service", "/usr/lib/systemd/system/chrony.service")
    _link(root, f"/etc/systemd/system/{WANTS}/clamav-daemon.service", "/usr/lib/systemd/system/clamav-daemon.service")
    _link(root, "/etc/systemd/system/clamav-daemon.service", "/dev/null")
    return root


def test_search_path_and_masks(make_root) -> None:
    root = _root(make_root)
    ctx = FactContext(RootTransport(str(root)), AgentConfig(), Snapshot(collected_at="x", mode="root"), 0.0)
    links = unit_links(ctx)
    assert links["clamav-freshclam.service"] == f"/usr/lib/systemd/system/{WANTS}/clamav-freshclam.service"
    assert links["chrony.service"] == f"/etc/systemd/system/{WANTS}/chrony.service"
    assert unit_masked(ctx, "clamav-daemon.service") and not unit_masked(ctx, "chrony.service")
    assert is_enabled(ctx, "clamav-freshclam.service") and is_enabled(ctx, "chrony.service")
    assert not is_enabled(ctx, "clamav-daemon.service")  # linked, but masked
    assert enabled_unit(ctx, "clamav-daemon.service", "chrony.service") == links["chrony.service"]


def test_collectors_agree_on_what_is_enabled(make_root) -> None:
    snap = facts_of(_root(make_root), only={"antivirus", "system"})
    clam = next(r for r in snap.table("antivirus") if r["id"] == "clamav")
    assert clam["enabled_units"] == ["clamav-freshclam.service"]  # the masked daemon is not
    assert clam["updater_enabled"] is True
    system = snap.table("system")
    assert (system["time_sync_service"], system["time_sync_service_source"]) == (
        "chrony", f"/etc/systemd/system/{WANTS}/chrony.service")
