"""dconf as dconf-update.vala and dconf-engine.c read it, on fixture roots: what `dconf update` refuses, what a lock
line is, where a key is searched when locked, and schema paths."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.linux.dconf import Key, SchemaDefaults, key_path, lookup, read_profile, read_schemas
from secaudit.facts.model import Snapshot
from secaudit.transport.local import RootTransport

Root = Callable[[dict[str, Any]], Path]
KEY = Key("org.gnome.desktop.media-handling", "autorun-never", "b", False)
PROFILE = "user-db:user\nsystem-db:local\nsystem-db:site\n"
GROUP = "[org/gnome/desktop/media-handling]\n"


def _lookup(make_root: Root, files: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    root = make_root({"etc/dconf/profile/user": PROFILE, **files})
    later = time.time() + 60
    for name in ("local", "site"):
        db = root / "etc/dconf/db" / name
        db.parent.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"GVariant")
        os.utime(db, (later, later))
    ctx = FactContext(RootTransport(str(root)), AgentConfig(), Snapshot(collected_at="", mode="root"), 0.0)
    files_read: list[str] = []
    invalid: list[str] = []
    profile = read_profile(ctx, files_read, invalid, "t")
    return lookup(KEY, profile, read_schemas(ctx, {KEY.schema}, invalid, "t"), []), invalid


def test_dconf_update_refuses_bad_names_and_values(make_root: Root) -> None:
    for text in (f"{GROUP}media/autorun-never=true\n", "[/org/gnome/desktop/media-handling]\nautorun-never=true\n",
                 f"{GROUP}autorun-never=True\n", "autorun-never=true\n"):
        got, invalid = _lookup(make_root, {"etc/dconf/db/local.d/00": text})
        assert got["value"] is None and got["locked"] is None and "cannot compile" in got["source"], text
        assert invalid, text


def test_lock_lines_are_exact_keys(make_root: Root) -> None:
    keyfile = {"etc/dconf/db/local.d/00": f"{GROUP}autorun-never=true\n"}
    for line, locked in (("/org/gnome/desktop/media-handling/autorun-never\n", True),
                         (" /org/gnome/desktop/media-handling/autorun-never\n", False),  # not starting with "/"
                         ("/org/gnome/desktop/media-handling/autorun-never \n", False),  # another key
                         ("/org/gnome/desktop/media-handling/\n", False)):  # a directory locks nothing
        got, _ = _lookup(make_root, {**keyfile, "etc/dconf/db/local.d/locks/l": line})
        assert got["locked"] is locked and got["value"] is True, line


def test_a_lock_in_a_lower_database_searches_from_there(make_root: Root) -> None:
    got, _ = _lookup(make_root, {"etc/dconf/db/local.d/00": f"{GROUP}autorun-never=false\n",
                                 "etc/dconf/db/site.d/00": f"{GROUP}autorun-never=true\n",
                                 "etc/dconf/db/site.d/locks/l": "/org/gnome/desktop/media-handling/autorun-never\n"})
    assert (got["value"], got["set"], got["locked"]) == (True, True, True)
    assert got["source"].startswith("/etc/dconf/db/site.d/00:2, lock /etc/dconf/db/site.d/locks/l:1")


def test_schema_path_from_the_key_then_the_installed_schema() -> None:
    mate = Key("org.mate.media-handling", "autorun-never", "b", False, path="org/mate/desktop/media-handling")
    assert key_path(mate) == ("org/mate/desktop/media-handling", "/org/mate/desktop/media-handling/autorun-never")
    assert key_path(KEY)[0] == "org/gnome/desktop/media-handling"
    installed = SchemaDefaults({}, [], {"org.mate.media-handling": "org/mate/x"})
    assert key_path(mate, installed)[1] == "/org/mate/x/autorun-never"
