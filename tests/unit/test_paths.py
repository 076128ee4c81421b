"""secaudit.paths: the default places on Windows (%ProgramData%\\secaudit) and elsewhere, and that the
config, key and state defaults use them."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from secaudit import paths
from secaudit.sign import keys


def test_windows_puts_everything_under_programdata_secaudit() -> None:
    got = paths.layout("nt", {"PROGRAMDATA": r"D:\PD"})  # the variable's case does not matter, as on Windows
    base = PureWindowsPath(r"D:\PD\secaudit")
    assert got.base == base
    assert got.config == base / "secaudit.toml"
    assert (got.keys, got.state, got.reports) == (base / "keys", base / "state", base / "reports")
    assert all(isinstance(p, PureWindowsPath) for p in (got.base, got.config, got.keys, got.state, got.reports))


def test_windows_without_a_usable_programdata_uses_c_programdata() -> None:
    for env in ({}, {"ProgramData": ""}, {"ProgramData": r"relative\dir"}):
        assert paths.layout("nt", env).base == PureWindowsPath(r"C:\ProgramData\secaudit")


def test_linux_defaults_for_root_and_for_a_user() -> None:
    root = paths.layout("posix", {}, privileged=True)
    assert root.config == PurePosixPath("/etc/secaudit/secaudit.toml")
    assert root.keys == PurePosixPath("/etc/secaudit/keys")
    assert root.state == PurePosixPath("/var/lib/secaudit")
    assert root.reports == PurePosixPath("/var/lib/secaudit/reports")
    user = paths.layout("posix", {"HOME": "/home/gv", "XDG_STATE_HOME": "/home/gv/.st"}, privileged=False)
    assert user.state == PurePosixPath("/home/gv/.st/secaudit")
    assert paths.layout("posix", {"HOME": "/home/gv"}, privileged=False).state == PurePosixPath(
        "/home/gv/.local/state/secaudit")


def test_environment_overrides_win_on_every_os() -> None:
    env = {"SECAUDIT_KEY_DIR": r"E:\k", "SECAUDIT_STATE_DIR": r"E:\s", "ProgramData": r"D:\PD"}
    win = paths.layout("nt", env)
    assert (win.keys, win.state) == (PureWindowsPath(r"E:\k"), PureWindowsPath(r"E:\s"))
    assert win.reports == PureWindowsPath(r"D:\PD\secaudit\reports")  # reports stay beside the config
    posix = paths.layout("posix", {"SECAUDIT_STATE_DIR": "/srv/s"}, privileged=True)
    assert posix.state == PurePosixPath("/srv/s") and posix.reports == PurePosixPath("/srv/s/reports")


def test_the_key_default_is_the_layouts() -> None:
    env = {"ProgramData": r"D:\PD"}
    assert PureWindowsPath(str(keys.default_key_dir(env, "nt"))) == paths.layout("nt", env).keys
    assert str(keys.default_key_dir({}, "posix")) == "/etc/secaudit/keys"


def test_acl_command_keeps_the_folder_to_system_and_administrators_by_sid() -> None:
    argv = paths.acl_command(PureWindowsPath(r"C:\ProgramData\secaudit"))
    assert argv[:3] == ["icacls", r"C:\ProgramData\secaudit", "/inheritance:r"]
    assert "/grant:r" in argv
    grants = argv[argv.index("/grant:r") + 1:]
    assert grants == ["*S-1-5-18:(OI)(CI)F", "*S-1-5-32-544:(OI)(CI)F"]  # SIDs: the same in a Vietnamese UI
    assert not any("Users" in a or "S-1-5-32-545" in a for a in argv)
