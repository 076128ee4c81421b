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
GNOME = {"usr/share/xsessions/gnome.desktop": "[Desktop Entry]\nName=GNOME\nDesktopNames=GNOME\n"}
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
    files = {"usr/share/glib-2.0/schemas/org.mate.media-handling.gschema.xml": schema, **GNOME,
             "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00": "[org/mate/elsewhere]\nautorun-never=false\n"}
    mate = _desktops(make_root, files)["mate"]  # found by its schema alone, no MATE session (another desktop's)
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
    xfce = _desktops(make_root, {**GNOME, **VOLMAN, VOLMAN_XML: "<channel><property"})["xfce"]  # by thunar-volman
    assert xfce["autorun_off"] is True and xfce["locked"] is False and xfce["invalid"]
    bomb = "<!DOCTYPE c [<!ENTITY a 'aaaa'>]><channel name='thunar-volman'/>"
    assert "DTD" in _desktops(make_root, {**GNOME, **VOLMAN, VOLMAN_XML: bomb})["xfce"]["invalid"][0]
    odd = _volman(_prop("autorun", "maybe"))
    xfce = _desktops(make_root, {**GNOME, **VOLMAN, VOLMAN_XML: odd})["xfce"]
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


# --- each person's own settings -------------------------------------------------------------------------------------

PEOPLE = ("root:x:0:0:root:/root:/bin/bash\nhocsinh:x:1001:1001:Học sinh:/home/hocsinh:/bin/bash\n"
          "giaovien:x:1002:1002::/home/giaovien/:/bin/bash\nkiosk:x:1003:1003::/home/kiosk:/usr/sbin/nologin\n")
GNOME = {"usr/share/xsessions/ubuntu.desktop": "[Desktop Entry]\nName=Ubuntu\nDesktopNames=ubuntu:GNOME\n"}
MEDIA = "[org/gnome/desktop/media-handling]\n"


def _own_db(tmp: Path, keyfile: str) -> bytes:
    from tests.unit.facts.linux.test_gvdb import compiled

    return compiled(tmp, keyfile)


def test_gnome_persons_own_database_unless_the_system_locks_it(make_root: Root, tmp_path: Path) -> None:
    files = {**GNOME, "etc/passwd": PEOPLE, "etc/dconf/profile/user": PROFILE,
             "etc/dconf/db/local.d/00-media": f"{MEDIA}autorun-never=true\n",
             "home/hocsinh/.config/dconf/user": _own_db(tmp_path / "a", f"{MEDIA}autorun-never=false\n"
                                                        "automount=false\nautomount-open=false\n"),
             "home/kiosk/.config/dconf/user": _own_db(tmp_path / "k", f"{MEDIA}autorun-never=false\n")}
    auto = _autorun(make_root, files)
    (gnome,) = auto["desktops"]
    assert (gnome["autorun_off"], gnome["disabled"], gnome["default_applies"]) == (True, False, True)
    (mine,) = gnome["users"]  # kiosk has no login shell
    assert (mine["user"], mine["autorun_off"], mine["disabled"], mine["automount"], mine["automount_open"]) == (
        "hocsinh", False, False, False, False)
    assert mine["source"] == "/home/hocsinh/.config/dconf/user /org/gnome/desktop/media-handling/autorun-never"
    assert mine["file"] == "/home/hocsinh/.config/dconf/user" and auto["disabled"] is False
    files["etc/dconf/db/local.d/locks/media"] = "/org/gnome/desktop/media-handling/autorun-never\n"
    auto = _autorun(make_root, files)
    (mine,) = auto["desktops"][0]["users"]
    assert (mine["autorun_off"], mine["locked"], mine["disabled"], mine["automount"]) == (True, True, True, False)
    assert mine["source"].startswith("/etc/dconf/db/local.d/00-media:2, lock") and auto["disabled"] is True


def test_cinnamon_and_mate_persons_own_database(make_root: Root, tmp_path: Path) -> None:
    own = _own_db(tmp_path / "a", "[org/cinnamon/desktop/media-handling]\nautorun-never=true\n"
                                  "[org/mate/desktop/media-handling]\nautorun-never=false\n")
    files = {**CINNAMON, **MATE, "etc/passwd": PEOPLE, "home/giaovien/.config/dconf/user": own}
    found = _desktops(make_root, files)
    (cinnamon,), (mate,) = found["cinnamon"]["users"], found["mate"]["users"]
    assert (cinnamon["user"], cinnamon["autorun_off"], cinnamon["locked"], cinnamon["disabled"]) == (
        "giaovien", True, False, False)
    assert (mate["autorun_off"], mate["automount"], mate["automount_open"]) == (False, True, True)


def test_a_damaged_or_unreadable_own_database_leaves_that_person_undetermined(make_root: Root) -> None:
    files = {**GNOME, "etc/passwd": PEOPLE, "home/hocsinh/.config/dconf/user": b"GVariant" + bytes(16)}
    (mine,) = _desktops(make_root, files)["gnome"]["users"]
    assert (mine["autorun_off"], mine["disabled"]) == (None, None) and "not a dconf database" in mine["source"]
    recording = {"files": {"/etc/passwd": PEOPLE, "/usr/share/xsessions/ubuntu.desktop": GNOME[
        "usr/share/xsessions/ubuntu.desktop"], "/home/hocsinh/.config/dconf/user": "x"},
        "denied": ["/home/hocsinh/.config/dconf/user"]}
    snap = collect(ReplayTransport(recording), AgentConfig(), only={"removable_media"})
    (gnome,) = snap.table("removable_media")["autorun"]["desktops"]
    assert gnome["users"][0]["autorun_off"] is None and "unreadable" in gnome["users"][0]["source"]
    assert snap.unknown["removable_media.autorun"]["code"] == "permission_denied"
    locked = {**files, "etc/dconf/profile/user": PROFILE,
              "etc/dconf/db/local.d/00-media": f"{MEDIA}autorun-never=true\n",
              "etc/dconf/db/local.d/locks/media": "/org/gnome/desktop/media-handling/autorun-never\n"}
    (mine,) = _desktops(make_root, locked)["gnome"]["users"]  # the system's lock decides whatever their file says
    assert (mine["autorun_off"], mine["disabled"], mine["automount"]) == (True, True, None)
    assert "not a dconf database" in mine["source"] and mine["invalid"]


def test_thunar_volman_persons_own_channel(make_root: Root) -> None:
    own = "home/hocsinh/.config/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml"
    files = {**XFCE, **VOLMAN, "etc/passwd": PEOPLE, own: _volman(_prop("autorun", "true"))}
    xfce = _desktops(make_root, files)["xfce"]
    (mine,) = xfce["users"]
    assert (mine["autorun_off"], mine["disabled"], mine["setting"]) == (False, False, "thunar-volman autorun on")
    assert mine["source"] == f"/{own} (/autorun/enabled)"
    files[VOLMAN_XML] = _volman("".join(_prop(p, "false", locked=True) for p in RUNS))
    (mine,) = _desktops(make_root, files)["xfce"]["users"]
    assert (mine["autorun_off"], mine["disabled"]) == (True, True)  # the system locked every property
    files[own] = "<channel name='thunar-volman'><property"
    (mine,) = _desktops(make_root, files)["xfce"]["users"]
    assert mine["disabled"] is True and mine["invalid"]
    del files["usr/bin/thunar-volman"]  # not installed: nobody's channel is read
    assert _desktops(make_root, {k: v for k, v in files.items() if k != VOLMAN_XML})["xfce"]["users"] == []


def test_kde_persons_own_automounter(make_root: Root) -> None:
    files = {**KDE, "etc/passwd": PEOPLE, KDE_RC: "[General]\nAutomountEnabled=true\nAutomountOnPlugin=true\n",
             "home/hocsinh/.config/kded5rc": "[Module-device_automounter]\nautoload=false\n",
             "home/giaovien/.config/kded_device_automounterrc": "[General]\nAutomountEnabled=false\n"}
    kde = _desktops(make_root, files)["kde"]
    assert (kde["automount"], kde["default_applies"], kde["disabled"]) == (True, False, True)
    mine, theirs = kde["users"]
    assert (mine["user"], mine["automount"], theirs["user"], theirs["automount"]) == (
        "hocsinh", False, "giaovien", False)
    assert "autoload=false (/home/hocsinh/.config/kded5rc:2)" in mine["source"]
    files[KDE_RC] = "[General][$i]\nAutomountEnabled=true\nAutomountOnPlugin=true\n"
    assert _desktops(make_root, files)["kde"]["users"][1]["automount"] is True  # immutable: the system's
    recording = {"files": {"/etc/passwd": PEOPLE, "/usr/share/xsessions/plasma.desktop": KDE[
        "usr/share/xsessions/plasma.desktop"], "/home/hocsinh/.config/kded5rc": "x"},
        "denied": ["/home/hocsinh/.config/kded5rc"]}
    snap = collect(ReplayTransport(recording), AgentConfig(), only={"removable_media"})
    (mine,) = snap.table("removable_media")["autorun"]["desktops"][0]["users"]
    assert (mine["disabled"], mine["automount"]) == (True, None)  # Plasma never autoruns, whatever it says
    assert "unreadable" in mine["source"]
