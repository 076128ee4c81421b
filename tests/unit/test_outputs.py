"""Output files and terminal text: safe_name, write_file, create_unique (fsutil), for_terminal (safetext)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from secaudit import fsutil
from secaudit.errors import SecauditError
from secaudit.fsutil import create_unique, safe_name, write_file
from secaudit.safetext import for_document, for_terminal

# --- safe_name -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text, name", [
    ("srv01.truong.edu.vn", "srv01.truong.edu.vn"),
    ("Máy-Phòng-Đào-tạo", "Máy-Phòng-Đào-tạo"),
    ("Ma\u0301y", "Máy"),  # NFD in, NFC out
    ("CSDL nhà trường", "CSDL_nhà_trường"),
    ("../../../../somewhere/evil", "somewhere_evil"),
    ("..", "report"),
    ("...", "report"),
    ("a/../b", "a_._b"),
    ("a\\..\\b", "a_._b"),
    ("-rf", "rf"),
    (".hidden", "hidden"),
    ("x\x1b[31my", "x_[31my"),
    ("x\u202egnp.exe", "x_gnp.exe"),
    ("x\u200by", "x_y"),
    ("a\nb\tc", "a_b_c"),
    ('a:b*c?d"e<f>g|h', "a_b_c_d_e_f_g_h"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("COM1", "_COM1"),
    ("console", "console"),
    ("name. ", "name"),
    ("", "report"),
    (None, "report"),
    (12, "12"),
])
def test_safe_name(text: object, name: str) -> None:
    assert safe_name(text) == name


def test_safe_name_caps_bytes_without_splitting_a_letter() -> None:
    name = safe_name("Đ" * 300)
    assert len(name.encode("utf-8")) <= 100 and name == "Đ" * 50
    assert len(safe_name("ệ" * 300, limit=10).encode()) <= 10


@given(st.text(max_size=300))
def test_safe_name_never_leaves_the_directory(text: str) -> None:
    name = safe_name(text, "x")
    assert name and "/" not in name and "\\" not in name and ".." not in name and "\x00" not in name
    assert not name.startswith((".", "-")) and len(name.encode("utf-8")) <= 100
    assert (Path("/out") / name).parent == Path("/out")
    assert for_terminal(name) == name  # nothing a terminal would act on


# --- write_file (-o) -----------------------------------------------------------------------------


def test_write_file_replaces_atomically_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "r.json"
    write_file(str(target), b"one")
    target.chmod(0o600)
    write_file(str(target), b"two")
    assert target.read_bytes() == b"two" and (target.stat().st_mode & 0o777) == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["r.json"]  # no temporary file left


def test_write_file_replaces_a_symlink_never_writes_through_it(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    link = tmp_path / "r.json"
    link.symlink_to(victim)
    write_file(str(link), b"report")
    assert victim.read_bytes() == b"precious"
    assert not link.is_symlink() and link.read_bytes() == b"report"


def test_write_file_refuses_a_link_to_a_device_or_directory(tmp_path: Path) -> None:
    to_device = tmp_path / "stdout"
    to_device.symlink_to("/dev/null")  # like /dev/stdout: replacing it would break the system
    with pytest.raises(SecauditError) as exc:
        write_file(str(to_device), b"x")
    assert "link to a device or pipe" in exc.value.en and "-o -" in exc.value.en
    assert to_device.is_symlink()
    (tmp_path / "dir").mkdir()
    to_dir = tmp_path / "to-dir"
    to_dir.symlink_to(tmp_path / "dir")
    with pytest.raises(SecauditError):
        write_file(str(to_dir), b"x")
    assert to_dir.is_symlink() and not list((tmp_path / "dir").iterdir())
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    write_file(str(dangling), b"x")  # replaced: the link's target is never created
    assert not dangling.is_symlink() and not (tmp_path / "nowhere").exists()


def test_write_file_failure_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "r.json"
    target.write_bytes(b"previous")

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fsutil.os, "write", full)
    with pytest.raises(SecauditError) as exc:
        write_file(str(target), b"new" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
    assert exc.value.en == f"Cannot write {target}: {os.strerror(errno.ENOSPC)}."


def test_write_file_to_a_directory_or_unwritable_place_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SecauditError) as exc:
        write_file(str(tmp_path), b"x")
    assert exc.value.en.startswith("Cannot write ") and "\n" not in exc.value.en
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SecauditError):
        write_file(str(blocker / "r.json"), b"x")


def test_write_file_to_a_device_or_fifo_the_user_named(tmp_path: Path) -> None:
    write_file("/dev/null", b"discarded")  # written through, never replaced
    assert Path("/dev/null").is_char_device()
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SecauditError):  # nobody reads it: refused at once (ENXIO), never a hang
        write_file(str(fifo), b"x")
    assert fifo.is_fifo()


# --- create_unique (derived names) ---------------------------------------------------------------


def test_create_unique_never_overwrites_or_follows(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "h-1.json").symlink_to(victim)
    first = create_unique(out, "h-1", ".json", b"a")
    second = create_unique(out, "h-1", ".json", b"b")
    assert (first.name, second.name) == ("h-1-2.json", "h-1-3.json")
    assert victim.read_bytes() == b"precious" and first.read_bytes() == b"a"


@pytest.mark.parametrize("stem", ["../x", "a/b", "..", ""])
def test_create_unique_refuses_a_stem_that_is_not_a_name(tmp_path: Path, stem: str) -> None:
    with pytest.raises(ValueError):
        create_unique(tmp_path, stem, ".json", b"x")


# --- for_terminal --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("plain Việt", "plain Việt"),
    ("\x1b[2J", "\\x1b[2J"),
    ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "\\x1b]8;;http://evil\\x1b\\link\\x1b]8;;\\x1b\\"),
    ("a\u202eb\u2066c\u200ed\u061ce", "a\\u202eb\\u2066c\\u200ed\\u061ce"),
    ("\x9b31m", "\\x9b31m"),
    ("line\nforged", "line\\x0aforged"),
    ("\ud800", "\\ud800"),
    (None, ""),
    (5, "5"),
])
def test_for_terminal(raw: object, shown: str) -> None:
    assert for_terminal(raw) == shown


@given(st.text())
def test_for_terminal_leaves_no_control_or_bidi_character(text: str) -> None:
    out = for_terminal(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in out)
    assert not any(ch in out for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def test_for_document_keeps_layout_characters() -> None:
    assert for_document("a\n\tb\u202e") == "a\n\tb[U+202E]"
