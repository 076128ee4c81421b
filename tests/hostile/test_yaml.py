"""Class 3, untrusted YAML: the audited system's netplan files and playbooks given by path.

Aliases and anchors are refused before anything expands (a billion-laughs file never allocates), nesting
and node counts are limited while composing, values are type-checked before use, non-regular files are
never read, and an error names the file and line, never the file's content (a broken netplan may hold a
Wi-Fi password).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit import limits, safeyaml
from secaudit.config import AgentConfig
from secaudit.facts.context import FactContext
from secaudit.facts.linux.interfaces import netplan_rows
from secaudit.facts.model import Snapshot
from secaudit.transport.local import RootTransport
from tests.conftest import write_tree
from tests.integration.test_planted_root import PLANTED

EXE = [sys.executable, "-m", "secaudit"]
AS_LIMIT = str(1 << 30)  # 1 GiB of address space: an expanded alias bomb needs far more
SECRET = "S3cr3t-Wifi-Passw0rd"
FUZZ = settings(max_examples=200, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# 9 levels of 9 references each: 9**9 (387 million) strings once expanded, in under 600 bytes.
LAUGHS = "\n".join(
    [f'a0: &a0 ["{SECRET}"]']
    + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    + ["network: {version: 2, ethernets: {eth0: {addresses: *a9}}}"]) + "\n"
NESTED_FLOW = "network: " + "[" * 100_000 + "]" * 100_000 + "\n"
NESTED_BLOCK = "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + f"{'  ' * 200}leaf\n"
MANY_NODES = "network:\n  v:\n" + "".join(f"    - {i}\n" for i in range(limits.YAML_NODES + 10))
BROKEN_WITH_SECRET = ("network:\n  wifis:\n    wlan0:\n      access-points:\n"
                      f'        "truong": {{password: "{SECRET}"}}\n     broken: [\n')
TAGGED = f"network: !!python/object/apply:os.system ['{SECRET}']\n"
BAD_VALUE = f"x: !!binary '{SECRET}!!'\n"


def run(*args: str, timeout: float = 60, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "SECAUDIT_LANG": "en", **(env or {})})


def assert_one_sentence(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr
    assert err.count("\n") == 1 and err.strip(), err
    assert "Traceback" not in err and "Internal error" not in err and "Lỗi nội bộ" not in err, err
    return err


# -- the loader itself ------------------------------------------------------------------------------


def test_shipped_playbooks_have_no_anchors_so_refusing_them_costs_nothing() -> None:
    from secaudit import playbook as pb

    for path in pb.list_shipped():
        safeyaml.load(path.read_text(encoding="utf-8"))  # raises if any anchor or alias were used


def test_a_billion_laughs_is_refused_at_the_first_anchor() -> None:
    assert len(LAUGHS.encode()) < 600
    with pytest.raises(safeyaml.YamlRefused) as info:
        safeyaml.load(LAUGHS)
    assert info.value.line == 1 and "aliases" in info.value.en


@pytest.mark.parametrize("text", ["a: &x 1\n", "a: *x\n", "- &y [1]\n- *y\n", "? &k a\n: 1\n", "a: !!str &z b\n"])
def test_every_anchor_or_alias_is_refused(text: str) -> None:
    with pytest.raises(safeyaml.YamlRefused):
        safeyaml.load(text)


@pytest.mark.parametrize("text, what", [(NESTED_FLOW, "nested too deeply"), (NESTED_BLOCK, "nested too deeply"),
                                        (MANY_NODES, "too many nodes")])
def test_depth_and_node_limits_hold_while_composing(text: str, what: str) -> None:
    with pytest.raises(safeyaml.YamlRefused) as info:
        safeyaml.compose(text)
    assert what in info.value.en and info.value.line > 0


def test_limits_leave_room_for_real_documents() -> None:
    doc = "".join(f"{'  ' * i}k{i}:\n" for i in range(limits.NESTING - 1)) + f"{'  ' * (limits.NESTING - 1)}x\n"
    value = safeyaml.load(doc)
    assert isinstance(value, dict)
    assert safeyaml.load("- " + "\n- ".join(map(str, range(limits.YAML_NODES - 2))) + "\n")[-1] == \
        limits.YAML_NODES - 3


@pytest.mark.parametrize("text", [BROKEN_WITH_SECRET, TAGGED, BAD_VALUE, LAUGHS, f"a: b\n---\nc: {SECRET}\n",
                                  f"k: '{SECRET}\x07'\n", f"{{{SECRET}: [1, 2}}\n", f"a: '{SECRET}\n"])
def test_errors_never_quote_the_document(text: str) -> None:
    with pytest.raises(safeyaml.YamlRefused) as info:
        safeyaml.load(text)
    for message in (info.value.en, info.value.vi, str(info.value)):
        assert SECRET not in message and "S3cr3t" not in message


@FUZZ
@given(st.text(alphabet=st.sampled_from(list("ab: -[]{}&*!|>'\"#\n\t,?%@`\\0123.")), max_size=80))
def test_any_text_is_a_value_or_a_refusal(text: str) -> None:
    try:
        safeyaml.load(text)
    except safeyaml.YamlRefused as exc:
        assert exc.line >= 0 and exc.en and exc.vi


# -- netplan: the audited system's files -------------------------------------------------------------


def _netplan(tmp_path: Path, files: dict[str, str]) -> tuple[list[dict[str, Any]], Snapshot]:
    root = write_tree(tmp_path / "root", {f"etc/netplan/{name}": text for name, text in files.items()})
    snap = Snapshot(collected_at="2026-01-01T00:00:00Z", mode="root")
    ctx = FactContext(RootTransport(str(root)), AgentConfig(), snap, 0.0)
    return netplan_rows(ctx), snap


def test_a_bomb_among_good_files_costs_only_its_own_rows(tmp_path: Path) -> None:
    good = "network:\n  ethernets:\n    eth0:\n      addresses: [10.0.0.5/24]\n      macaddress: 52:54:00:12:34:56\n"
    rows, snap = _netplan(tmp_path, {"00-bomb.yaml": LAUGHS, "01-good.yaml": good})
    assert [(r["name"], r["ipv4"]) for r in rows] == [("eth0", ["10.0.0.5/24"])]
    why = snap.unknown["interfaces.configured"]
    assert why["code"] == "error" and "/etc/netplan/00-bomb.yaml:1" in why["detail"]
    assert "aliases" in why["detail"] and SECRET not in why["detail"]


def test_broken_netplan_reason_names_the_line_not_the_secret(tmp_path: Path) -> None:
    _, snap = _netplan(tmp_path, {"50-wifi.yaml": BROKEN_WITH_SECRET})
    detail = snap.unknown["interfaces.configured"]["detail"]
    assert detail.startswith("/etc/netplan/50-wifi.yaml:6: invalid YAML") and SECRET not in detail


@pytest.mark.parametrize("conf", [
    "addresses: 5", "addresses: {a: b}", "addresses: [5, [1], {x: 1, y: 2}, null, true]", "addresses: '10.0.0.1/8'",
    "macaddress: [1, 2]", "macaddress: {a: 1}", "macaddress: 2020-01-01", "match: [1]", "match: {macaddress: 7}",
    "dhcp4: [yes]", "addresses: [{2020-01-01: x}]",
])
def test_values_of_the_wrong_type_are_passed_over(tmp_path: Path, conf: str) -> None:
    rows, snap = _netplan(tmp_path, {"01.yaml": f"network:\n  ethernets:\n    eth0: {{{conf}}}\n"})
    assert [r["name"] for r in rows] == ["eth0"]
    assert all(isinstance(a, str) for a in rows[0]["ipv4"] + rows[0]["ipv6"])
    assert rows[0]["mac"] is None or isinstance(rows[0]["mac"], str)
    assert "interfaces.configured" not in snap.unknown


@pytest.mark.parametrize("doc", ["[1, 2]", "network: [1]", "network: {ethernets: [eth0]}", "42", "''",
                                 "network: {ethernets: {[1]: {}}}", "network: {ethernets: {? {a: 1} : {}}}",
                                 "network: {ethernets: {true: {}, 7: {}, 1.5: {}, null: {}}}"])
def test_documents_of_the_wrong_shape_give_no_rows_and_no_crash(tmp_path: Path, doc: str) -> None:
    rows, _ = _netplan(tmp_path, {"01.yaml": doc + "\n"})
    assert all(isinstance(r["name"], str) for r in rows)


def test_an_all_digit_mac_keeps_its_digits(tmp_path: Path) -> None:
    rows, _ = _netplan(tmp_path, {"01.yaml": "network:\n  ethernets:\n    eth0: {macaddress: 00:11:22:33:44:55}\n"})
    assert rows[0]["mac"] == "00:11:22:33:44:55"  # YAML 1.1 reads it as a base-60 integer


def test_a_fifo_or_device_netplan_is_unknown_not_a_hang(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "root", {"etc/netplan/01-good.yaml": "network: {ethernets: {eth0: {}}}\n"})
    os.mkfifo(root / "etc/netplan/02-fifo.yaml")
    snap = Snapshot(collected_at="2026-01-01T00:00:00Z", mode="root")
    rows = netplan_rows(FactContext(RootTransport(str(root)), AgentConfig(), snap, 0.0))
    assert [r["name"] for r in rows] == ["eth0"]
    assert snap.unknown["interfaces.configured"]["code"] == "not_regular"


@pytest.mark.integration
def test_audit_with_a_600_byte_alias_bomb_completes_under_a_memory_limit(tmp_path: Path) -> None:
    if shutil.which("prlimit") is None:
        pytest.fail("prlimit (util-linux) is needed to bound the address space")
    root = write_tree(tmp_path / "root", {**PLANTED, "etc/netplan/01-bomb.yaml": LAUGHS,
                                          "etc/netplan/02-wifi.yaml": BROKEN_WITH_SECRET})
    out = tmp_path / "report.json"
    proc = subprocess.run(["prlimit", f"--as={AS_LIMIT}", "--", *EXE, "audit", "--root", str(root), "--no-sign",
                           "--format", "json", "-o", str(out), "--lang", "en"],
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "SECAUDIT_STATE_DIR": str(tmp_path / "state")})
    assert proc.returncode in (0, 1), proc.stderr
    assert "MemoryError" not in proc.stderr and "Traceback" not in proc.stderr
    text = out.read_text(encoding="utf-8")
    report = json.loads(text)
    assert report["requirements"] and report["summary"]
    assert SECRET not in text and SECRET not in proc.stdout + proc.stderr
    facts = tmp_path / "facts.json"
    subprocess.run(["prlimit", f"--as={AS_LIMIT}", "--", *EXE, "facts", "--root", str(root), "-o", str(facts)],
                   capture_output=True, text=True, timeout=120, check=True)
    snap = json.loads(facts.read_text(encoding="utf-8"))
    why = snap["unknown"]["interfaces.configured"]
    assert why["code"] == "error" and "01-bomb.yaml:1" in why["detail"] and SECRET not in json.dumps(snap)


# -- playbooks given by path ---------------------------------------------------------------------------

HEAD = "schema: secaudit.playbook/v1\nid: t\nversion: '1'\ntitle: {vi: Thử, en: Test}\n"


@pytest.mark.integration
@pytest.mark.parametrize("body, where", [
    (LAUGHS, ":1: YAML aliases"),
    (HEAD + "requirements:\n  VN-T-01: &r {title: {vi: a, en: b}, checks: [accounts.uid0_duplicates]}\n", ":6: "),
    (NESTED_FLOW, ": nested too deeply"),
    (MANY_NODES, ": too many nodes"),
    (HEAD + TAGGED, ":5: field 'network': invalid value"),
    (BROKEN_WITH_SECRET, ":6: invalid YAML"),
    (HEAD + "params:\n  accounts.inactive: {max_days: '45'}\n", "field 'params.accounts.inactive.max_days'"),
    (HEAD + "params:\n  accounts.inactive: {max_days: -1}\n", "must be between 1 and"),
    (HEAD + "params:\n  accounts.generic_names: {patterns: [1]}\n", "patterns[0]': must be a string"),
    (HEAD + "params:\n  files.sensitive_modes: {files: {/etc/passwd: {max_mode: '9', owners: [], groups: []}}}\n",
     "files./etc/passwd.max_mode"),
    (HEAD + "requirements: [1, 2]\n", "field 'requirements'"),
    (HEAD + "{[1]: 2}: 3\n", "keys must be plain text"),
])
def test_hostile_playbook_is_one_sentence(tmp_path: Path, body: str, where: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(body, encoding="utf-8")
    err = assert_one_sentence(run("playbooks", "validate", str(path)))
    assert err.startswith(str(path)) and where in err and SECRET not in err


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["fifo", "dev_zero", "directory"])
def test_playbook_that_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "p.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps({"schema": "secaudit.facts/v1", "collected_at": "2026-01-01T00:00:00Z"}))
    for args in (["playbooks", "validate", str(path)], ["evaluate", "--facts", str(snap), "--playbook", str(path)]):
        err = assert_one_sentence(run(*args, timeout=30))
        assert str(path) in err
    err = assert_one_sentence(run("playbooks", "validate", str(path), timeout=30))
    assert "not a regular file" in err


@pytest.mark.integration
def test_oversized_playbook_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as fh:
        fh.truncate(limits.PLAYBOOK + 1)
    err = assert_one_sentence(run("playbooks", "validate", str(path)))
    assert "larger than the 4 MiB limit" in err
