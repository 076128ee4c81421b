"""The known-devices CSV: real-world spellings, and errors that name the file and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.network.known import KnownDevicesError, load, parse, parse_mac


def write(tmp_path: Path, text: str | bytes, name: str = "devices.csv") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("text", "mac"), [
    ("00:1A:2B:3C:4D:5E", "00:1a:2b:3c:4d:5e"),
    ("00-1a-2b-3c-4d-5e", "00:1a:2b:3c:4d:5e"),
    ("001a.2b3c.4d5e", "00:1a:2b:3c:4d:5e"),
    ("001A2B3C4D5E", "00:1a:2b:3c:4d:5e"),
    (" 00:1a:2b:3c:4d:5e ", "00:1a:2b:3c:4d:5e"),
    ("00:1a:2b:3c:4d", None),
    ("00:1a-2b:3c:4d:5e", None),  # mixed separators
    ("00:1a:2b:3c:4d:5g", None),
])
def test_parse_mac(text: str, mac: str | None) -> None:
    assert parse_mac(text) == mac


def test_full_file_with_comments_bom_and_extra_columns(tmp_path: Path) -> None:
    text = ("\ufeff# Danh sách thiết bị — trường THCS Tân Phong\n"
            "MAC,Name,Owner,Location,Role,IP,allowed_ports,Ghi chú\n"
            "\n"
            "00:1A:2B:3C:4D:5E,Máy chủ nội bộ,Tổ Tin học,Phòng máy 1,server,192.168.1.10,tcp/3306 tcp/445,\n"
            "# the printer\n"
            '001a.2b3c.4d5f,"Máy in, phòng hội đồng",Văn phòng,,workstation,,,mượn của Sở\n'
            ",Camera cổng trường,Bảo vệ,Cổng,,192.168.2.50,,\n")
    rows = load(write(tmp_path, text))
    assert [r["mac"] for r in rows] == ["00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5f", None]
    server, printer, camera = rows
    assert server["role"] == "server" and server["ip"] == "192.168.1.10"
    assert server["allowed_ports"] == ["tcp/3306", "tcp/445"]
    assert server["source"].endswith("devices.csv:4")
    assert printer["name"] == "Máy in, phòng hội đồng" and printer["location"] is None
    assert printer["extra"] == {"ghi chú": "mượn của Sở"} and printer["source"].endswith(":6")
    assert camera["mac"] is None and camera["ip"] == "192.168.2.50" and camera["role"] is None


def test_excel_semicolons(tmp_path: Path) -> None:
    """Excel with a Vietnamese locale saves CSV with ';' between fields."""
    rows = load(write(tmp_path, "mac;name;owner;location\r\n02:00:00:00:00:11;Máy 1, phòng A;Cô Lan;P.101\r\n"))
    assert rows[0]["name"] == "Máy 1, phòng A" and rows[0]["owner"] == "Cô Lan"


def test_tabs(tmp_path: Path) -> None:
    rows = load(write(tmp_path, "mac\tname\n02:00:00:00:00:11\tMáy 1\n"))
    assert rows[0]["name"] == "Máy 1"


def error(tmp_path: Path, text: str | bytes) -> KnownDevicesError:
    path = write(tmp_path, text)
    with pytest.raises(KnownDevicesError) as err:
        load(path)
    assert path in err.value.en and path in err.value.vi
    return err.value


@pytest.mark.parametrize(("text", "line", "what"), [
    ("name,owner\nx,y\n", 1, "must have a 'mac' column"),
    ("mac,name,mac\n", 1, "column 'mac' appears twice"),
    ("# c\nmac,name\n02:00:00:00:00:11,a\n02:00:00:00:00:1,b\n", 4, "'02:00:00:00:00:1' is not a MAC address"),
    ("mac,name\n02:00:00:00:00:11,a\n\n02-00-00-00-00-11,b\n", 4,
     "MAC address 02:00:00:00:00:11 is already listed on line 2"),
    ("mac,name,role\n02:00:00:00:00:11,a,printer\n", 2, "role 'printer' is not valid"),
    ("mac,ip\n02:00:00:00:00:11,10.0.0.300\n", 2, "'10.0.0.300' is not an IPv4 address"),
    ("mac,allowed_ports\n02:00:00:00:00:11,tcp/99999\n", 2, "allowed_ports 'tcp/99999' is not valid"),
    ("mac,allowed_ports\n02:00:00:00:00:11,ssh\n", 2, "allowed_ports 'ssh' is not valid"),
    ("mac,name\n02:00:00:00:00:11,a,b,c\n", 2, "has 4 fields but the header has 2"),
    ("mac,name\n,nobody\n", 2, "MAC address ('mac' column) is missing"),
    ("mac,ip\n,10.0.0.5\n,10.0.0.5\n", 3, "IP address 10.0.0.5 is already listed on line 2"),
    ('mac,name\n02:00:00:00:00:11,"two\nlines"\nbad,x\n', 4, "'bad' is not a MAC address"),
])
def test_errors_name_file_and_line(tmp_path: Path, text: str, line: int, what: str) -> None:
    err = error(tmp_path, text)
    assert f", line {line}: " in err.en and what in err.en, err.en
    assert f", dòng {line}: " in err.vi


def test_empty_file(tmp_path: Path) -> None:
    assert "is empty" in error(tmp_path, "# only a comment\n\n").en


def test_not_utf8_names_the_line(tmp_path: Path) -> None:
    err = error(tmp_path, "mac,name\n02:00:00:00:00:11,M\xe1y in\n".encode("cp1258"))
    assert "line 2: not UTF-8" in err.en


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KnownDevicesError) as err:
        load(str(tmp_path / "nope.csv"))
    assert "Cannot read the known-devices file" in err.value.en and "nope.csv" in err.value.en


def test_parse_directly_with_trailing_empty_fields() -> None:
    rows = parse("mac,name,owner,location\n02:00:00:00:00:11,a,,\n", "x.csv")
    assert rows[0]["owner"] is None and rows[0]["allowed_ports"] == []
