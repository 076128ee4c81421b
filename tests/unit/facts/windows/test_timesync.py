"""`w32tm /query /status` in English and in a translated UI, read by position; the W32Time service."""

from __future__ import annotations

import pytest

from secaudit.facts.windows.timesync import parse_w32tm_status

EN_SYNCED = ("Leap Indicator: 0(no warning)\r\nStratum: 4 (secondary reference - syncd by (S)NTP)\r\n"
             "Precision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0469513s\r\nRoot Dispersion: 7.8193847s\r\n"
             "ReferenceId: 0x14655A3C (source IP:  20.101.57.60)\r\n"
             "Last Successful Sync Time: 11/22/2026 2:47:31 PM\r\n"
             "Source: time.windows.com,0x9\r\nPoll Interval: 15 (32768s)\r\n\r\n")
EN_LOCAL_CLOCK = ("Leap Indicator: 3(not synchronized)\r\nStratum: 1 (primary reference - syncd by radio clock)\r\n"
                  "Precision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 10.0000000s\r\n"
                  "ReferenceId: 0x4C4F434C (source name:  \"LOCL\")\r\nLast Successful Sync Time: unspecified\r\n"
                  "Source: Local CMOS Clock\r\nPoll Interval: 6 (64s)\r\n")
EN_FREE_RUNNING = ("Leap Indicator: 3(not synchronized)\r\nStratum: 0 (unspecified)\r\n"
                   "Precision: -23 (119.209ns per tick)\r\nRoot Delay: 0.0000000s\r\nRoot Dispersion: 0.0000000s\r\n"
                   "ReferenceId: 0x00000000 (unspecified)\r\nLast Successful Sync Time: unspecified\r\n"
                   "Source: Free-running System Clock\r\nPoll Interval: 10 (1024s)\r\n")
# A translated UI: other labels, the same lines in the same order (what the parser relies on).
VI_SYNCED = ("Chỉ báo Bước nhảy: 0(không có cảnh báo)\r\nTầng: 3 (tham chiếu thứ cấp - đồng bộ bởi (S)NTP)\r\n"
             "Độ chính xác: -23 (119.209ns mỗi tích tắc)\r\nĐộ trễ Gốc: 0.0312500s\r\nĐộ phân tán Gốc: 1.2500000s\r\n"
             "ID Tham chiếu: 0xC0A80A01 (IP nguồn:  192.168.10.1)\r\nThời gian Đồng bộ Thành công Gần nhất: "
             "22/11/2026 14:47:31\r\nNguồn: 192.168.10.1\r\nKhoảng thời gian Thăm dò: 10 (1024s)\r\n")


@pytest.mark.parametrize(("text", "synced", "source"), [
    (EN_SYNCED, True, "time.windows.com,0x9"),
    (EN_LOCAL_CLOCK, False, "Local CMOS Clock"),
    (EN_FREE_RUNNING, False, "Free-running System Clock"),
    (VI_SYNCED, True, "192.168.10.1"),
])
def test_status_in_any_language(text: str, synced: bool, source: str) -> None:
    status = parse_w32tm_status(text)
    assert status is not None and status.synced is synced and status.source == source


def test_details() -> None:
    status = parse_w32tm_status(VI_SYNCED)
    assert status is not None
    assert (status.leap, status.stratum, status.refid, status.last_sync) == (0, 3, "C0A80A01", "22/11/2026 14:47:31")
    assert status.describe().startswith("w32tm /query /status: Source 192.168.10.1, stratum 3")


@pytest.mark.parametrize("text", [
    "The following error occurred: The service has not been started. (0x80070426)\r\n",
    "", "Leap Indicator: 0\r\n", "ReferenceId: 0x14655A3C\r\n",
])
def test_not_a_status(text: str) -> None:
    assert parse_w32tm_status(text) is None
