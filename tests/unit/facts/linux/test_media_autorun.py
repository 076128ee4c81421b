"""AutoRun facts per Linux desktop from fixture roots: GNOME/Cinnamon/MATE through dconf (schema paths, locks,
read-only profiles), Xfce's thunar-volman xfconf channel (defaults, locked properties and channels), KDE Plasma's
automounter (KConfig, [$i]), desktops not examined, and broken or unreadable files that never raise."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of

Root = Callable[[dict[str, Any]], Path]
PROFILE = "user-db:user\nsystem-db:local\n"
CINNAMON = {"usr/share/xsessions/cinnamon.desktop": "[Desktop Entry]\nName=Cinnamon\nDesktopNames=X-Cinnamon\n"}
MATE = {"usr/share/xsessions/mate.desktop": "[Desktop Entry]\nName=MATE\nDesktopNames=MATE\n"}
XFCE = {"usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nName=Xfce Session\nDesktopNames=XFCE\n"}
KDE = {"usr/share/xsessions/plasma.desktop": "[Desktop Entry]\nName=Plasma\nDesktopNames=KDE\n"}
VOLMAN = {"usr/bin/thunar-volman": ""}
VOLMAN_XML = "etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"
KDE_RC = "etc/xdg/kded_device_automounterrc"
RUNS = ("autorun", "autoopen", "autoplay-audio-cds", "autoplay-video-cds", "autophoto", "autoipod")


def _autorun(make_root: Root, files: dict[str, Any], compiled: bool = True) -> dict[str, Any]:
    root = make_root(files)
    if compiled:  # `dconf update` ran after the keyfiles were written
        db = root / "etc/dconf/db/local"
        db.parent.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"GVariant")
        later = time.time() + 60
        os.utime(db, (later, later))
    snap = facts_of(root, only={"removable_media"})
    return dict(snap.table("removable_media")["autorun"])


def _desktops(make_root: Root, files: dict[str, Any], compiled: bool = True) -> dict[str, dict[str, Any]]:
    return {e["desktop"]: e for e in _autorun(make_root, files, compiled)["desktops"]}


def _volman(properties: str, channel: str = "") -> str:
    return (f"<?xml version='1.0' encoding='UTF-8'?><channel name='thunar-volman' version='1.0' {channel}>"
            f"{properties}</channel>")


def _prop(name: str, value: str, locked: bool = False) -> str:
    lock = " locked='*'" if locked else ""
    return f"<property name='{name}' type='empty'><property name='enabled' type='bool' value='{value}'{lock}/>" \
           f"</property>"


# --- GSettings desktops ----------------------------------------------------------------------------------------

def test_cinnamon_default_autoruns_and_a_locked_keyfile_stops_it(make_root: Root) -> None:
    cinnamon = _desktops(make_root, CINNAMON)["cinnamon"]
    assert (cinnamon["autorun_off"], cinnamon["disabled"], cinnamon["automount"]) == (False, False, True)
    assert "autorun-never false" in cinnamon["setting"] and "default" in cinnamon["source"]
    files = {**CINNAMON, "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00-media": "[org/cinnamon/desktop/media-handling]\nautorun-never=true\n",
             "etc/dconf/db/local.d/locks/media": "/org/cinnamon/desktop/media-handling/autorun-never\n"}
    cinnamon = _desktops(make_root, files)["cinnamon"]
    assert (cinnamon["autorun_off"], cinnamon["locked"], cinnamon["disabled"]) == (True, True, True)
    assert cinnamon["source"] == "/etc/dconf/db/local.d/00-media:2, lock /etc/dconf/db/local.d/locks/media:1"


def test_mate_reads_its_schema_path_not_its_id(make_root: Root) -> None:
    wrong = {**MATE, "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00": "[org/mate/media-handling]\nautorun-never=true\n"}
    assert _desktops(make_root, wrong)["mate"]["autorun_off"] is False  # not where Caja reads it
    right = {**wrong, "etc/dconf/db/local.d/00": "[org/mate/desktop/media-handling]\nautorun-never=true\n"
             "automount=false\n"}
    mate = _desktops(make_root, right)["mate"]
    assert (mate["autorun_off"], mate["locked"], mate["automount"]) == (True, False, False)


def test_installed_schema_path_and_default(make_root: Root) -> None:
    schema = ("<schemalist><schema id='org.mate.media-handling' path='/org/mate/elsewhere/'>"
              "<key name='autorun-never' type='b'><default>true</default></key></schema></schemalist>")
    files = {"usr/share/glib-2.0/schemas/org.mate.media-handling.gschema.xml": schema,
             "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00": "[org/mate/elsewhere]\nautorun-never=false\n"}
    mate = _desktops(make_root, files)["mate"]  # found by its schema alone, no session
    assert mate["autorun_off"] is False and "local.d/00:2" in mate["source"]
    del files["etc/dconf/db/local.d/00"]
    assert _desktops(make_root, files)["mate"]["autorun_off"] is True  # the schema's own default


def test_profile_without_the_users_database_is_locked(make_root: Root) -> None:
    files = {**CINNAMON, "etc/dconf/profile/user": "system-db:local\n",
             "etc/dconf/db/local.d/00": "[org/cinnamon/desktop/media-handling]\nautorun-never=true\n"}
    assert _desktops(make_root, files)["cinnamon"]["disabled"] is True


def test_pending_dconf_database_is_undetermined_for_every_gsettings_desktop(make_root: Root) -> None:
    files = {**CINNAMON, **MATE, "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00": "[org/cinnamon/desktop/media-handling]\nautorun-never=yes\n"}
    found = _desktops(make_root, files)
    assert found["cinnamon"]["autorun_off"] is None and found["mate"]["disabled"] is None
    assert "cannot compile" in found["mate"]["source"]


# --- Xfce -----------------------------------------------------------------------------------------------------------

def test_xfce_without_thunar_volman_runs_nothing(make_root: Root) -> None:
    xfce = _desktops(make_root, XFCE)["xfce"]
    assert (xfce["autorun_off"], xfce["locked"], xfce["disabled"]) == (True, True, True)
    assert "not installed" in xfce["source"]


def test_thunar_volman_defaults_are_off_but_changeable(make_root: Root) -> None:
    xfce = _desktops(make_root, {**XFCE, **VOLMAN})["xfce"]
    assert (xfce["autorun_off"], xfce["locked"], xfce["disabled"], xfce["automount"]) == (True, False, False, False)


def test_thunar_volman_locked_properties(make_root: Root) -> None:
    locked = "".join(_prop(p, "false", locked=True) for p in RUNS)
    xfce = _desktops(make_root, {**XFCE, **VOLMAN, VOLMAN_XML: _volman(locked)})["xfce"]
    assert xfce["disabled"] is True and "thunar-volman.xml" in xfce["source"]
    one_open = "".join(_prop(p, "false", locked=p != "autophoto") for p in RUNS)
    assert _desktops(make_root, {**XFCE, **VOLMAN, VOLMAN_XML: _volman(one_open)})["xfce"]["locked"] is False
    channel = _volman("".join(_prop(p, "false") for p in RUNS), "locked='*'")
    assert _desktops(make_root, {**XFCE, **VOLMAN, VOLMAN_XML: channel})["xfce"]["disabled"] is True


def test_thunar_volman_autorun_enabled(make_root: Root) -> None:
    xml = _volman(_prop("autorun", "true", locked=True) + _prop("automount-drives", "true"))
    xfce = _desktops(make_root, {**XFCE, **VOLMAN, VOLMAN_XML: xml})["xfce"]
    assert (xfce["autorun_off"], xfce["disabled"], xfce["automount"]) == (False, False, True)
    assert xfce["setting"] == "thunar-volman autorun on"


def test_thunar_volman_broken_files_never_raise(make_root: Root) -> None:
    xfce = _desktops(make_root, {**VOLMAN, VOLMAN_XML: "<channel><property"})["xfce"]  # found by thunar-volman
    assert xfce["autorun_off"] is True and xfce["locked"] is False and xfce["invalid"]
    bomb = "<!DOCTYPE c [<!ENTITY a 'aaaa'>]><channel name='thunar-volman'/>"
    assert "DTD" in _desktops(make_root, {**VOLMAN, VOLMAN_XML: bomb})["xfce"]["invalid"][0]
    odd = _volman(_prop("autorun", "maybe"))
    xfce = _desktops(make_root, {**VOLMAN, VOLMAN_XML: odd})["xfce"]
    assert xfce["autorun_off"] is None and "not a boolean" in xfce["invalid"][0]


# --- KDE Plasma and others ------------------------------------------------------------------------------------------

def test_kde_never_autoruns_and_reports_its_automounter(make_root: Root) -> None:
    kde = _desktops(make_root, KDE)["kde"]
    assert (kde["autorun_off"], kde["locked"], kde["disabled"], kde["automount"]) == (True, True, True, None)
    assert "not set" in kde["source"]
    rc = "[General][$i]\nAutomountEnabled=false\nAutomountOnPlugin=true\n"
    kde = _desktops(make_root, {**KDE, KDE_RC: rc})["kde"]
    assert kde["automount"] is False and "AutomountEnabled=false" in kde["source"]
    rc = "[General]\nAutomountEnabled=true\nAutomountOnLogin=false\nAutomountOnPlugin=true\n"
    assert _desktops(make_root, {**KDE, KDE_RC: rc})["kde"]["automount"] is True
    kde = _desktops(make_root, {**KDE, KDE_RC: "[General\nAutomountEnabled=maybe\n"})["kde"]
    assert kde["automount"] is None and kde["invalid"] and kde["disabled"] is True


def test_unexamined_desktop_is_undetermined_and_overall_state(make_root: Root) -> None:
    auto = _autorun(make_root, {**KDE, "usr/share/xsessions/lxqt.desktop": "[Desktop Entry]\nDesktopNames=LXQt\n"})
    found = {e["desktop"]: e for e in auto["desktops"]}
    assert found["lxqt"]["autorun_off"] is None and "not examined" in found["lxqt"]["source"]
    assert auto["disabled"] is None and auto["desktop"] is True
    auto = _autorun(make_root, {**KDE, **CINNAMON})
    assert auto["disabled"] is False and auto["value"] is None  # Cinnamon autoruns; GNOME's fields stay empty


def test_no_desktop_at_all(make_root: Root) -> None:
    auto = _autorun(make_root, {"etc/hostname": "srv\n"}, compiled=False)
    assert (auto["desktop"], auto["disabled"], auto["desktops"]) == (False, True, [])


def test_unreadable_files_leave_it_undetermined() -> None:
    files = {"/usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nDesktopNames=XFCE\n", "/usr/bin/thunar-volman": "",
             "/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml": "<channel/>"}
    recording = {"files": files, "denied": ["/etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"]}
    snap = collect(ReplayTransport(recording), AgentConfig(), only={"removable_media"})
    (xfce,) = snap.table("removable_media")["autorun"]["desktops"]
    assert xfce["autorun_off"] is None and "unreadable" in xfce["source"]
    assert snap.unknown["removable_media.autorun"]["code"] == "permission_denied"
