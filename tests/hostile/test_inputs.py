"""Class 10, every input validated like the playbook: the agent config (`[params.*]` types, ranges,
unknown checks and parameters), hosts files, state files, `evaluate --facts` snapshots, known-devices
CSVs and agent reports. A bad one is exit 2 with one sentence naming the file and the field; never a
traceback, never "Internal error", never a hang (FIFOs, devices), never a check that crashes on a
malformed table, and a damaged state file is never written over.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secaudit import shapes
from secaudit.backup import state as backup_state
from secaudit.config import AgentConfig, parse_config
from secaudit.errors import ConfigError, SecauditError
from secaudit.facts.model import SCHEMA, AgentReportRow, Snapshot
from secaudit.facts.tables import tables
from secaudit.pipeline import check_catalog
from tests.unit.facts import specvalues

EXE = [sys.executable, "-m", "secaudit"]
FUZZ = settings(max_examples=150, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
TIME = "2026-01-31T08:00:00Z"
DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_TOML = "a = " + "[" * 100_000 + "]" * 100_000 + "\n"
DEEP_TABLES = "[" + ".".join(f"t{i}" for i in range(200)) + "]\nx = 1\n"  # nesting without recursion


def run(*args: str, tmp: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SECAUDIT_LANG": "en", "SECAUDIT_STATE_DIR": str(tmp / "state"), "HOME": str(tmp)}
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env)


def one_sentence(proc: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit 2, one line on stderr naming every `names`, no traceback."""
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], err)
    assert err.count("\n") == 1 and err.strip(), err
    assert "Traceback" not in err and "Internal error" not in err and "Lỗi nội bộ" not in err, err
    for name in names:
        assert name in err, (name, err)
    return err


def _nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def snapshot_dict(**tables: Any) -> dict[str, Any]:
    return {"schema": SCHEMA, "collected_at": TIME, "mode": "replay", "tool_version": "0",
            "users": [{"name": "root", "uid": 0, "id": "0", "source": "/etc/passwd:1"}], **tables, "unknown": {}}


@pytest.fixture()
def good_snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(snapshot_dict()), encoding="utf-8")
    return path


# -- the agent config ----------------------------------------------------------------------------------

BAD_PARAMS = [
    ('[params."accounts.inactive"]\nmax_days = "45"\n', "params.accounts.inactive.max_days", "must be an integer"),
    ('[params."accounts.inactive"]\nmax_days = 45.5\n', "params.accounts.inactive.max_days", "must be an integer"),
    ('[params."accounts.inactive"]\nmax_days = true\n', "params.accounts.inactive.max_days", "must be an integer"),
    ('[params."accounts.inactive"]\nmax_days = -3\n', "params.accounts.inactive.max_days", "between 1 and"),
    ('[params."accounts.password_quality"]\nmin_classes = 9\n', "min_classes", "between 1 and 4"),
    ('[params."backup.size_anomaly"]\nratio_percent = 101\n', "ratio_percent", "between 0 and 100"),
    ('[params."accounts.admin_count"]\nmax_admins = 99999999999\n', "max_admins", "between"),
    ('[params."accounts.nope"]\nx = 1\n', "params.accounts.nope", "no such check"),
    ('[params.accounts.inactive]\nmax_days = 3\n', "params.accounts", "put the check id in quotes"),
    ('[params."accounts.inactive"]\nmaxdays = 3\n', "params.accounts.inactive.maxdays", "no such parameter"),
    ('params = { "accounts.inactive" = 5 }\n', "params.accounts.inactive", "must be a table"),
    ('params = 5\n', "'params'", "must be a table"),
    ('[params."system.firewall"]\nrequire_ipv6 = "yes"\n', "require_ipv6", "must be true or false"),
    ('[params."accounts.admin_members"]\nadmin_groups = "sudo"\n', "admin_groups", "must be a list"),
    ('[params."accounts.admin_members"]\nadmin_groups = ["sudo", 3]\n', "admin_groups[1]", "must be a string"),
    ('[params."accounts.generic_names"]\npatterns = ["(("]\n', "patterns[0]", "invalid regular expression"),
    ('[params."inventory.host_identified"]\nrequired = ["hostname", "colour"]\n', "required[1]", "one of"),
    ('[params."ssh.password_authentication"]\nfail_roles = ["kitchen"]\n', "fail_roles[0]", "one of"),
    ('[params."antivirus.present"]\nmissing_status = { server = "ok" }\n', "missing_status.server", "pass, warn"),
    ('[params."antivirus.present"]\nmissing_status = { kitchen = "fail" }\n', "missing_status.kitchen", "roles"),
    ('[params."files.sensitive_modes"]\nfiles = { "/etc/passwd" = "0644" }\n', "files./etc/passwd", "table"),
    ('[params."files.sensitive_modes"]\nfiles = { "/etc/passwd" = { max_mode = "rw-r--r--", owners = ["root"], '
     'groups = ["root"] } }\n', "files./etc/passwd.max_mode", "octal mode"),
    ('[params."files.sensitive_modes"]\nfiles = { "/etc/passwd" = { max_mode = "0644", owners = [] , '
     'groups = ["root"] } }\n', "files./etc/passwd.owners", "non-empty list"),
    ('[params."ports.risky_services"]\nextra_services = ["mysql"]\n', "extra_services[0]", "must be a table"),
    ('[params."ports.risky_services"]\nextra_services = [{ service = "x", category = "nope", ports = [1] }]\n',
     "extra_services[0]", "invalid entry"),
    ('[params."ports.risky_services"]\nextra_services = [{ service = "x", category = "database", '
     'ports = ["99999"] }]\n', "extra_services[0]", "out of range"),
    ('[params."ports.risky_services"]\nextra_services = [{ service = "x", category = "database", '
     'ports = "22" }]\n', "extra_services[0]", "ports must be a list"),
]


@pytest.mark.parametrize("text, field, problem", BAD_PARAMS, ids=[f"{i}-{b[2][:20]}" for i, b in enumerate(BAD_PARAMS)])
def test_config_params_are_validated(tmp_path: Path, good_snapshot: Path, text: str, field: str, problem: str) -> None:
    config = tmp_path / "secaudit.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        from secaudit.pipeline import load_config

        load_config(str(config))
    assert str(config) in info.value.en and field in info.value.en and problem in info.value.en, info.value.en
    assert str(config) in info.value.vi and field in info.value.vi


@pytest.mark.integration
@pytest.mark.parametrize("text, field, problem", BAD_PARAMS[::8])
def test_config_params_errors_through_the_cli(tmp_path: Path, good_snapshot: Path, text: str, field: str,
                                              problem: str) -> None:
    config = tmp_path / "secaudit.toml"
    config.write_text(text, encoding="utf-8")
    one_sentence(run("evaluate", "--facts", str(good_snapshot), "--config", str(config), tmp=tmp_path),
                 str(config), field, problem)


def test_valid_overrides_are_kept(tmp_path: Path) -> None:
    cfg = parse_config({"params": {
        "accounts.inactive": {"max_days": 60},
        "files.sensitive_modes": {"files": {"/etc/shadow": {"max_mode": "0600", "owners": ["root"],
                                                            "groups": ["root", "shadow"]}}},
        "antivirus.present": {"missing_status": {"server": "fail"}},
        "ports.risky_services": {"allowed": ["tcp/3306", 5432],
                                 "extra_services": [{"service": "x", "category": "database", "ports": [9999]}]},
    }}, "c.toml")
    assert cfg.params["accounts.inactive"]["max_days"] == 60


_KEYS = ["unit", "role", "playbook", "params", "backup", "approved_admins", "allowed_ports", "subnets",
         "state_dir", "known_devices", "code", "name", "accounts.inactive", "max_days", "files.sensitive_modes",
         "files", "kind", "path", "max_age", "x"]
_toml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=True) | st.text(max_size=8)
    | st.sampled_from(["files", "26h", "server", "/srv", "0644", "sftp://a@b/c", "tcp/22"]),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=4), c, max_size=4),
    max_leaves=12)


@FUZZ
@given(st.dictionaries(st.sampled_from(_KEYS), _toml_values, max_size=6))
def test_any_config_shape_is_a_config_or_one_sentence(data: dict[str, Any]) -> None:
    try:
        parse_config(data, "fuzz.toml", check_catalog)
    except ConfigError as exc:
        assert exc.en.startswith("Config fuzz.toml") and "\n" not in exc.en
        assert exc.vi.startswith("Cấu hình fuzz.toml")


@FUZZ
@given(st.text(alphabet=st.sampled_from(list('[]{}="\'.,#\n\t \\abxu0189-:TZe+_')), max_size=60))
def test_any_config_text_is_a_config_or_one_sentence(text: str) -> None:
    from secaudit import inputs

    try:
        parse_config(inputs.parse_toml(text, "fuzz.toml", "config", ConfigError), "fuzz.toml", check_catalog)
    except ConfigError as exc:
        assert "fuzz.toml" in exc.en and "\n" not in exc.en and "fuzz.toml" in exc.vi


@pytest.mark.integration
@pytest.mark.parametrize("text", [DEEP_TOML, DEEP_TABLES, "a = {" * 5000 + "}" * 5000 + "\n", "x = [\n" * 3000,
                                  "x = " + "9" * 5000 + "\n"])
def test_deeply_nested_config(tmp_path: Path, good_snapshot: Path, text: str) -> None:
    config = tmp_path / "deep.toml"
    config.write_text(text, encoding="utf-8")
    one_sentence(run("evaluate", "--facts", str(good_snapshot), "--config", str(config), tmp=tmp_path), str(config))


# -- FIFOs, devices and directories as input files ----------------------------------------------------


def _special(tmp_path: Path, kind: str) -> Path:
    if kind == "dev_zero":
        return Path("/dev/zero")
    path = tmp_path / f"special-{kind}"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    return path


def _options(special: str, snap: str) -> list[tuple[str, list[str]]]:
    return [
        ("--config", ["evaluate", "--facts", snap, "--config", special]),
        ("--facts", ["evaluate", "--facts", special]),
        ("--playbook", ["evaluate", "--facts", snap, "--playbook", special if "/" in special else f"./{special}"]),
        ("audit --config", ["audit", "--config", special, "--replay", snap]),
        ("--hosts", ["audit", "--hosts", special, "--no-sign"]),
        ("scan --known", ["scan", "10.99.0.0/30", "--dry-run", "--known", special]),
        ("scan --config", ["scan", "10.99.0.0/30", "--dry-run", "--config", special]),
        ("playbooks validate", ["playbooks", "validate", special]),
        ("backup verify --config", ["backup", "verify", "--config", special]),
    ]


@pytest.mark.integration
@pytest.mark.parametrize("kind", ["fifo", "dev_zero"])
def test_special_files_as_every_input_option(tmp_path: Path, good_snapshot: Path, kind: str) -> None:
    special = _special(tmp_path, kind)
    for label, args in _options(str(special), str(good_snapshot)):
        proc = run(*args, tmp=tmp_path, timeout=30)  # a FIFO read would block: the timeout fails the test
        err = one_sentence(proc, str(special))
        assert "not a regular file" in err, (label, err)


@pytest.mark.integration
def test_special_agent_report_file(tmp_path: Path) -> None:
    fifo = _special(tmp_path, "fifo")
    one_sentence(run("scan", "10.99.0.0/30", "--dry-run", "--agent-report", str(fifo), tmp=tmp_path, timeout=30),
                 str(fifo), "not a regular file")
    one_sentence(run("scan", "10.99.0.0/30", "--dry-run", "--agent-report", "/dev/zero", tmp=tmp_path, timeout=30),
                 "/dev/zero", "not a regular file")


@pytest.mark.integration
@pytest.mark.parametrize("name", ["state.json", "devices.json"])
@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_special_state_files(tmp_path: Path, good_snapshot: Path, name: str, kind: str) -> None:
    state = tmp_path / "state"
    state.mkdir()
    target = state / name
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    args = ["evaluate", "--facts", str(good_snapshot)] if name == "state.json" else ["scan", "10.99.0.0/30"]
    one_sentence(run(*args, tmp=tmp_path, timeout=30), str(target), "not a regular file")
    assert target.exists() and (target.is_dir() if kind == "directory" else not target.is_file())


# -- snapshots -------------------------------------------------------------------------------------------

def _users(**row: Any) -> dict[str, Any]:
    return {"users": [{"name": "root", "uid": 0, **row}]}


MALFORMED = [
    ({"schema": "secaudit.facts/v0"}, "is not a secaudit.facts/v1"),
    ({"users": {"root": 0}}, "field 'users': must be a list"),
    ({"users": ["root"]}, "field 'users[0]': must be an object"),
    ({"users": [{"uid": 0}]}, "field 'users[0].name': is required"),
    (_users(uid="0"), "field 'users[0].uid': must be an integer"),
    (_users(uid=True), "field 'users[0].uid'"),
    (_users(uid=1.5), "field 'users[0].uid'"),
    (_users(groups="wheel"), "field 'users[0].groups': must be a list"),
    (_users(groups=["wheel", 5]), "field 'users[0].groups[1]': must be a string"),
    (_users(last_login="yesterday"), "field 'users[0].last_login': must be a time such as"),
    (_users(last_login="2026-13-01T00:00:00Z"), "users[0].last_login"),
    (_users(admin="yes"), "users[0].admin': must be true or false"),
    ({"host": []}, "field 'host': must be an object"),
    ({"host": {"os": "linux"}}, "field 'host.os': must be an object"),
    ({"host": {"hostname": 7}}, "field 'host.hostname'"),
    ({"remote_login": {"ssh": []}}, "field 'remote_login.ssh'"),
    ({"remote_login": {"ssh": {"ports": ["22"]}}}, "remote_login.ssh.ports[0]"),
    ({"file_modes": [{"path": "/etc/shadow", "mode": "rw-", "owner": "root", "group": "shadow"}]},
     "file_modes[0].mode': must be an octal mode"),
    ({"file_modes": [{"path": "/etc/shadow", "owner": "root", "group": "shadow"}]}, "file_modes[0].mode"),
    ({"sudo_rules": [{"principal": "ALL", "source": "x:1"}]}, "sudo_rules[0].commands': is required"),
    ({"listening_ports": [{"port": "22"}]}, "listening_ports[0].port"),
    ({"password_policy": {"min_length": "8"}}, "password_policy.min_length"),
    ({"pam": {"stacks": {"login": {"auth": "pam_unix"}}}}, "pam.stacks.login.auth"),
    ({"system": {"os_support_end": "soon"}}, "system.os_support_end': must be a date"),
    ({"backups": [{"set": "db", "path": "/b", "copies": [{"path": "x", "time": 5}]}]}, "backups[0].copies[0].time"),
    ({"backups": [{"set": "db", "path": "/b", "verification": {"errors": "many"}}]}, "backups[0].verification"),
    ({"antivirus": [{"installed": True}]}, "antivirus[0].product"),
    ({"devices": [{"ip": "10.0.0.1", "open_ports": [{"port": "80"}]}]}, "devices[0].open_ports[0].port"),
    ({"agent_reports": [{"listening_ports": [{"port": [1]}]}]}, "agent_reports[0].listening_ports[0].port"),
    ({"unknown": []}, "field 'unknown'"),
    ({"unknown": {"users": "denied"}}, "field 'unknown.users'"),
    ({"unknown": {"users": {"code": "x"}}}, "field 'unknown.users.detail': is required"),
    ({"collected_at": "now"}, "field 'collected_at'"),
    ({"mode": "telepathy"}, "field 'mode'"),
    ({"duration_ms": "5"}, "field 'duration_ms'"),
]


@pytest.mark.parametrize("change, needle", MALFORMED, ids=[m[1][:40] for m in MALFORMED])
def test_malformed_snapshot_names_the_field(tmp_path: Path, change: dict[str, Any], needle: str) -> None:
    data = {**snapshot_dict(), **change}
    path = tmp_path / "snap.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SecauditError) as info:
        Snapshot.load(path)
    assert str(path) in info.value.en and needle in info.value.en, info.value.en
    assert str(path) in info.value.vi and "\n" not in info.value.vi


@pytest.mark.integration
@pytest.mark.parametrize("change, needle", MALFORMED[1::7])
def test_malformed_snapshot_through_the_cli(tmp_path: Path, change: dict[str, Any], needle: str) -> None:
    path = tmp_path / "snap.json"
    path.write_text(json.dumps({**snapshot_dict(), **change}), encoding="utf-8")
    one_sentence(run("evaluate", "--facts", str(path), tmp=tmp_path), str(path), needle)


@pytest.mark.integration
@pytest.mark.parametrize("text, needle", [
    (DEEP_JSON, "nested too deeply"),
    (json.dumps(snapshot_dict(host={"sources": {"a": _nested(70)}})), "nested too deeply"),
    ("{", "is not valid JSON (line 1"),
    ('{"schema": "secaudit.facts/v1", "users": [}', "is not valid JSON"),
    ("\xff\xfe", "is not UTF-8"),
    ("", "is not valid JSON"),
    ("null", "is not a secaudit.facts/v1"),
    ('{"schema": "secaudit.facts/v1", "duration_ms": ' + "9" * 5000 + "}", "number too long"),
])
def test_unparsable_snapshot(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "snap.json"
    path.write_bytes(text.encode("latin-1") if text.startswith("\xff") else text.encode())
    one_sentence(run("evaluate", "--facts", str(path), tmp=tmp_path), str(path), needle)


@pytest.mark.integration
def test_missing_snapshot(tmp_path: Path) -> None:
    one_sentence(run("evaluate", "--facts", str(tmp_path / "none.json"), tmp=tmp_path), "none.json", "does not exist")


# Random JSON where tables are expected: a shape the checks cannot use is refused, and anything accepted
# evaluates without a check error.
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "root", TIME, "0640", "2026-01-31", "tcp", "x" * 30]),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(
        ["name", "uid", "path", "mode", "owner", "group", "product", "set", "ip", "port", "proto", "os", "ssh",
         "copies", "time", "commands", "principal", "source", "open_ports", "verification", "code", "detail"]),
        c, max_size=4),
    max_leaves=10)


def _run_all_checks(snap: Snapshot) -> list[tuple[str, str]]:
    from secaudit import playbook as pb
    from secaudit.checks import load_checks
    from secaudit.checks.engine import run_checks

    registry = load_checks()
    results = run_checks(snap, list(registry), pb.load("dong-nai-2026", check_catalog()), AgentConfig())
    return [(cid, r.message["en"]) for cid, r in results.items() if r.status == "error"]


@FUZZ
@given(st.dictionaries(st.sampled_from([*sorted(tables()), "unknown", "mode", "collected_at"]), _json, max_size=4))
def test_random_tables_are_refused_or_evaluated_without_check_errors(tables: dict[str, Any]) -> None:
    data = {"schema": SCHEMA, "collected_at": TIME, **tables}
    try:
        snap = Snapshot.from_dict(json.loads(json.dumps(data)), "fuzz.json")
    except SecauditError as exc:
        assert exc.en.startswith(("fuzz.json", "Facts snapshot fuzz.json")) and "\n" not in exc.en
        return
    assert _run_all_checks(snap) == []


# Snapshots that have exactly the documented shape (generated from the table specs, every OS's columns): every
# check must handle every such value without crashing.
_text = specvalues.TEXT


_UNKNOWN_KEYS = ["users", "sudo_rules", "interfaces.mac", "hardware.serial", "file_modes:/etc/shadow", "system",
                 "firewall", "backups.verification", "pam", "antivirus", "listening_ports.process"]
_SHAPED = st.fixed_dictionaries(
    {"schema": st.just(SCHEMA), "collected_at": st.just(TIME)},
    optional={**{name: specvalues.table_strategy(spec) for name, spec in tables().items()},
              "mode": st.sampled_from(["local", "root", "ssh", "replay"]),
              "unknown": st.dictionaries(st.sampled_from(_UNKNOWN_KEYS), st.fixed_dictionaries(
                  {"code": st.sampled_from(["permission_denied", "not_found", "not_applicable", "error"]),
                   "detail": _text}), max_size=3)})


@settings(FUZZ, max_examples=150)
@given(_SHAPED)
def test_every_documented_shape_evaluates_without_check_errors(data: dict[str, Any]) -> None:
    data = json.loads(json.dumps(data))
    snap = Snapshot.from_dict(data, "shaped.json")  # the generator follows the model: always accepted
    assert _run_all_checks(snap) == []


def test_real_snapshots_pass_validation(tmp_path: Path) -> None:
    from secaudit.facts import collect
    from secaudit.transport.local import LocalTransport, RootTransport
    from tests.conftest import write_tree
    from tests.integration.test_planted_root import PLANTED

    for transport in (LocalTransport(), RootTransport(str(write_tree(tmp_path / "root", dict(PLANTED))))):
        data = json.loads(json.dumps(collect(transport, AgentConfig()).to_dict()))
        Snapshot.from_dict(data, "real.json")


# -- state files --------------------------------------------------------------------------------------

CORRUPT_STATES = [
    ("{", "invalid JSON at line 1"),
    ("[1, 2]", "not a JSON object"),
    ('{"agent_id": "a", "sequence": "12"}', "'sequence' must be a non-negative integer"),
    ('{"agent_id": "a", "sequence": -1}', "'sequence'"),
    ('{"agent_id": ["a"], "sequence": 3}', "'agent_id' must be a string"),
    ('{"agent_id": "a", "sequence": 1e400}', "'sequence'"),
    (DEEP_JSON, "nested too deeply"),
    ('{"agent_id": "a", "sequence": ' + "9" * 5000 + "}", "a number is too long"),
]


@pytest.mark.integration
@pytest.mark.parametrize("text, needle", CORRUPT_STATES, ids=[c[1][:30] for c in CORRUPT_STATES])
def test_corrupt_agent_state_stops_the_run_and_is_kept(tmp_path: Path, good_snapshot: Path, text: str,
                                                       needle: str) -> None:
    state = tmp_path / "state" / "state.json"
    state.parent.mkdir()
    state.write_text(text, encoding="utf-8")
    err = one_sentence(run("evaluate", "--facts", str(good_snapshot), tmp=tmp_path), str(state), needle)
    assert "left untouched" in err
    assert state.read_text(encoding="utf-8") == text  # nothing lost: the sequence cannot be guessed


@pytest.mark.integration
@pytest.mark.parametrize("text", ["{", '{"devices": []}', '{"devices": {"mac:x": "seen"}}',
                                  '{"devices": {"mac:x": {"first_seen": 5}}}', DEEP_JSON])
def test_corrupt_devices_state_stops_the_scan_and_is_kept(tmp_path: Path, text: str) -> None:
    state = tmp_path / "state" / "devices.json"
    state.parent.mkdir()
    state.write_text(text, encoding="utf-8")
    err = one_sentence(run("scan", "10.99.0.0/30", "--no-names", tmp=tmp_path), str(state), "left untouched")
    assert "State file" in err and state.read_text(encoding="utf-8") == text


@pytest.mark.parametrize("text", [
    "{", DEEP_JSON, json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"throughput": "fast"}}}),
    json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"files": {"a.tar": {"verified_at": "x"}}}}}),
    json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"restic": {"errors": [{"file": "a"}]}}}}),
    json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"drill": {"files_restored": "3"}}}}),
    json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"offsite": {"count": [1]}}}}),
    json.dumps({"schema": backup_state.SCHEMA, "sets": {"db": {"last_run": {"bytes_verified": None}}}}),
])
def test_corrupt_backup_state_is_set_aside_whole(tmp_path: Path, text: str) -> None:
    path = tmp_path / backup_state.FILENAME
    path.write_text(text, encoding="utf-8")
    data, warning = backup_state.load(path)
    assert data == backup_state.empty() and warning and "kept as" in warning
    (aside,) = tmp_path.glob(backup_state.FILENAME + ".corrupt-*")
    assert aside.read_text(encoding="utf-8") == text and not path.exists()


@pytest.mark.parametrize("kind", ["fifo", "directory", "giant"])
def test_backup_state_that_is_not_a_usable_file_is_set_aside(tmp_path: Path, kind: str) -> None:
    path = tmp_path / backup_state.FILENAME
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        with open(path, "wb") as fh:
            fh.truncate(64 << 20)
    data, warning = backup_state.load(path)
    assert data == backup_state.empty() and warning and not path.exists()
    assert len(list(tmp_path.glob(backup_state.FILENAME + ".corrupt-*"))) == 1


def test_backup_state_that_cannot_be_set_aside_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / backup_state.FILENAME
    path.write_text("{", encoding="utf-8")

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("secaudit.backup.state.os.replace", refuse)
    with pytest.raises(OSError) as info:
        backup_state.load(path)
    assert "left untouched" in str(info.value.strerror) and path.read_text(encoding="utf-8") == "{"


def test_a_real_backup_state_round_trips(tmp_path: Path) -> None:
    path = tmp_path / backup_state.FILENAME
    state = backup_state.empty()
    entry = backup_state.set_entry(state, "db")
    entry.update({"kind": "files", "path": "/b", "throughput": 5, "fully_verified_at": 1, "errors_count": 0,
                  "errors": [{"file": "a", "problem": "corrupt", "detail": "x"}],
                  "files": {"a": {"size": 1, "mtime": 2, "verified_at": 3, "problems": [], "decoded": True}},
                  "restic": {"next": 1, "slices": 4, "cycle_started": None, "slice_errors": {"1": []}},
                  "drill": None, "offsite": None, "last_run": {"at": 1, "method": "m", "notes": []}})
    backup_state.save(path, state)
    assert backup_state.load(path) == (state, None)


# -- hosts files, known-devices CSV, agent reports ----------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("name, text, needle", [
    ("hosts.toml", DEEP_TOML, "nested too deeply"),
    ("hosts.toml", DEEP_TABLES, "nested too deeply"),
    ("hosts.toml", "[[host]]\naddress = 5\n", "address must be a non-empty string"),
    ("hosts.toml", "[[host]]\naddress = '10.0.0.1'\nport = '22'\n", "must be an integer"),
    ("hosts.txt", "audit@10.0.0.1 sudo=maybe\n", "must be yes or no"),
    ("hosts.txt", b"audit@10.0.0.1\n\xff\n", "line 2 is not UTF-8"),
])
def test_bad_hosts_file(tmp_path: Path, name: str, text: str | bytes, needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    one_sentence(run("audit", "--hosts", str(path), "--no-sign", tmp=tmp_path), str(path), needle)


@pytest.mark.integration
@pytest.mark.parametrize("text, needle", [
    (DEEP_JSON, "nested too deeply"),
    (json.dumps({"payload": "e30=", "payloadType": "x", "signatures": []}), "is not a secaudit report"),
    (json.dumps({"payload": base64.b64encode(DEEP_JSON.encode()).decode(), "payloadType": "x"}),
     "nested too deeply"),
    (json.dumps({"schema": "secaudit.report/v1", "mode": "local",
                 "inventory": {"listening_ports": [{"port": "22"}]}}), "inventory.listening_ports[0].port"),
])
def test_bad_agent_report(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "report.json"
    path.write_text(text, encoding="utf-8")
    one_sentence(run("scan", "10.99.0.0/30", "--dry-run", "--agent-report", str(path), tmp=tmp_path),
                 str(path), needle)


def test_agent_report_of_odd_shapes_is_a_row_or_a_sentence(tmp_path: Path) -> None:
    from secaudit.network import agents

    odd = [{"inventory": []}, {"inventory": {"interfaces": "eth0"}}, {"inventory": {"interfaces": [{"ipv4": 5}]}},
           {"host": "pc"}, {"findings": {"a": 1}}, {"inventory": {"listening_ports": [1, None, {"port": None}]}}]
    for i, extra in enumerate(odd):
        path = tmp_path / f"r{i}.json"
        path.write_text(json.dumps({"schema": "secaudit.report/v1", **extra}), encoding="utf-8")
        row = agents.load(str(path))
        assert shapes.check(row, AgentReportRow) is None, extra


@pytest.mark.integration
def test_oversized_known_devices_file(tmp_path: Path) -> None:
    path = tmp_path / "known.csv"
    with open(path, "wb") as fh:
        fh.truncate(64 << 20)
    one_sentence(run("scan", "10.99.0.0/30", "--dry-run", "--known", str(path), tmp=tmp_path), str(path),
                 "larger than the 4 MiB limit")
