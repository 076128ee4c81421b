"""The agent key: init (0600, never overwritten, passphrase), ids, loading errors, rotation."""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from pathlib import Path, PureWindowsPath
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from secaudit import fsutil as _fs
from secaudit.sign import KEYROTATE_TYPE, REPORT_TYPE
from secaudit.sign import keys as k
from secaudit.sign.dsse import EnvelopeInvalid, canonical_bytes, sign, verify
from secaudit.sign.ids import agent_id, file_safe, fingerprint, key_id

POSIX = os.name != "nt"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def one_line(exc: pytest.ExceptionInfo[Any]) -> str:
    for text in (exc.value.vi, exc.value.en):
        assert text and "\n" not in text, text
    return str(exc.value.en)


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "etc" / "secaudit" / "keys"
    k.init(directory)
    return directory


# --- ids ---------------------------------------------------------------------------------------


def test_key_id_fingerprint_and_agent_id_formats() -> None:
    import base64
    import hashlib

    pub = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    raw = pub.public_bytes_raw()
    kid = key_id(pub)
    assert re.fullmatch(r"ed25519:[A-Za-z0-9_-]{22}", kid)
    assert kid == "ed25519:" + base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode()[:22]
    fp = fingerprint(pub)
    assert re.fullmatch(r"\d{5}( \d{5}){5}", fp), fp
    assert fp == fingerprint(Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key())  # deterministic
    assert fp != fingerprint(Ed25519PrivateKey.from_private_bytes(bytes(31) + b"\1").public_key())
    assert agent_id(pub) == "agent-" + kid[8:]
    assert file_safe(kid) == "ed25519-" + kid[8:]


def test_default_key_dir() -> None:
    assert k.default_key_dir({}, "posix") == Path("/etc/secaudit/keys")
    windows = k.default_key_dir({"ProgramData": r"D:\PD"}, "nt")
    assert PureWindowsPath(str(windows)) == PureWindowsPath(r"D:\PD\secaudit\keys")
    assert k.default_key_dir({"SECAUDIT_KEY_DIR": "/srv/k"}, "posix") == Path("/srv/k")
    assert k.resolve_key_dir("/x/y") == Path("/x/y")


# --- init --------------------------------------------------------------------------------------


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_init_writes_0600_key_0700_dir_and_a_pem_public_key(key_dir: Path) -> None:
    assert mode_of(key_dir) == 0o700
    assert mode_of(key_dir / "agent.key") == 0o600
    pem = (key_dir / "agent.key").read_bytes()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, unencrypted
    key = serialization.load_pem_private_key(pem, None)
    assert isinstance(key, Ed25519PrivateKey)
    pub_pem = (key_dir / "agent.pub").read_bytes()
    assert pub_pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert k.load_public(key_dir / "agent.pub").public_bytes_raw() == key.public_key().public_bytes_raw()
    assert (key_dir / "agent.id").read_text().strip() == agent_id(key.public_key())
    assert not list(key_dir.glob(".tmp-*"))


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_key_is_0600_from_creation_even_with_a_permissive_umask(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, int]] = []
    real_open = os.open

    def spy(path: Any, flags: int, mode: int = 0o777, *args: Any, **kw: Any) -> int:
        calls.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kw)

    monkeypatch.setattr(_fs.os, "open", spy)
    old = os.umask(0)
    try:
        k.init(tmp_path / "keys")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "keys" / "agent.key") == 0o600
    first = calls[0]  # the private key's file is the first one created
    assert first[1] & os.O_CREAT and first[1] & os.O_EXCL and first[2] == 0o600, first


def test_init_refuses_to_overwrite(key_dir: Path) -> None:
    before = (key_dir / "agent.key").read_bytes()
    with pytest.raises(k.KeyFileError) as exc:
        k.init(key_dir)
    assert "never overwritten" in one_line(exc)
    assert (key_dir / "agent.key").read_bytes() == before
    (key_dir / "agent.key").unlink()  # agent.pub alone also blocks: it belongs to some key
    with pytest.raises(k.KeyFileError):
        k.init(key_dir)


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_init_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("precious")
    (directory / "agent.key").symlink_to(victim)
    with pytest.raises(k.KeyFileError):
        k.init(directory)
    assert victim.read_text() == "precious"


def test_create_new_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "f"
    _fs.create_new(target, b"one")
    with pytest.raises(FileExistsError):
        _fs.create_new(target, b"two")
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.mark.skipif(not POSIX or os.geteuid() == 0, reason="POSIX modes; root ignores them")
def test_unwritable_key_dir_is_one_sentence(tmp_path: Path) -> None:
    parent = tmp_path / "ro"
    parent.mkdir(mode=0o500)
    with pytest.raises(k.KeyFileError) as exc:
        k.init(parent / "keys")
    assert "root/sudo" in one_line(exc)


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_key_dir_writable_by_others_is_refused(tmp_path: Path) -> None:
    directory = tmp_path / "open"
    directory.mkdir()
    directory.chmod(0o777)
    with pytest.raises(k.KeyFileError) as exc:
        k.init(directory)
    assert "chmod 700" in one_line(exc)
    assert not (directory / "agent.key").exists()


@pytest.mark.skipif(not POSIX, reason="POSIX modes")
def test_a_private_key_readable_by_others_is_refused(key_dir: Path) -> None:
    (key_dir / "agent.key").chmod(0o644)
    with pytest.raises(k.KeyFileError) as exc:
        k.load_private(key_dir, None)
    assert "chmod 600" in one_line(exc)


# --- passphrase --------------------------------------------------------------------------------


def test_passphrase_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    made = k.init(directory, "Mật khẩu dài 2026!")
    assert b"ENCRYPTED PRIVATE KEY" in (directory / "agent.key").read_bytes()
    assert k.is_encrypted(directory) is True
    key = k.load_private(directory, "Mật khẩu dài 2026!")
    assert key_id(key.public_key()) == made.key_id
    # the same passphrase typed in NFD (macOS-style input) opens it too
    assert key_id(k.load_private(directory, unicodedata.normalize("NFD", "Mật khẩu dài 2026!")).public_key()) \
        == made.key_id
    with pytest.raises(k.KeyFileError) as exc:
        k.load_private(directory, "wrong")
    assert one_line(exc) == f"Wrong passphrase for the key {directory / 'agent.key'}."
    assert exc.value.vi == f"Sai mật khẩu của khóa {directory / 'agent.key'}."
    with pytest.raises(k.KeyFileError) as exc:
        k.load_private(directory, None)
    assert "--passphrase-file" in one_line(exc)


def test_a_passphrase_for_an_unprotected_key_is_ignored(key_dir: Path) -> None:
    assert k.is_encrypted(key_dir) is False
    assert isinstance(k.load_private(key_dir, "not needed"), Ed25519PrivateKey)


def test_passphrase_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    file = tmp_path / "pass"
    file.write_text("bí mật\nsecond line ignored\n", encoding="utf-8")
    assert k.resolve_passphrase(str(file)) == "bí mật"
    monkeypatch.setenv("SECAUDIT_KEY_PASSPHRASE", "from-env")
    assert k.resolve_passphrase(None) == "from-env"
    assert k.resolve_passphrase(str(file)) == "bí mật"  # the file wins
    monkeypatch.delenv("SECAUDIT_KEY_PASSPHRASE")
    assert k.resolve_passphrase(None) is None
    file.write_text("\n")
    with pytest.raises(k.KeyFileError) as exc:
        k.resolve_passphrase(str(file))
    assert "empty" in one_line(exc)
    with pytest.raises(k.KeyFileError):
        k.resolve_passphrase(str(tmp_path / "missing"))


# --- loading errors ----------------------------------------------------------------------------


def test_load_public_errors_are_one_sentence(tmp_path: Path) -> None:
    missing = tmp_path / "none.pub"
    with pytest.raises(k.KeyFileError) as exc:
        k.load_public(missing)
    assert "keys init" in one_line(exc)
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(k.KeyFileError) as exc:
        k.load_public(garbage)
    assert "not a valid PEM public key" in one_line(exc)
    rsa_pub = tmp_path / "rsa.pub"
    rsa_pub.write_bytes(rsa.generate_private_key(65537, 1024).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(k.KeyFileError) as exc:
        k.load_public(rsa_pub)
    assert "not an Ed25519 key" in one_line(exc)
    huge = tmp_path / "huge.pub"
    huge.write_bytes(b"x" * (k.MAX_PEM + 1))
    with pytest.raises(k.KeyFileError) as exc:
        k.load_public(huge)
    assert "too large" in one_line(exc)


def test_corrupt_private_key_is_one_sentence(key_dir: Path) -> None:
    (key_dir / "agent.key").write_bytes(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    with pytest.raises(k.KeyFileError) as exc:
        k.load_private(key_dir, None)
    assert "not a valid PEM private key" in one_line(exc)


def test_has_private_key(tmp_path: Path, key_dir: Path) -> None:
    assert k.has_private_key(key_dir)
    assert not k.has_private_key(tmp_path / "nothing")


# --- rotation ----------------------------------------------------------------------------------


def report(key: Ed25519PrivateKey, n: int) -> bytes:
    return sign(canonical_bytes({"sequence": n, "host": {"hostname": "PC-01"}}), REPORT_TYPE, key)


def all_pubs(directory: Path) -> list[Any]:
    return [k.load_public(p) for p in k.public_keys(directory)]


def test_rotate_keeps_the_old_public_key_and_old_reports_still_verify(key_dir: Path) -> None:
    old = k.load_private(key_dir, None)
    old_report = report(old, 1)
    stable = k.read_agent_id(key_dir)
    done = k.rotate(key_dir)
    new = k.load_private(key_dir, None)
    assert done.old_key_id == key_id(old.public_key()) != done.new_key_id == key_id(new.public_key())
    # the old private key is gone, the old public key kept under retired/
    assert new.private_bytes_raw() != old.private_bytes_raw()
    assert done.retired_pub == key_dir / "retired" / f"{file_safe(done.old_key_id)}.pub"
    assert k.load_public(done.retired_pub).public_bytes_raw() == old.public_key().public_bytes_raw()
    assert k.load_public(key_dir / "agent.pub").public_bytes_raw() == new.public_key().public_bytes_raw()
    if POSIX:
        assert mode_of(key_dir / "agent.key") == 0o600
    # old and new reports verify with the key directory's keys; the old one not with agent.pub alone
    assert verify(old_report, {REPORT_TYPE}, all_pubs(key_dir)).keyid == done.old_key_id
    assert verify(report(new, 2), {REPORT_TYPE}, all_pubs(key_dir)).keyid == done.new_key_id
    with pytest.raises(EnvelopeInvalid):
        verify(old_report, {REPORT_TYPE}, [k.load_public(key_dir / "agent.pub")])
    # the agent keeps its identity
    assert k.read_agent_id(key_dir) == stable
    assert not list(key_dir.glob(".tmp-*"))


def test_rotation_statement_is_signed_by_the_old_and_the_new_key(key_dir: Path) -> None:
    old_pub = k.load_public(key_dir / "agent.pub")
    done = k.rotate(key_dir)
    new_pub = k.load_public(key_dir / "agent.pub")
    raw = done.statement.read_bytes()
    by_old = verify(raw, {KEYROTATE_TYPE}, [old_pub])
    assert by_old.keyid == done.old_key_id
    assert verify(raw, {KEYROTATE_TYPE}, [new_pub]).keyid == done.new_key_id
    assert set(verify(raw, {KEYROTATE_TYPE}, [old_pub, new_pub]).signers) == {done.old_key_id, done.new_key_id}
    body = by_old.payload
    assert body["old_key_id"] == done.old_key_id and body["new_key_id"] == done.new_key_id
    assert body["new_pubkey"] == (key_dir / "agent.pub").read_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["rotated_at"])
    assert body["agent_id"] == k.read_agent_id(key_dir)
    assert done.statement.parent == key_dir


def test_rotate_twice_and_with_a_passphrase(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    k.init(directory, "pw")
    first = k.rotate(directory, "pw")
    second = k.rotate(directory, "pw")
    assert {p.name for p in (directory / "retired").iterdir()} == {
        f"{file_safe(first.old_key_id)}.pub", f"{file_safe(second.old_key_id)}.pub"}
    assert k.is_encrypted(directory) is True
    with pytest.raises(k.KeyFileError):
        k.load_private(directory, None)
    assert key_id(k.load_private(directory, "pw").public_key()) == second.new_key_id
    with pytest.raises(k.KeyFileError) as exc:
        k.rotate(directory, "wrong")
    assert "Wrong passphrase" in one_line(exc)
    assert len(list((directory / "retired").iterdir())) == 2  # nothing changed


def test_an_interrupted_rotation_keeps_the_old_private_key(key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old = k.load_private(key_dir, None)
    real_replace = _fs.replace

    def failing(path: Path, data: bytes, mode: int = 0o644, exact: bool = False) -> None:
        if path.name == "agent.key":
            raise OSError(28, "No space left on device")
        real_replace(path, data, mode, exact)

    monkeypatch.setattr(k, "replace", failing)
    with pytest.raises(k.KeyFileError) as exc:
        k.rotate(key_dir)
    assert "No space left" in one_line(exc)
    still = k.load_private(key_dir, None)
    assert still.private_bytes_raw() == old.private_bytes_raw()
    # reports signed with it still verify with the key directory's keys (its public key is retired/)
    assert verify(report(still, 3), {REPORT_TYPE}, all_pubs(key_dir)).keyid == key_id(old.public_key())


def test_agent_id_falls_back_to_agent_pub(key_dir: Path) -> None:
    expected = agent_id(k.load_public(key_dir / "agent.pub"))
    (key_dir / "agent.id").write_text("<script>\n")
    assert k.read_agent_id(key_dir) == expected
    (key_dir / "agent.id").unlink()
    assert k.read_agent_id(key_dir) == expected
    (key_dir / "agent.pub").unlink()
    assert k.read_agent_id(key_dir) is None


# --- permission errors (simulated: the test suite may run as root, which ignores modes) --------


def test_permission_errors_are_one_sentence(tmp_path: Path, key_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: Any, **kw: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    real_stat = os.stat
    target = str(key_dir / "agent.key")
    monkeypatch.setattr(k.os, "stat", lambda p, *a, **kw: denied() if str(p) == target else real_stat(p, *a, **kw))
    with pytest.raises(k.KeyFileError) as exc:
        k.has_private_key(key_dir)
    assert "No permission" in one_line(exc) and "root/sudo" in str(exc.value)
    monkeypatch.undo()

    monkeypatch.setattr(k, "read_capped", denied)
    with pytest.raises(k.KeyFileError) as exc:
        k.load_private(key_dir, None)
    assert "No permission to read" in one_line(exc)
    monkeypatch.undo()

    monkeypatch.setattr(k, "create_new", denied)
    with pytest.raises(k.KeyFileError) as exc:
        k.init(tmp_path / "new")
    assert one_line(exc).startswith("Cannot write") and "root/sudo" in str(exc.value)
