"""secaudit.paths: the default places on Windows (%ProgramData%\\secaudit) and elsewhere, and that the
config, key and state defaults use them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

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


def test_config_and_state_defaults_are_the_layouts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """On Windows (here: its layout, as this OS cannot be Windows) the config and the state are under
    %ProgramData%\\secaudit; the functions the agent calls take them from secaudit.paths."""
    from secaudit import config, state

    windows = paths.layout("nt", {"ProgramData": r"C:\ProgramData"})
    monkeypatch.setattr(paths, "layout", lambda *a, **k: windows)
    assert str(config.default_config_path()) == r"C:\ProgramData\secaudit\secaudit.toml"
    assert str(state.state_dir(config.AgentConfig())) == r"C:\ProgramData\secaudit\state"
    assert str(keys.default_key_dir()) == r"C:\ProgramData\secaudit\keys"
    assert state.state_dir(config.AgentConfig(state_dir=str(tmp_path))) == tmp_path  # the config's own wins


def test_state_default_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from secaudit import config, state

    monkeypatch.setenv("SECAUDIT_STATE_DIR", str(tmp_path / "s"))
    assert state.state_dir(config.AgentConfig()) == tmp_path / "s"
    monkeypatch.delenv("SECAUDIT_STATE_DIR")
    expected = Path("/var/lib/secaudit") if os.geteuid() == 0 else None
    if expected is not None:
        assert state.state_dir(config.AgentConfig()) == expected


def test_the_state_lock_is_exclusive(tmp_path: Path) -> None:
    from secaudit import state

    script = ("import sys, time; from secaudit import state\n"
              "with open(sys.argv[1], 'a+') as f:\n"
              "    state.lock_exclusive(f); print('locked', flush=True); time.sleep(0.5)\n")
    lock = tmp_path / ".lock"
    holder = subprocess.Popen([sys.executable, "-c", script, str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with open(lock, "a+") as mine:
            state.lock_exclusive(mine)  # waits for the other process to let go
        assert time.monotonic() - started > 0.2
    finally:
        holder.wait(timeout=30)


def test_restrict_runs_icacls_only_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def fake(argv: object) -> tuple[int, str]:
        calls.append(list(argv))  # type: ignore[call-overload]
        return 0, ""

    assert paths.restrict("/etc/secaudit/keys", fake) is None and calls == []  # POSIX modes do it
    monkeypatch.setattr(paths, "is_windows", lambda os_name=None: True)
    assert paths.restrict(r"C:\ProgramData\secaudit\keys", fake) is None
    assert calls == [paths.acl_command(r"C:\ProgramData\secaudit\keys")]
    assert paths.restrict("x", lambda argv: (5, "Access is denied.")) == "Access is denied"


def test_keys_init_restricts_a_new_key_directory_or_makes_no_key(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    seen: list[object] = []
    monkeypatch.setattr(paths, "restrict", lambda directory, run=None: seen.append(directory))
    keys.init(tmp_path / "keys")
    assert seen == [tmp_path / "keys"] and (tmp_path / "keys" / keys.KEY_FILE).is_file()
    monkeypatch.setattr(paths, "restrict", lambda directory, run=None: "Access is denied")
    with pytest.raises(keys.KeyFileError) as info:
        keys.init(tmp_path / "k2")
    assert info.value.en == (f"Cannot restrict access to the key directory {tmp_path / 'k2'} (Access is denied); "
                             "no key was made.")
    assert not (tmp_path / "k2").exists()
