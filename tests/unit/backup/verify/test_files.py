"""Archive formats read end to end: compression streams, tar, zip, SQL dumps — good files pass,
damaged ones are reported with the file and what is wrong."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
import zstandard

from secaudit.backup.verify.files import FileJob, verify_file

MYSQL = b"-- MySQL dump 10.13  Distrib 8.0.36\n--\n-- Host: localhost\nCREATE TABLE `hs` (`id` int);\n"
MYSQL_END = b"/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;\n\n-- Dump completed on 2026-11-19  2:00:01\n"
PG = b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\nCOPY public.hs (id) FROM stdin;\n1\n\\.\n"
PG_END = b"\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc123\n\n"


def _check(path: Path):
    return verify_file(FileJob(str(path), path.stat().st_size))


def _tar_bytes(files: dict[str, bytes], fmt: int = tarfile.PAX_FORMAT) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


FILES = {"srv/data/a.bin": os.urandom(300_000), "srv/data/b.txt": b"hello\n" * 50_000,
         "srv/data/" + "d" * 120 + "/long-name.txt": b"long\n"}

COMPRESSORS = {
    "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
    "zst": lambda d: zstandard.ZstdCompressor(write_checksum=True).compress(d),
}


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
def test_good_compressed_tar(tmp_path, ext):
    path = tmp_path / f"good.tar.{ext}"
    path.write_bytes(COMPRESSORS[ext](_tar_bytes(FILES)))
    out = _check(path)
    assert out.ok, out.problems
    assert out.format == f"tar.{ext}" and out.decoded


@pytest.mark.parametrize("ext", sorted(COMPRESSORS))
def test_truncated_compressed_tar(tmp_path, ext):
    blob = COMPRESSORS[ext](_tar_bytes(FILES))
    path = tmp_path / f"cut.tar.{ext}"
    path.write_bytes(blob[: len(blob) * 2 // 3])
    out = _check(path)
    assert [p.file for p in out.problems] == [str(path)]
    assert out.problems[0].code in ("truncated", "corrupt")


@pytest.mark.parametrize("ext", ["gz", "bz2", "xz", "zst"])
def test_flipped_bit_in_compressed_data(tmp_path, ext):
    blob = bytearray(COMPRESSORS[ext](_tar_bytes(FILES)))
    blob[len(blob) // 2] ^= 0x10
    path = tmp_path / f"flip.tar.{ext}"
    path.write_bytes(bytes(blob))
    out = _check(path)
    assert out.problems and out.problems[0].file == str(path)


def test_gzip_multi_member_and_zero_padding_pass_but_junk_fails(tmp_path):
    data = _tar_bytes(FILES)
    half = len(data) // 2
    multi = tmp_path / "multi.tar.gz"  # pigz --independent / cat a.gz b.gz style
    multi.write_bytes(gzip.compress(data[:half]) + gzip.compress(data[half:]) + b"\0" * 1024)
    assert _check(multi).ok
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(gzip.compress(data) + b"garbage after the end")
    out = _check(junk)
    assert [p.code for p in out.problems] == ["trailing_data"]


def test_plain_tar_truncated_at_member_boundary(tmp_path):
    data = _tar_bytes({"a": b"x" * 1024, "b": b"y" * 1024})
    path = tmp_path / "cut.tar"
    path.write_bytes(data[: 512 + 1024])  # header + data of "a", no end-of-archive marker
    out = _check(path)
    assert out.problems[0].code == "truncated"
    assert "end-of-archive" in out.problems[0].detail


def test_tar_bad_header_checksum(tmp_path):
    data = bytearray(_tar_bytes({"a": b"x" * 1024, "b": b"y" * 10}))
    data[512 + 1024 + 10] ^= 0x01  # inside the name of member "b"
    path = tmp_path / "bad.tar"
    path.write_bytes(bytes(data))
    out = _check(path)
    assert out.problems[0].code == "bad_header"
    assert "after a" in out.problems[0].detail


def test_gnu_long_names_and_base256_sizes(tmp_path):
    data = _tar_bytes({"x" * 200: b"1" * 700}, fmt=tarfile.GNU_FORMAT)
    path = tmp_path / "gnu.tar"
    path.write_bytes(data)
    assert _check(path).ok
    # a base-256 size field (GNU, for members of 8 GiB and more) still parses
    from secaudit.backup.verify.tar import _number

    assert _number(bytes([0x80]) + (8 * 2**30).to_bytes(11, "big")) == 8 * 2**30


def test_zip_good_and_bad_crc(tmp_path):
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("docs/a.txt", b"hello " * 1000, compress_type=zipfile.ZIP_STORED)
        z.writestr("docs/b.txt", b"world " * 1000, compress_type=zipfile.ZIP_DEFLATED)
    assert _check(good).ok
    bad = tmp_path / "bad.zip"
    blob = bytearray(good.read_bytes())
    blob[blob.find(b"hello") + 100] ^= 0x01  # inside the stored member's data
    bad.write_bytes(bytes(blob))
    out = _check(bad)
    assert [p.code for p in out.problems] == ["bad_crc"]
    assert out.problems[0].file == str(bad) and "docs/a.txt" in out.problems[0].detail


def test_truncated_zip_has_no_central_directory(tmp_path):
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("a.txt", os.urandom(50_000))
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good.read_bytes()[:30_000])
    assert _check(cut).problems[0].code == "truncated"


@pytest.mark.parametrize("body, end, ok", [
    (MYSQL, MYSQL_END, True), (MYSQL, b"INSERT INTO `hs` VALUES (1),(2", False),
    (PG, PG_END, True), (PG, b"COPY public.hs (id) FROM stdin;\n1\n", False),
    (b"--\n-- PostgreSQL database cluster dump\n--\n", b"\n-- PostgreSQL database cluster dump complete\n--\n", True),
])
@pytest.mark.parametrize("compress", [None, "gz", "zst"])
def test_sql_dump_end_markers(tmp_path, body, end, ok, compress):
    data = body + b"INSERT INTO x VALUES (1);\n" * 2000 + end
    name = "dump.sql" + (f".{compress}" if compress else "")
    path = tmp_path / name
    path.write_bytes(COMPRESSORS[compress](data) if compress else data)
    out = _check(path)
    assert out.ok is ok, out.problems
    assert "sql" in (out.format or "")
    if not ok:
        assert out.problems[0].code == "incomplete_dump" and out.problems[0].file == str(path)


def test_empty_and_unreadable_files(tmp_path):
    empty = tmp_path / "empty.tar.gz"
    empty.write_bytes(b"")
    assert _check(empty).problems[0].code == "truncated"
    missing = verify_file(FileJob(str(tmp_path / "gone.tar.gz"), 10))
    assert missing.problems[0].code == "missing"


def test_plain_data_is_only_read(tmp_path):
    path = tmp_path / "image.raw"
    path.write_bytes(os.urandom(10_000))
    out = _check(path)
    assert out.ok and out.format == "data" and out.method == "read"
