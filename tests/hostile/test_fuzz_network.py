"""Issue 9, property-based fuzzing: what `secaudit scan` and `verify` read from elsewhere: nmap XML,
OUI files, NetBIOS node-status answers, the known-devices CSV, agent reports, and DSSE envelopes
(strict JSON, strict base64). Each either returns its result or raises the one error its caller
turns into a sentence (NmapError, KnownDevicesError, SecauditError, EnvelopeUnusable/Invalid).
See test_fuzz_parsers.py for the method."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from secaudit.errors import SecauditError
from secaudit.network import agents, names, nmapscan, oui
from secaudit.network.known import KnownDevicesError, parse_mac
from secaudit.network.known import parse as parse_known
from secaudit.sign import REPORT_TYPE
from secaudit.sign.dsse import (
    EnvelopeInvalid,
    EnvelopeUnusable,
    b64decode_strict,
    canonical_bytes,
    sign,
    strict_loads,
    verify,
)
from tests.hostile.fuzzkit import FUZZ, FUZZ_FEW, mutated, mutated_bytes, real_file, seeds
from tests.unit.network.test_inventory import REPORT
from tests.unit.network.test_names import TABLE, nbstat_response
from tests.unit.network.test_oui import IEEE_SAMPLE, NMAP_SAMPLE
from tests.unit.sign.test_dsse import KEY, OTHER, PAYLOAD, PUB

NMAP_XML = seeds(*(p.read_text() for p in sorted((Path(__file__).resolve().parents[1] / "fixtures" / "network")
                                                .glob("*.xml"))))


# -- nmap ------------------------------------------------------------------------------------------------


@FUZZ_FEW
@given(mutated(NMAP_XML))
@example("<nmaprun/>")  # python-nmap: AttributeError on the missing runstats
@example('<nmaprun><runstats><finished/><hosts/></runstats><host><address addr="1.2.3.4" addrtype="ipv4"/>'
         '<ports><port protocol="tcp" portid="x"/></ports></host></nmaprun>')
@example('<?xml version="1.0" encoding="utf-16"?><nmaprun/>')
@example("<a>" * 50_000)
def test_nmap_xml(text: str) -> None:
    try:
        hosts = nmapscan.parse_xml(text)
    except nmapscan.NmapError:
        return
    for ip, host in hosts.items():
        assert isinstance(ip, str) and isinstance(host, nmapscan.HostScan)
        assert all(isinstance(p["port"], int) for p in host.open_ports)
    assert all(isinstance(ip, str) for ip in nmapscan.timed_out_hosts(text))


@FUZZ_FEW
@given(mutated_bytes(tuple(x.encode() for x in NMAP_XML)))
def test_nmap_xml_bytes(data: bytes) -> None:
    with contextlib.suppress(nmapscan.NmapError):
        nmapscan.parse_xml(data)


# -- OUI, NetBIOS, known devices ----------------------------------------------------------------------------

OUI_SAMPLES = seeds(NMAP_SAMPLE, IEEE_SAMPLE, real_file("/usr/share/nmap/nmap-mac-prefixes", 8192),
                    real_file("/usr/share/ieee-data/oui.txt", 8192))


@FUZZ
@given(mutated(OUI_SAMPLES), st.one_of(st.text(max_size=20), st.sampled_from(["00:50:56:aa:bb:cc", "b827eb010203"])))
def test_oui(text: str, mac: str) -> None:
    table = oui.parse(text)
    assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in table.items())
    got = oui.vendor(mac, table)
    assert got is None or isinstance(got, str)
    oui.locally_administered(mac)
    assert isinstance(oui.normalise_mac(mac), str)


@FUZZ
@given(mutated_bytes((nbstat_response(7, TABLE), nbstat_response(7, TABLE, pointer=True),
                      nbstat_response(9, [("X" * 15, 0, 0)] * 40, mac=b"\0" * 6))))
@example(struct.pack(">HHHHHH", 1, 0x8400, 0, 1, 0, 0) + b"\x00" + struct.pack(">HHIH", 0x21, 1, 0, 0) + b"\x05")
def test_nbstat(data: bytes) -> None:
    """netbios_names drops an answer that raises ValueError, struct.error or IndexError."""
    try:
        table, mac = names.parse_nbstat(data)
    except (ValueError, struct.error, IndexError):
        return
    assert all(isinstance(n, str) and isinstance(s, int) for n, s, _ in table)
    assert mac is None or isinstance(mac, str)
    assert all(isinstance(n, str) for n in names.computer_names(table))


KNOWN = ("\ufeff# Danh sách thiết bị\nMAC,Name,Owner,Location,Role,IP,allowed_ports,Ghi chú\n\n"
         "00:1A:2B:3C:4D:5E,Máy chủ,Tổ Tin học,Phòng máy 1,server,192.168.1.10,tcp/3306 tcp/445,\n"
         "# the printer\n001a.2b3c.4d5f;\"Máy in, tầng 2\";;;lab;;udp/161-162;\n,router,,,,10.0.0.1,,\n")


@FUZZ
@given(mutated((KNOWN, KNOWN.replace(",", ";"), KNOWN.replace(",", "\t"))))
@example("mac\n" + '"' + "a" * 200_000 + '"\n')  # past csv.field_size_limit
@example("mac,ip\n,1.2.3.4\n,1.2.3.4\n")
def test_known_devices(text: str) -> None:
    try:
        rows = parse_known(text, "devices.csv")
    except KnownDevicesError:
        return
    json.dumps(rows)
    for row in rows:
        assert row["mac"] is None or parse_mac(row["mac"]) == row["mac"]


# -- agent reports ------------------------------------------------------------------------------------------


def _json_values() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["schema", "mode", "host", "hostname", "inventory", "interfaces", "mac", "ipv4",
                            "listening_ports", "port", "pid", "proto", "address", "findings", "check_id", "status",
                            "generated_at", "payload", "payloadType"])
    leaf = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                     st.sampled_from(["secaudit.report/v1", "local", "tcp", "ports.risky_services"]))
    return st.recursive(leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                     st.dictionaries(keys, kids, max_size=6)), max_leaves=30)


def _report_texts() -> st.SearchStrategy[bytes]:
    real = json.dumps(REPORT)
    envelope = json.dumps({"payloadType": REPORT_TYPE, "signatures": [],
                           "payload": base64.b64encode(real.encode()).decode()})
    return st.one_of(
        mutated((real, envelope)).map(str.encode),
        _json_values().map(lambda v: json.dumps(v).encode()),
        _json_values().map(lambda v: json.dumps({**REPORT, "inventory": v}).encode()),
        _json_values().map(lambda v: json.dumps({**REPORT, "host": v, "findings": v, "generated_at": v}).encode()),
        _json_values().map(lambda v: json.dumps({"payloadType": "x", "payload": base64.b64encode(
            json.dumps({"schema": "secaudit.report/v1", "inventory": v}).encode()).decode()}).encode()),
        st.just(b"[" * 100_000), st.just(b'{"payloadType": 1, "payload": "' + b"[" * 1000 + b'"}'),
    )


@FUZZ_FEW
@given(st.lists(_report_texts(), min_size=1, max_size=3))
def test_agent_reports(texts: list[bytes]) -> None:
    """One file, then a directory of them: SecauditError (one sentence), never a traceback."""
    with tempfile.TemporaryDirectory() as tmp:
        for i, data in enumerate(texts):
            Path(tmp, f"r{i}.json").write_bytes(data)
        for i in range(len(texts)):
            with contextlib.suppress(SecauditError):
                json.dumps(agents.load(os.path.join(tmp, f"r{i}.json")))
        try:
            rows = agents.load_all([tmp])
        except SecauditError:
            return
        json.dumps(rows)


# -- DSSE envelopes -------------------------------------------------------------------------------------------

GOOD = sign(canonical_bytes(PAYLOAD), REPORT_TYPE, KEY)
TWO = json.dumps({**json.loads(GOOD), "signatures": [*json.loads(GOOD)["signatures"],
                                                    *json.loads(sign(canonical_bytes(PAYLOAD), REPORT_TYPE,
                                                                     OTHER))["signatures"]]}).encode()


@FUZZ
@given(mutated_bytes((GOOD, TWO, GOOD.replace(b'"sig":"', b'"sig":"A'), GOOD.replace(b"payloadType", b"payloadtype"))))
@example(b'{"payloadType":"' + REPORT_TYPE.encode() + b'","payload":"e30=","signatures":[{"sig":5}]}')
@example(b'{"payloadType":"' + REPORT_TYPE.encode() + b'","payload":"e30=","signatures":[1,2]}')
@example(b"\xef\xbb\xbf" + GOOD)
@example(b"[" * 100_000)
def test_dsse_verify(raw: bytes) -> None:
    try:
        got = verify(raw, {REPORT_TYPE}, [PUB])
    except (EnvelopeUnusable, EnvelopeInvalid):
        return
    assert isinstance(got.payload, dict) and isinstance(got.body, bytes)


@FUZZ
@given(st.one_of(mutated_bytes((canonical_bytes(PAYLOAD),)), _json_values().map(lambda v: json.dumps(v).encode())))
@example(b'{"a":1,"a":2}')
@example(b'{"a":1.5}')
@example(b'{"a":NaN}')
@example(b'"\\ud800"')
def test_strict_json(data: bytes) -> None:
    with contextlib.suppress(EnvelopeUnusable):
        strict_loads(data, "x", "x")


@FUZZ
@given(st.one_of(st.text(max_size=40), mutated((base64.b64encode(b"secaudit report").decode(),
                                               base64.urlsafe_b64encode(b"\xfb\xff\xfe").decode()))))
def test_strict_base64(text: str) -> None:
    try:
        raw = b64decode_strict(text, "payload")
    except EnvelopeUnusable:
        return
    # canonical: exactly one spelling decodes to these bytes in each alphabet
    assert text.rstrip("=") in (base64.b64encode(raw).decode().rstrip("="),
                                base64.urlsafe_b64encode(raw).decode().rstrip("="))
