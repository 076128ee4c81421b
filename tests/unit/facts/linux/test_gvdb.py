"""GVDB (dconf's binary databases) read back from files written by the real `dconf compile`, and never anything
but GvdbError for damaged or hostile bytes."""

from __future__ import annotations

import contextlib
import random
import struct
import subprocess
from pathlib import Path

import pytest

from secaudit.facts.linux.gvdb import GvdbError, read_gvdb
from tests.conftest import need_tool

KEYFILE = ("[org/gnome/desktop/session]\nidle-delay=uint32 0\n\n[org/gnome/desktop/screensaver]\nlock-enabled=false\n"
           "lock-delay=uint32 30\npicture-uri='file:///x'\n\n[org/mate/desktop/session]\nidle-delay=-5\n\n"
           "[org/cinnamon/desktop/session]\nidle-delay=uint32 4294967295\n")


def compiled(tmp: Path, keyfile: str) -> bytes:
    """A database as dconf writes them (`dconf compile OUTPUT KEYFILE_DIR`)."""
    source = tmp / "keyfiles"
    source.mkdir(parents=True, exist_ok=True)
    (source / "00").write_text(keyfile, encoding="utf-8")
    subprocess.run([need_tool("dconf"), "compile", str(tmp / "user"), str(source)], check=True, timeout=60)
    return (tmp / "user").read_bytes()


def test_values_of_a_real_database(tmp_path: Path) -> None:
    assert read_gvdb(compiled(tmp_path, KEYFILE)) == {
        "/org/gnome/desktop/session/idle-delay": ("u", 0),
        "/org/gnome/desktop/screensaver/lock-enabled": ("b", False),
        "/org/gnome/desktop/screensaver/lock-delay": ("u", 30),
        "/org/gnome/desktop/screensaver/picture-uri": ("s", None),
        "/org/mate/desktop/session/idle-delay": ("i", -5),
        "/org/cinnamon/desktop/session/idle-delay": ("u", 4294967295),
    }


def test_an_empty_database(tmp_path: Path) -> None:
    assert read_gvdb(compiled(tmp_path, "")) == {}


@pytest.mark.parametrize("data", [b"", b"GVariant", b"NotGVDB!" + bytes(16), b"GVariant" + bytes(8) + struct.pack(
    "<II", 24, 10**6)])
def test_not_a_database(data: bytes) -> None:
    with pytest.raises(GvdbError):
        read_gvdb(data)


def test_a_parent_loop_is_refused(tmp_path: Path) -> None:
    data = bytearray(compiled(tmp_path, "[a]\nb=true\n"))
    start = struct.unpack_from("<I", data, 16)[0]
    bloom, buckets = struct.unpack_from("<II", data, start)
    items = start + 8 + 4 * (bloom & 0x07FFFFFF) + 4 * buckets
    count = (struct.unpack_from("<I", data, 20)[0] - items) // 24
    for i in range(count):  # every item its own parent
        struct.pack_into("<I", data, items + 24 * i + 4, i)
    with pytest.raises(GvdbError):
        read_gvdb(bytes(data))


def test_damaged_bytes_give_gvdberror_or_values_never_another_exception(tmp_path: Path) -> None:
    good = compiled(tmp_path, KEYFILE)
    rng = random.Random(7)
    for n in range(3000):
        data = bytearray(good)
        if n % 3 == 0:
            data = data[:rng.randrange(len(data))]
        for _ in range(rng.randint(1, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(GvdbError):
            read_gvdb(bytes(data))
