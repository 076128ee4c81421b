"""The small guards behind honest, crash-free backup verification: member names, live paths, the
per-file index, manifest lines, tar sizes, SQL dump details, the directory walker and opening files."""

from __future__ import annotations

import json
import os
import tarfile
import threading

import pytest

from secaudit.backup import fileindex
from secaudit.backup.drill import live_path, safe_member
from secaudit.backup.verify import FormatError
from secaudit.backup.verify.manifest import parse
from secaudit.backup.verify.regular import open_regular
from secaudit.backup.verify.sqldump import SqlDumpSink
from secaudit.backup.verify.tar import TarSink
from secaudit.backup.walk import MAX_DEPTH, Walker
from secaudit.fsutil import NotRegularFile
from secaudit.transport.local import LocalTransport, RootTransport


@pytest.mark.parametrize(("name", "clean"), [
    ("srv/data/a.txt", "srv/data/a.txt"), ("/srv/data/a.txt", "srv/data/a.txt"), ("./a/./b", "a/b"),
    ("a\\b\\c.txt", "a/b/c.txt"), ("//a//b", "a/b"), ("../x", None), ("a/../../x", None), ("a/..", None),
    ("..\\..\\x", None), ("", None), ("/", None), (".", None), ("a\x00b", None),
])
def test_member_names_are_normalised_or_refused(name, clean):
    assert safe_member(name) == clean


def test_live_paths_stay_under_source(tmp_path):
    src = tmp_path / "data"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.txt").write_text("a")
    (tmp_path / "secret").write_text("s")
    (src / "link").symlink_to(tmp_path / "secret")
    (src / "dirlink").symlink_to(tmp_path)
    assert live_path(str(src), "data/sub/a.txt") == str(src / "sub" / "a.txt")
    assert live_path(str(src), str(src / "sub" / "a.txt").lstrip("/")) == str(src / "sub" / "a.txt")
    assert live_path(str(src), "sub\\a.txt") == str(src / "sub" / "a.txt")
    for outside in ("../secret", "data/../secret", "link", "data/link", "dirlink/secret", "/etc/passwd"):
        assert live_path(str(src), outside) is None, outside


def test_file_index_round_trip_and_damage(tmp_path):
    state = tmp_path / "backup-state.json"
    odd = "/srv/backup/\udcff-not-utf8.bin"  # a file name that is not UTF-8 survives
    records = {"/srv/backup/a.gz": fileindex.FileRecord(10, 20, 30, True, "gz"),
               odd: fileindex.FileRecord(1, 2, 3, False, None, [{"file": odd, "problem": "corrupt", "detail": "x"}])}
    fileindex.save(state, "CSDL", "/srv/backup", "/srv/backup", records)
    path = fileindex.index_path(state, "CSDL")
    assert oct(path.stat().st_mode & 0o777) == "0o600" and "/" not in path.name.replace(".json", "")
    assert fileindex.load(state, "CSDL", "/srv/backup") == (records, None)
    assert fileindex.load(state, "CSDL", "/srv/other") == ({}, None)  # redefined set: silently afresh
    assert fileindex.index_path(state, "../../etc/x").parent == path.parent
    body = json.loads(path.read_text())
    body["files"]["a.gz"] = ["not", "a", "row"]
    path.write_text(json.dumps(body))
    assert list(fileindex.load(state, "CSDL", "/srv/backup")[0]) == [odd]  # a bad row costs only that row
    path.write_text("{not json")
    recs, warning = fileindex.load(state, "CSDL", "/srv/backup")
    assert recs == {} and warning and "afresh" in warning
    path.unlink()
    os.mkfifo(path)
    recs, warning = fileindex.load(state, "CSDL", "/srv/backup")
    assert recs == {} and warning and "not a regular file" in warning
    path.unlink()
    fileindex.save(state, "Khác", "/x", "/x", {})
    fileindex.prune(state, {"Khác"})
    assert [p.name for p in path.parent.iterdir()] == [fileindex.index_path(state, "Khác").name]


def test_manifest_lines_are_bounded_and_never_echoed():
    text = ("a" * 64 + "  " + "x" * 20_000 + "\n" + "root:$6$salt$hash:19000:0:99999:7:::\n"
            + "0" * 200 + "  big.bin\n" + "ab" * 80 + "  f.b2\n" + "0" * 64 + "  a\x00b\n")
    entries, problems = parse(text, "/srv/backup/b2sums")
    assert entries == []
    assert len(problems) == 5 and all("$6$" not in p.detail for p in problems)
    assert "longer than" in problems[0].detail
    entries, _ = parse("0" * 64 + "  ../../etc/shadow\n" + "1" * 64 + "  /srv/backup/../../etc/x\n",
                       "/srv/backup/SHA256SUMS")
    assert [e.path for e in entries] == ["/etc/shadow", "/etc/x"]  # normalised, then never in the set


def test_negative_tar_sizes_are_bad_headers():
    info = tarfile.TarInfo("a")
    info.size = 3
    raw = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    raw[124:136] = b"-0000000005\x00"
    raw[148:156] = b"        "
    raw[148:155] = f"{sum(raw):06o}\x00".encode()
    with pytest.raises(FormatError) as exc:
        TarSink().feed(bytes(raw) + bytes(1024))
    assert exc.value.code == "bad_header"


def test_an_incomplete_dump_never_quotes_its_data():
    sink = SqlDumpSink("mysqldump")
    sink.feed(b"-- MySQL dump\nINSERT INTO users VALUES (1,'Nguyen Van A','$2y$10$hash','0912345678'")
    with pytest.raises(FormatError) as exc:
        sink.finish()
    assert "starts with INSERT" in exc.value.detail and "0912345678" not in exc.value.detail


def test_walker_names_what_it_did_not_list(tmp_path):
    copy = tmp_path / "copy"
    (copy / "d").mkdir(parents=True)
    for i in range(30):
        (copy / "d" / f"f{i:02d}").write_text("x")
    os.mkfifo(copy / "pipe")
    (copy / "loop").symlink_to(".")
    walker = Walker(LocalTransport(), limit=10_000, keep_files=True)
    walked = walker.walk(str(copy))
    assert walked.complete and walked.size == 30 and len(walked.files or []) == 30
    assert walker.special == [(str(copy / "pipe"), "fifo")] and walker.symlinks == 1
    small = Walker(LocalTransport(), limit=10, keep_files=True)
    cut = small.walk(str(copy))
    assert not cut.complete and cut.size is None and small.truncated and small.entries == 10
    # through a transport that follows links, a loop ends at the depth limit or the link limit
    root = tmp_path / "root"
    (root / "b").mkdir(parents=True)
    (root / "b" / "loop").symlink_to(".")
    deep = Walker(RootTransport(str(root)), limit=10_000, keep_files=False)
    result = deep.walk("/b")
    assert not result.complete and deep.unlisted_count == 1 and deep.entries <= MAX_DEPTH


def test_open_regular_never_blocks_on_a_fifo_and_refuses_links_inside_copies(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    done = threading.Event()

    def attempt() -> None:
        with pytest.raises(NotRegularFile):
            open_regular(str(fifo))
        done.set()

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(5)
    assert done.is_set()
    target = tmp_path / "t"
    target.write_text("x")
    (tmp_path / "l").symlink_to(target)
    with pytest.raises(NotRegularFile):
        open_regular(str(tmp_path / "l"), nofollow=True)
    os.close(open_regular(str(tmp_path / "l")))  # a configured copy may be a link


def test_legacy_records_migrate():
    rec = fileindex.from_legacy({"size": 1, "mtime": 2, "verified_at": 3, "decoded": True, "format": "gz",
                                 "problems": []})
    assert rec == fileindex.FileRecord(1, 2, 3, True, "gz")
    assert fileindex.from_legacy({"size": "1"}) is None
    assert fileindex.from_row([1, 2, 3, 1, None, [{"file": 5}]]) is None
