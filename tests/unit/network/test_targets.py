"""What `secaudit scan` agrees to scan: parsing SUBNET arguments and the refusal rules."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from secaudit.network.targets import (
    Target,
    TargetError,
    all_addresses,
    check_target,
    host_count,
    parse_target,
    select_targets,
)

LAB = "10.77.0.0/24"


def nets(targets: list[Target]) -> list[str]:
    return [str(t.network) for t in targets]


@pytest.mark.parametrize(("text", "expected"), [
    ("10.77.0.0/24", ["10.77.0.0/24"]),
    ("10.77.0.5/24", ["10.77.0.0/24"]),  # host bits set: the network it belongs to
    (" 192.168.1.7 ", ["192.168.1.7/32"]),
    ("10.77.0.8-15", ["10.77.0.8/29"]),
    ("10.77.0.10-10.77.0.12", ["10.77.0.10/31", "10.77.0.12/32"]),
    ("172.16.0.0/12", ["172.16.0.0/12"]),
])
def test_parse_target(text: str, expected: list[str]) -> None:
    assert [str(n) for n in parse_target(text)] == expected


@pytest.mark.parametrize(("text", "why"), [
    ("", "is empty"),
    ("school.local", "not an IPv4 address or CIDR"),
    ("10.77.0.0/33", "not an IPv4 address or CIDR"),
    ("10.77.0.300", "not an IPv4 address or CIDR"),
    ("fd00::/64", "IPv6 is not supported"),
    ("10.77.0.20-10", "below the first"),
    ("10.77.0.1-x", "not a valid IPv4 address range"),
])
def test_parse_target_errors_name_the_target(text: str, why: str) -> None:
    with pytest.raises(TargetError) as err:
        parse_target(text)
    assert why in err.value.en and f"'{text}'" in err.value.en
    assert err.value.vi != err.value.en


def test_host_counts() -> None:
    assert host_count(IPv4Network("10.77.0.0/24")) == 254
    assert host_count(IPv4Network("10.77.0.0/31")) == 2
    assert host_count(IPv4Network("10.77.0.9/32")) == 1
    addresses = all_addresses(select_targets([LAB], []))
    assert len(addresses) == 254 and str(addresses[0]) == "10.77.0.1" and str(addresses[-1]) == "10.77.0.254"


def test_lab_target_is_exactly_the_lab() -> None:
    """The lab tests scan only 10.77.0.0/24: the target selection yields that and nothing else."""
    chosen = select_targets([LAB], [LAB])
    assert nets(chosen) == [LAB]
    assert all(IPv4Network(LAB).supernet_of(IPv4Network(f"{a}/32")) for a in all_addresses(chosen))


def test_config_subnets_are_the_default_targets() -> None:
    chosen = select_targets([], ["10.77.0.0/24", "192.168.10.0/24"])
    assert nets(chosen) == ["10.77.0.0/24", "192.168.10.0/24"]
    assert {t.origin for t in chosen} == {"config"} and not any(t.outside_config for t in chosen)


def test_nothing_to_scan() -> None:
    with pytest.raises(TargetError) as err:
        select_targets([], [])
    assert "Nothing to scan" in err.value.en


def test_target_not_from_the_command_line_must_be_inside_the_config() -> None:
    owned = [IPv4Network(LAB)]
    with pytest.raises(TargetError) as err:
        check_target(Target(IPv4Network("10.78.0.0/24"), "10.78.0.0/24", "config"), owned, False, False)
    assert "not inside the unit's subnets" in err.value.en
    inside = check_target(Target(IPv4Network("10.77.0.0/25"), "10.77.0.0/25", "config"), owned, False, False)
    assert not inside.outside_config


def test_explicit_command_line_target_outside_the_config_is_allowed_and_flagged() -> None:
    [target] = select_targets(["10.78.0.0/24"], [LAB])
    assert target.origin == "cli" and target.outside_config
    [inside] = select_targets(["10.77.0.128/25"], [LAB])
    assert not inside.outside_config
    [no_config] = select_targets(["10.78.0.0/24"], [])
    assert not no_config.outside_config  # no subnets configured: nothing to be outside of


@pytest.mark.parametrize("public", ["8.8.8.0/24", "1.1.1.1", "100.64.0.0/24", "10.0.0.0/7", "203.0.113.0/24"])
def test_public_ranges_refused_without_allow_public(public: str) -> None:
    with pytest.raises(TargetError) as err:
        select_targets([public], [], force=True)
    assert "public range" in err.value.en and "--allow-public" in err.value.en
    assert "dải địa chỉ công cộng" in err.value.vi
    assert nets(select_targets([public], [], allow_public=True, force=True))


@pytest.mark.parametrize("private", ["10.1.2.0/24", "172.31.255.0/24", "192.168.0.0/16", "127.0.0.1",
                                     "169.254.1.0/24"])
def test_private_loopback_and_link_local_are_fine(private: str) -> None:
    assert nets(select_targets([private], []))


@pytest.mark.parametrize("never", ["224.0.0.0/24", "239.1.1.1", "240.0.0.0/24", "255.255.255.255", "0.0.0.0/24"])
def test_non_unicast_refused_even_with_allow_public(never: str) -> None:
    with pytest.raises(TargetError) as err:
        select_targets([never], [], allow_public=True, force=True)
    assert "not a range of hosts" in err.value.en


def test_ranges_larger_than_a_slash_16_need_force() -> None:
    with pytest.raises(TargetError) as err:
        select_targets(["10.0.0.0/15"], [])
    assert "too large" in err.value.en and "--force" in err.value.en and "131070" in err.value.en
    assert nets(select_targets(["10.0.0.0/16"], [])) == ["10.0.0.0/16"]
    assert nets(select_targets(["10.0.0.0/8"], [], force=True)) == ["10.0.0.0/8"]


def test_config_range_too_large_or_public_is_refused_too() -> None:
    with pytest.raises(TargetError):
        select_targets([], ["8.8.8.0/24"])
    with pytest.raises(TargetError):
        select_targets([], ["10.0.0.0/8"])


def test_bad_config_subnet_names_the_config() -> None:
    with pytest.raises(TargetError) as err:
        select_targets([LAB], ["10.77.0.0/24", "lan"], config_source="/etc/secaudit/secaudit.toml")
    assert err.value.en.startswith("Config /etc/secaudit/secaudit.toml, key 'subnets': Target 'lan'")


def test_overlapping_targets_scanned_once() -> None:
    chosen = select_targets(["10.77.0.0/25", LAB, "10.77.0.9", "10.77.1.0/24"], [])
    assert nets(chosen) == [LAB, "10.77.1.0/24"]
