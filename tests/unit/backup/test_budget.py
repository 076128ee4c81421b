"""Durations, sizes and the verify budget."""

from __future__ import annotations

import pytest

from secaudit.backup.budget import Allowance, Budget, parse_budget
from secaudit.units import format_size, parse_duration, parse_size


@pytest.mark.parametrize("text, seconds", [
    ("60s", 60), ("10m", 600), ("26h", 93600), ("7d", 604800), ("2w", 1209600), ("1d12h", 129600),
    (" 90 s ", 90), ("1D", 86400), ("1h30m", 5400),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "26", "h", "1x", "1h junk", "-1h", "1.5h"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text, size", [
    ("500MB", 500_000_000), ("10GiB", 10 * 2**30), ("10G", 10 * 2**30), ("1.5GiB", 3 * 2**29),
    ("4096", 4096), ("64KiB", 65536), ("2 TB", 2 * 10**12), ("1k", 1024), ("7B", 7),
])
def test_sizes(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GiB", "10 XB", "1iB", "ten"])
def test_bad_sizes(text):
    with pytest.raises(ValueError):
        parse_size(text)


def test_budget_forms():
    assert parse_budget(None).unlimited
    assert parse_budget("60s") == Budget(60, None)
    assert parse_budget("10GiB") == Budget(None, 10 * 2**30)
    assert parse_budget("10m, 50GiB") == Budget(600, 50 * 2**30)
    assert parse_budget("10m,50GiB").describe() == "10m + 50.0 GiB"
    for bad in ("soon", "10m,20m", "1GiB,2GiB", "0s"):
        with pytest.raises(ValueError):
            parse_budget(bad)


def test_allowance_counts_bytes():
    a = Allowance(None, 100)
    assert not a.exhausted(100)
    a.used = 60
    assert a.exhausted(41) and not a.exhausted(40)
    assert a.bytes_left() == 40
    assert Allowance(None, None).unlimited
    assert Allowance(0, None).exhausted()


def test_format_size():
    assert format_size(512) == "512 B"
    assert format_size(3 * 2**20) == "3.0 MiB"
