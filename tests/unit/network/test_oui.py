"""MAC vendor lookup: nmap-mac-prefixes and Debian ieee-data oui.txt formats, longest prefix wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from secaudit.network import oui

NMAP_SAMPLE = """\
# $Id: nmap-mac-prefixes 38424 2022-08-29 19:00:58Z dmiller $ generated with make-mac-prefixes.pl
# Original data comes from http://standards.ieee.org/regauth/oui/oui.txt

000000 Xerox
005056 VMware
0050C2 IEEE Registration Authority
0050C2A IEEE MA-M block owner
70B3D5123 Small MA-S Device Maker
b827eb Raspberry Pi Foundation
ZZZZZZ Not hex
0011 too short
"""

IEEE_SAMPLE = """\
OUI/MA-L                                                    Organization
company_id                                                  Organization
                                                            Address

00-22-72   (hex)\t\tAmerican Micro-Fuel Device Corp.
002272     (base 16)\t\tAmerican Micro-Fuel Device Corp.
\t\t\t\t2181 Buchanan Loop
\t\t\t\tFerndale  WA  98248
\t\t\t\tUS

DC-A6-32   (hex)\t\tRaspberry Pi Trading Ltd
DCA632     (base 16)\t\tRaspberry Pi Trading Ltd
\t\t\t\tMaurice Wilkes Building, Cowley Road
\t\t\t\tCambridge    CB4 0DS
\t\t\t\tGB

08-00-27   (hex)\t\tPCS Systemtechnik GmbH
080027     (base 16)\t\tPCS Systemtechnik GmbH
"""


def test_nmap_format() -> None:
    table = oui.parse(NMAP_SAMPLE)
    assert table["005056"] == "VMware"
    assert table["B827EB"] == "Raspberry Pi Foundation"  # lower-case prefixes normalised
    assert "ZZZZZZ" not in table and "0011" not in table
    assert oui.vendor("00:50:56:aa:bb:cc", table) == "VMware"
    assert oui.vendor("B8-27-EB-01-02-03", table) == "Raspberry Pi Foundation"
    assert oui.vendor("0050.c2a1.2345", table) == "IEEE MA-M block owner"  # 7-digit block beats its parent
    assert oui.vendor("00:50:c2:b1:23:45", table) == "IEEE Registration Authority"
    assert oui.vendor("70:b3:d5:12:3f:ff", table) == "Small MA-S Device Maker"
    assert oui.vendor("70:b3:d5:99:00:00", table) is None
    assert oui.vendor("not a mac", table) is None


def test_ieee_oui_txt_format() -> None:
    table = oui.parse(IEEE_SAMPLE)
    assert table == {"002272": "American Micro-Fuel Device Corp.", "DCA632": "Raspberry Pi Trading Ltd",
                     "080027": "PCS Systemtechnik GmbH"}  # only the "(base 16)" lines, addresses ignored
    assert oui.vendor("dc:a6:32:00:11:22", table) == "Raspberry Pi Trading Ltd"


def test_database_takes_the_first_readable_file_and_caches(tmp_path: Path) -> None:
    ieee = tmp_path / "oui.txt"
    ieee.write_text(IEEE_SAMPLE, encoding="utf-8")
    empty = tmp_path / "empty"
    empty.write_text("# nothing\n", encoding="utf-8")
    path, table = oui.database([str(tmp_path / "missing"), str(empty), str(ieee)])
    assert path == str(ieee) and table["080027"] == "PCS Systemtechnik GmbH"
    assert oui.load(str(ieee)) is oui.load(str(ieee))  # parsed once
    assert oui.database([str(tmp_path / "missing")]) == ("", {})


def test_locally_administered_and_normalise() -> None:
    assert oui.locally_administered("02:00:00:00:00:11")
    assert oui.locally_administered("DA:A1:19:00:00:01")  # a phone's private Wi-Fi address
    assert not oui.locally_administered("00:50:56:00:00:01")
    assert oui.normalise_mac("00-50-56-AA-BB-CC") == "00:50:56:aa:bb:cc"


@pytest.mark.parametrize("path", oui.DEFAULT_FILES)
def test_shipped_system_files_parse(path: str) -> None:
    if not Path(path).is_file():
        pytest.skip(f"{path} is not installed (nmap / ieee-data)")
    table = oui.load(path)
    assert len(table) > 20000
    assert "vmware" in (oui.vendor("00:50:56:01:02:03", table) or "").lower()
