"""Removable-media checks: AutoRun (GNOME through dconf on fixture roots; Windows from the recordings) and the USB
storage driver where the unit's config asks for it blocked."""

from __future__ import annotations

from pathlib import Path

from secaudit.config import AgentConfig
from secaudit.facts import collect
from secaudit.facts.model import Snapshot
from secaudit.transport.replay import ReplayTransport
from tests.conftest import facts_of, run_check, snapshot

SCHEMA = "usr/share/glib-2.0/schemas/org.gnome.desktop.media-handling.gschema.xml"
KEYFILE = "[org/gnome/desktop/media-handling]\nautorun-never=true\n"
WINDOWS = Path(__file__).resolve().parents[2] / "fixtures" / "windows"
BLOCK = {"blocked": True}


GNOME_SESSION = {"usr/share/wayland-sessions/gnome.desktop": "[Desktop Entry]\nName=GNOME\nDesktopNames=GNOME\n"}


def _linux(make_root, files, session=True):
    root = make_root({SCHEMA: "<schemalist/>", **(GNOME_SESSION if session else {}), **files})
    (root / "etc/dconf/db").mkdir(parents=True, exist_ok=True)
    (root / "etc/dconf/db/local").write_bytes(b"GVariant")  # compiled after the keyfiles (same second or later)
    return facts_of(root, only={"removable_media"})


def _windows(name: str):
    import json

    rec = json.loads((WINDOWS / name).read_text(encoding="utf-8"))
    return collect(ReplayTransport(rec), AgentConfig(), only={"removable_media"})


def test_gnome_autorun_locked_passes_unlocked_warns_unset_fails(make_root):
    profile = {"etc/dconf/profile/user": "user-db:user\nsystem-db:local\n"}
    snap = _linux(make_root, {**profile, "etc/dconf/db/local.d/00": KEYFILE,
                              "etc/dconf/db/local.d/locks/m": "/org/gnome/desktop/media-handling/autorun-never\n"})
    res = run_check("devices.autorun", snap)
    assert res.status == "pass" and "locked" in res.message["en"]
    res = run_check("devices.autorun", _linux(make_root, {**profile, "etc/dconf/db/local.d/00": KEYFILE}))
    assert res.status == "warn" and "not locked" in res.message["en"]
    res = run_check("devices.autorun", _linux(make_root, profile))
    assert res.status == "fail" and "autorun-never" in res.message["vi"]


def test_media_schemas_on_a_server_without_sessions_are_not_a_desktop(make_root):
    """gsettings-desktop-schemas comes with a browser or gvfs on a server: with no graphical session to log in
    to, nothing opens inserted media (desktop.idle_lock finds no desktop either)."""
    res = run_check("devices.autorun", _linux(make_root, {}, session=False))
    assert res.status == "not_applicable"


def test_no_desktop_is_not_applicable(make_root):
    snap = facts_of(make_root({"etc/hostname": "srv\n"}), only={"removable_media"})
    assert run_check("devices.autorun", snap).status == "not_applicable"


def test_windows_autorun_from_recordings():
    assert run_check("devices.autorun", _windows("win11-healthy.json")).status == "pass"
    res = run_check("devices.autorun", _windows("win11-risky.json"))
    assert res.status == "fail" and "0x91" in res.message["en"]
    snap = snapshot({"removable_media": {"autorun": {"disabled": False, "no_drive_type_autorun": 255,
                                                     "no_autorun": None, "source": "k"}, "usb_storage": None}})
    snap.family = "windows"
    assert run_check("devices.autorun", snap).status == "warn"


def test_unreadable_is_unknown():
    snap = snapshot({"removable_media": {"autorun": None, "usb_storage": None}},
                    unknown={"removable_media.autorun": {"code": "permission_denied",
                                                         "detail": "/etc/dconf/profile/user"}})
    res = run_check("devices.autorun", snap)
    assert res.status == "unknown" and "/etc/dconf/profile/user" in res.message["en"]
    assert run_check("devices.usb_storage", snap, params=BLOCK).status == "unknown"


def test_a_desktop_with_no_entries_is_unknown_not_an_error():
    """Found by the hostile-input fuzz: a desktop seen but no desktop's settings read (an empty list)."""
    snap = snapshot({"removable_media": {"autorun": {"desktop": True, "desktops": []}, "usb_storage": None}})
    res = run_check("devices.autorun", snap)
    assert res.status == "unknown" and "Cannot determine" in res.message["en"]


def test_usb_storage_only_when_asked(make_root):
    snap = facts_of(make_root({"etc/modprobe.d/u.conf": "blacklist usb-storage\n"}), only={"removable_media"})
    assert run_check("devices.usb_storage", snap).status == "not_applicable"
    res = run_check("devices.usb_storage", snap, params=BLOCK)
    assert res.status == "warn" and "modprobe usb-storage" in res.message["en"]
    snap = facts_of(make_root({"etc/modprobe.d/u.conf": "install usb-storage /bin/false\n"}), only={"removable_media"})
    assert run_check("devices.usb_storage", snap, params=BLOCK).status == "pass"
    snap = facts_of(make_root({"etc/hostname": "pc\n"}), only={"removable_media"})
    assert run_check("devices.usb_storage", snap, params=BLOCK).status == "fail"


def test_usb_storage_loaded_or_builtin_fails():
    base = {"blocked": False, "blacklisted": False, "install": "/bin/false", "source": "s"}
    for extra, key in (({"loaded": True, "builtin": False}, "loaded now"), ({"loaded": None, "builtin": True},
                                                                              "built into")):
        snap = snapshot({"removable_media": {"autorun": None, "usb_storage": {**base, **extra}}})
        res = run_check("devices.usb_storage", snap, params=BLOCK)
        assert res.status == "fail" and key in res.message["en"]


def test_windows_usbstor_start():
    assert run_check("devices.usb_storage", _windows("server2022-no-sc2.json"), params=BLOCK).status == "pass"
    res = run_check("devices.usb_storage", _windows("win11-healthy.json"), params=BLOCK)
    assert res.status == "fail" and "Start 3" in res.message["en"]


def test_config_param_turns_it_on():
    cfg = AgentConfig()
    cfg.params = {"devices.usb_storage": {"blocked": True}}
    res = run_check("devices.usb_storage", _windows("win11-healthy.json"), config=cfg)
    assert res.status == "fail"


def test_outdated_dconf_database_is_unknown():
    snap = snapshot({"removable_media": {"autorun": {"disabled": None, "desktop": True, "value": True,
                                                     "locked": True, "source": "not compiled (dconf update): local"},
                                         "usb_storage": None}})
    res = run_check("devices.autorun", snap)
    assert res.status == "unknown" and "dconf update" in res.message["en"]


def _desktops(*entries: dict) -> Snapshot:
    base = {"disabled": None, "autorun_off": True, "locked": True, "setting": "s", "source": "f:1", "automount": None,
            "pending": [], "invalid": []}
    rows = [{**base, **e} for e in entries]
    return snapshot({"removable_media": {"autorun": {"disabled": None, "desktop": True, "value": None,
                                                     "locked": False, "databases": [], "stale": [],
                                                     "desktops": rows, "source": "x"}, "usb_storage": None}})


def test_every_installed_desktop_is_judged():
    res = run_check("devices.autorun", _desktops({"desktop": "kde", "setting": "KDE Plasma has no autorun"},
                                                 {"desktop": "xfce", "setting": "thunar-volman not installed"}))
    assert res.status == "pass" and res.message["en"].startswith("KDE Plasma, Xfce:")
    assert "Xfce: thunar-volman not installed" in res.message["vi"]
    res = run_check("devices.autorun", _desktops({"desktop": "kde"}, {"desktop": "xfce", "locked": False,
                                                                       "source": "default (thunar-volman)"}))
    assert res.status == "warn" and res.message["en"].startswith("Xfce:") and "not locked" in res.message["en"]
    assert "default (thunar-volman)" in res.message["en"]
    res = run_check("devices.autorun", _desktops({"desktop": "gnome"}, {"desktop": "cinnamon", "autorun_off": False,
                                                                         "setting": "autorun-never false"}))
    assert res.status == "fail" and res.message["vi"].startswith("Cinnamon:") and "autorun-never" in res.message["vi"]
    assert [e["desktop"] for e in res.evidence["desktops"]] == ["gnome", "cinnamon"]


def test_undetermined_desktops_are_unknown():
    res = run_check("devices.autorun", _desktops({"desktop": "kde"}, {"desktop": "lxqt", "autorun_off": None,
                                                                       "source": "lxqt: not examined"}))
    assert res.status == "unknown" and "lxqt" in res.message["en"] and "Cannot determine" in res.message["en"]
    res = run_check("devices.autorun", _desktops({"desktop": "mate", "autorun_off": None,
                                                  "source": "/etc/dconf/db/local.d: changed after ... (\"dconf "
                                                            "update\" not run)"}))
    assert res.status == "unknown" and res.message["en"].startswith("Undetermined for MATE")
    res = run_check("devices.autorun", _desktops({"desktop": "xfce", "locked": None}))
    assert res.status == "unknown"
    res = run_check("devices.autorun", _desktops({"desktop": "gnome", "autorun_off": False}, {"desktop": "lxde",
                                                                                                "autorun_off": None}))
    assert res.status == "fail"  # a desktop that autoruns outweighs one not examined


def test_xfce_and_kde_from_fixture_roots(make_root):
    files = {"usr/share/xsessions/xfce.desktop": "[Desktop Entry]\nDesktopNames=XFCE\n",
             "usr/share/xsessions/plasma.desktop": "[Desktop Entry]\nDesktopNames=KDE\n", "usr/bin/thunar-volman": "",
             "etc/xdg/xfce4/xfconf/xfce-perchannel-xml/thunar-volman.xml":
                 "<channel name='thunar-volman' version='1.0' locked='*'><property name='autorun' type='empty'>"
                 "<property name='enabled' type='bool' value='true'/></property></channel>"}
    res = run_check("devices.autorun", facts_of(make_root(files), only={"removable_media"}))
    assert res.status == "fail" and "thunar-volman autorun on" in res.message["en"]


PEOPLE = ("root:x:0:0:root:/root:/bin/bash\nhocsinh:x:1001:1001::/home/hocsinh:/bin/bash\n"
          "giaovien:x:1002:1002::/home/giaovien:/bin/bash\n")


def test_autorun_judges_each_persons_own_settings(make_root, tmp_path):
    from tests.unit.facts.linux.test_gvdb import compiled

    profile = {"etc/dconf/profile/user": "user-db:user\nsystem-db:local\n", "etc/passwd": PEOPLE}
    own = compiled(tmp_path / "own", "[org/gnome/desktop/media-handling]\nautorun-never=false\n")
    files = {**profile, "etc/dconf/db/local.d/00": KEYFILE, "home/hocsinh/.config/dconf/user": own}
    res = run_check("devices.autorun", _linux(make_root, files))
    assert res.status == "fail" and "GNOME (hocsinh)" in res.message["en"] and "GNOME (hocsinh)" in res.message["vi"]
    lock = "/org/gnome/desktop/media-handling/autorun-never\n"
    res = run_check("devices.autorun", _linux(make_root, {**files, "etc/dconf/db/local.d/locks/m": lock}))
    assert res.status == "pass"  # the system's lock wins over the person's own value
    everyone = {**files, "home/giaovien/.config/dconf/user": own, "etc/dconf/db/local.d/locks/m": lock}
    res = run_check("devices.autorun", _linux(make_root, everyone))
    assert res.status == "pass" and "GNOME (giaovien)" in res.message["en"]  # nobody gets the system's alone
    files["home/hocsinh/.config/dconf/user"] = b"GVariant" + bytes(40)
    res = run_check("devices.autorun", _linux(make_root, files))
    assert res.status == "unknown" and "not a dconf database" in res.message["en"]
    assert "GNOME (hocsinh)" in res.message["vi"]
    res = run_check("devices.autorun", _linux(make_root, {**files, "etc/dconf/db/local.d/locks/m": lock}))
    assert res.status == "pass"  # locked by the system: their damaged database changes nothing
