"""Checksum manifests in the formats sha256sum, b2sum and b3sum write, verified by one read pass."""

from __future__ import annotations

import hashlib

import blake3

from secaudit.backup.verify.files import FileJob, verify_file
from secaudit.backup.verify.manifest import algorithm_for, is_manifest_name, parse


def test_coreutils_text_and_binary_mode():
    text = (f"{'a' * 64}  db-1.sql.gz\n"
            f"{'b' * 64} *db 2.sql.gz\n"
            "# comment\n\n"
            f"{'c' * 64}  sub/./x.tar\n")
    entries, problems = parse(text, "/srv/backup/SHA256SUMS")
    assert not problems
    assert [e.path for e in entries] == ["/srv/backup/db-1.sql.gz", "/srv/backup/db 2.sql.gz", "/srv/backup/sub/x.tar"]
    assert all(e.algo == "sha256" for e in entries)
    assert entries[1].where == "/srv/backup/SHA256SUMS:2"


def test_escaped_names_and_crlf():
    text = f"\\{'d' * 64}  we\\\\ird\\nname.tar\r\n"
    entries, problems = parse(text, "/b/SHA256SUMS")
    assert not problems
    assert entries[0].path == "/b/we\\ird\nname.tar"


def test_bsd_tag_format_names_the_algorithm():
    text = f"SHA512 (a.tar) = {'e' * 128}\nBLAKE2b-256 (b.tar) = {'f' * 64}\nBLAKE3 (c.tar) = {'0' * 64}\n"
    entries, problems = parse(text, "/b/CHECKSUMS")
    assert not problems
    assert [(e.algo, len(e.digest)) for e in entries] == [("sha512", 128), ("blake2b", 64), ("blake3", 64)]


def test_algorithm_from_the_manifest_name_and_digest_length():
    assert algorithm_for("B3SUMS") == "blake3" and algorithm_for("x.tar.b2") == "blake2b"
    assert algorithm_for("db.sql.gz.sha256") == "sha256" and algorithm_for("notes.txt") is None
    assert is_manifest_name("SHA256SUMS") and is_manifest_name("a.md5") and not is_manifest_name("a.tar.gz")
    # unknown name: sha1 by length
    entries, _ = parse(f"{'1' * 40}  a\n", "/b/checksums")
    assert entries[0].algo == "sha1"
    # b2sum default output: BLAKE2b-512
    entries, _ = parse(f"{'2' * 128}  a\n", "/b/B2SUMS")
    assert entries[0].algo == "blake2b" and len(entries[0].digest) == 128


def test_sidecar_with_only_the_digest():
    entries, problems = parse(f"{'A' * 64}\n", "/b/db-1.sql.gz.sha256")
    assert not problems
    assert entries[0].path == "/b/db-1.sql.gz" and entries[0].digest == "a" * 64


def test_malformed_lines_are_reported_with_their_number():
    text = f"{'a' * 64}  ok\nthis is not a checksum\n{'b' * 10}  short-for-sha256\n"
    entries, problems = parse(text, "/b/SHA256SUMS")
    assert len(entries) == 1
    assert [p.code for p in problems] == ["malformed_manifest", "malformed_manifest"]
    assert "line 2" in problems[0].detail and "line 3" in problems[1].detail
    assert problems[0].file == "/b/SHA256SUMS"


def test_verify_file_against_several_digests(tmp_path):
    data = b"x" * 3_000_000
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    text = (f"{hashlib.sha256(data).hexdigest()}  data.bin\n")
    b3 = f"{blake3.blake3(data).hexdigest()}  data.bin\n"
    b2 = f"{hashlib.blake2b(data).hexdigest()}  data.bin\n"
    expected = (parse(text, str(tmp_path / "SHA256SUMS"))[0] + parse(b3, str(tmp_path / "B3SUMS"))[0]
                + parse(b2, str(tmp_path / "B2SUMS"))[0])
    out = verify_file(FileJob(str(path), len(data), tuple(expected), decode=False), buf=bytearray(1 << 20))
    assert out.ok, out.problems
    assert sorted(out.hashes) == ["blake2b", "blake3", "sha256"]
    assert out.bytes_read == len(data)


def test_mismatch_names_file_and_manifest_line(tmp_path):
    path = tmp_path / "db.sql"
    path.write_bytes(b"hello\n")
    expected = parse(f"{hashlib.sha256(b'hullo').hexdigest()}  db.sql\n", str(tmp_path / "SHA256SUMS"))[0]
    out = verify_file(FileJob(str(path), 6, tuple(expected), decode=False))
    assert [p.code for p in out.problems] == ["checksum_mismatch"]
    assert out.problems[0].file == str(path)
    assert f"{tmp_path}/SHA256SUMS:1" in out.problems[0].detail
