"""Removable media facts from fixture roots: GNOME AutoRun through the dconf profile, keyfiles, locks and compiled
databases; the usb-storage driver through modprobe.d (override order, blacklist vs install) and modules.builtin."""

from __future__ import annotations

import os
import time

from tests.conftest import facts_of

SCHEMA = "usr/share/glib-2.0/schemas/org.gnome.desktop.media-handling.gschema.xml"
PROFILE = "user-db:user\nsystem-db:local\nsystem-db:site\n"
KEYFILE = "# lab policy\n[org/gnome/desktop/media-handling]\nautomount=false\nautorun-never=true\n"
LOCK = "/org/gnome/desktop/media-handling/autorun-never\n"
SESSION = "usr/share/xsessions/gnome.desktop"


def _media(make_root, files, compile_dbs=("local", "site")):
    root = make_root({SCHEMA: "<schemalist/>", SESSION: "[Desktop Entry]\nName=GNOME\nDesktopNames=GNOME\n", **files})
    later = time.time() + 60
    for name in compile_dbs:  # `dconf update` ran after the keyfiles were written
        db = root / "etc/dconf/db" / name
        db.parent.mkdir(parents=True, exist_ok=True)
        db.write_bytes(b"GVariant")
        os.utime(db, (later, later))
    return facts_of(root, only={"removable_media"}).table("removable_media")


def test_keyfiles_dconf_update_refuses_keep_the_old_database(make_root):
    """A group ending in "/" or a value that is not GVariant text ("True") stops `dconf update`: the older
    compiled database stays in effect, which is not read here: undetermined, never a pass."""
    for text in (KEYFILE.replace("media-handling]", "media-handling/]"), KEYFILE.replace("=true", "=True")):
        auto = _media(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-media": text,
                                  "etc/dconf/db/local.d/locks/media": LOCK})["autorun"]
        assert auto["disabled"] is None and auto["stale"] == ["local"] and "cannot compile" in auto["source"]
        assert auto["desktops"][0]["invalid"]


def test_set_and_locked_in_a_profile_database_is_disabled(make_root):
    auto = _media(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-media": KEYFILE,
                              "etc/dconf/db/local.d/locks/media": LOCK})["autorun"]
    assert auto["disabled"] is True and auto["locked"] is True and auto["databases"] == ["local", "site"]
    assert "/etc/dconf/db/local.d/00-media:4" in auto["source"] and "locks/media:1" in auto["source"]


def test_later_keyfile_overrides_and_unlocked_is_not_disabled(make_root):
    auto = _media(make_root, {"etc/dconf/profile/user": PROFILE,
                              "etc/dconf/db/local.d/00-media": KEYFILE,
                              "etc/dconf/db/local.d/50-undo": KEYFILE.replace("=true", "=false")})["autorun"]
    assert auto["value"] is False and auto["disabled"] is False and "50-undo:4" in auto["source"]
    auto = _media(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/site.d/m": KEYFILE})["autorun"]
    assert auto["value"] is True and auto["locked"] is False and auto["disabled"] is False


def test_keyfiles_without_a_profile_do_nothing(make_root):
    auto = _media(make_root, {"etc/dconf/db/local.d/00-media": KEYFILE,
                              "etc/dconf/db/local.d/locks/media": LOCK})["autorun"]
    assert auto["disabled"] is False and auto["value"] is None and "profile/user absent" in auto["source"]


def test_keyfiles_newer_than_the_compiled_database_are_not_in_effect(make_root):
    auto = _media(make_root, {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-media": KEYFILE,
                              "etc/dconf/db/local.d/locks/media": LOCK}, compile_dbs=())["autorun"]
    assert auto["disabled"] is False and auto["stale"] == ["local"] and "dconf update" in auto["source"]


def test_lower_database_lock_and_directory_lines(make_root):
    # site (lower) locks the key: its value comes from site, not from local above it
    files = {"etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00": KEYFILE.replace("=true", "=false"),
             "etc/dconf/db/site.d/00": KEYFILE, "etc/dconf/db/site.d/locks/all": LOCK}
    auto = _media(make_root, files)["autorun"]
    assert auto["disabled"] is True and "site.d/00:4" in auto["source"]
    # dconf looks locks up by the exact key: a directory line locks nothing, local's false wins
    files["etc/dconf/db/site.d/locks/all"] = "/org/gnome/desktop/media-handling/\n"
    auto = _media(make_root, files)["autorun"]
    assert auto["disabled"] is False and auto["locked"] is False and "local.d/00:4" in auto["source"]
    assert "locks nothing" in auto["desktops"][0]["invalid"][0]


def test_no_gnome_schema_means_no_desktop(make_root):
    auto = facts_of(make_root({"etc/hostname": "srv\n"}), only={"removable_media"}).table("removable_media")["autorun"]
    assert auto["desktop"] is False


def _usb(make_root, files):
    return facts_of(make_root(files), only={"removable_media"}).table("removable_media")["usb_storage"]


def test_install_false_blocks_blacklist_alone_does_not(make_root):
    usb = _usb(make_root, {"etc/modprobe.d/usb.conf": "# lab\ninstall usb-storage /bin/false\nblacklist usb_storage\n"})
    assert usb["blocked"] is True and usb["blacklisted"] is True and usb["install"] == "/bin/false"
    assert "/etc/modprobe.d/usb.conf:2" in usb["source"]
    usb = _usb(make_root, {"etc/modprobe.d/usb.conf": "blacklist usb-storage\n"})
    assert usb["blocked"] is False and usb["blacklisted"] is True


def test_etc_file_hides_the_same_name_in_lib(make_root):
    usb = _usb(make_root, {"lib/modprobe.d/usb.conf": "install usb-storage /bin/true\n",
                           "etc/modprobe.d/usb.conf": "# allowed again\n"})
    assert usb["blocked"] is False and usb["install"] is None
    usb = _usb(make_root, {"lib/modprobe.d/usb.conf": "install usb-storage /bin/true\n"})
    assert usb["blocked"] is True


def test_install_running_something_else_and_builtin_driver(make_root):
    usb = _usb(make_root, {"etc/modprobe.d/a.conf": "install usb-storage /sbin/modprobe --ignore-install "
                                                    "usb-storage && logger usb\n"})
    assert usb["blocked"] is False
    usb = _usb(make_root, {"etc/modprobe.d/a.conf": "install usb-storage /bin/false\n",
                           "lib/modules/6.1.0-13-amd64/modules.builtin":
                               "kernel/drivers/usb/storage/usb-storage.ko\n"})
    assert usb["blocked"] is False and usb["builtin"] is True


def test_compiled_database_older_than_its_keyfiles_is_undetermined(make_root):
    root = make_root({SCHEMA: "<schemalist/>", SESSION: "[Desktop Entry]\nDesktopNames=GNOME\n",
                      "etc/dconf/profile/user": PROFILE, "etc/dconf/db/local.d/00-media": KEYFILE,
                      "etc/dconf/db/local.d/locks/media": LOCK,
                      "etc/dconf/db/local": "GVariant"})
    old = time.time() - 3600
    os.utime(root / "etc/dconf/db/local", (old, old))
    auto = facts_of(root, only={"removable_media"}).table("removable_media")["autorun"]
    assert auto["disabled"] is None and auto["stale"] == ["local"]


def test_profile_from_the_data_directory(make_root):
    auto = _media(make_root, {"usr/share/dconf/profile/user": "user-db:user\nsystem-db:local\n",
                              "etc/dconf/db/local.d/00-media": KEYFILE,
                              "etc/dconf/db/local.d/locks/media": LOCK})["autorun"]
    assert auto["disabled"] is True and auto["databases"] == ["local"]


def _usb_live(files):
    from secaudit.config import AgentConfig
    from secaudit.facts import collect
    from secaudit.transport.replay import ReplayTransport

    snap = collect(ReplayTransport({"files": files}, live=True), AgentConfig(), only={"removable_media"})
    return snap.table("removable_media")["usb_storage"]


def test_kernel_command_line_module_blacklist_blocks(make_root):
    """module_blacklist= on the running kernel's command line: the kernel refuses the module (blocked);
    modprobe.blacklist= is modprobe's blacklist (alias only, not blocked)."""
    usb = _usb_live({"/proc/cmdline": "BOOT_IMAGE=/vmlinuz-6.1.0 root=UUID=x ro quiet "
                                      "module_blacklist=firewire_ohci,usb-storage\n", "/proc/modules": ""})
    assert usb["blocked"] is True and usb["kernel_blacklist"] is True and "/proc/cmdline" in usb["source"]
    usb = _usb_live({"/proc/cmdline": "ro quiet modprobe.blacklist=usb_storage\n", "/proc/modules": ""})
    assert usb["blocked"] is False and usb["blacklisted"] is True and usb["kernel_blacklist"] is False
    usb = _usb_live({"/proc/cmdline": "ro module_blacklist=usb_storage\n",
                     "/proc/modules": "usb_storage 81920 0 - Live 0x0\n"})
    assert usb["blocked"] is False  # loaded anyway (built into the initramfs' kernel before the change)
    assert _usb(make_root, {"etc/hostname": "pc\n"})["kernel_blacklist"] is None  # --root: no running kernel
