"""Attestations: playbook questions, the answers file, the store in the state dir, expiry with the cadence,
the report section and the requirement status (attested yes/no, never pass), and every rendering."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jsonschema
import pytest

from secaudit import playbook as pb
from secaudit.config import AgentConfig
from secaudit.errors import PlaybookError, SecauditError
from secaudit.pipeline import check_catalog
from secaudit.report import attestations as att
from secaudit.report.builder import build, score
from secaudit.report.formats import FORMATS, RenderOptions
from secaudit.resources import data_file
from tests.conftest import facts_of

CATALOG = check_catalog()
NOW = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
HEAD = 'schema: secaudit.playbook/v1\nid: t\nversion: "1"\ntitle: {vi: "Thử", en: Test}\n'
SCHEMA = json.loads(data_file("report.schema.json").read_text(encoding="utf-8"))


def _book(tmp_path: Path, body: str, name: str = "t.yaml") -> pb.Playbook:
    path = tmp_path / name
    path.write_text(HEAD + body, encoding="utf-8")
    return pb.load(str(path), CATALOG)


REQS = """requirements:
  VN-GOV-02:
    title: {vi: "Có cán bộ đầu mối", en: "A focal person"}
  VN-ACC-04:
    title: {vi: "Không mật khẩu rỗng", en: "No empty passwords"}
    checks: [accounts.empty_passwords]
attestations:
  - id: gov.officer
    requirements: [VN-GOV-02]
    question: {vi: "Đã phân công cán bộ đầu mối?", en: "Is a focal person named?"}
    evidence: {vi: "Quyết định phân công", en: "The appointment decision"}
  - id: acc.declared
    requirements: [VN-ACC-04]
    question: {vi: "Đã rà soát mật khẩu?", en: "Were passwords reviewed?"}
"""


# -- the playbook ---------------------------------------------------------------------------------


def test_attestations_attach_to_their_requirements(tmp_path: Path) -> None:
    book = _book(tmp_path, REQS)
    assert book.requirements["VN-GOV-02"].checks == []
    assert book.requirements["VN-GOV-02"].attestations == ["gov.officer"]
    assert book.requirements["VN-ACC-04"].attestations == ["acc.declared"]
    assert [a.id for a in book.evaluated_attestations()] == ["gov.officer", "acc.declared"]
    assert book.attestations["gov.officer"].evidence["en"] == "The appointment decision"


@pytest.mark.parametrize(("body", "field"), [
    ("requirements:\n  VN-GOV-02:\n    title: {vi: a, en: b}\n", "requirements.VN-GOV-02"),
    (REQS.replace("[VN-GOV-02]", "[VN-XYZ-99]"), "attestations[0].requirements[0]"),
    (REQS.replace("id: acc.declared", "id: gov.officer"), "attestations[1].id"),
    (REQS.replace("id: acc.declared", "id: Bad Id"), "attestations[1].id"),
    (REQS.replace("    evidence: {vi", "    colour: red\n    evidence: {vi"), "attestations[0].colour"),
    (REQS.replace('question: {vi: "Đã phân công cán bộ đầu mối?", en: "Is a focal person named?"}',
                  'question: {vi: "Chỉ tiếng Việt"}'), "attestations[0].question"),
])
def test_bad_attestations_name_file_line_and_field(tmp_path: Path, body: str, field: str) -> None:
    with pytest.raises(PlaybookError) as info:
        _book(tmp_path, body)
    assert f"field '{field}" in info.value.en and "t.yaml:" in info.value.en


def test_shipped_plans_attest_what_no_machine_checks() -> None:
    book = pb.load("dong-nai-2026", CATALOG)
    cited = {r.id: r for r in book.evaluated_requirements()}
    for rid in ("VN-GOV-02", "VN-GOV-04", "VN-GOV-05", "VN-PDP-03", "VN-RPT-01", "VN-SIG-01"):
        assert cited[rid].attestations, rid
    for att_ in book.evaluated_attestations():
        assert att_.question["vi"] != att_.question["en"]
        import unicodedata
        assert unicodedata.is_normalized("NFC", att_.question["vi"])


# -- answers file, store, expiry ------------------------------------------------------------------


def test_answers_file_toml_and_yaml(tmp_path: Path) -> None:
    book = _book(tmp_path, REQS)
    toml = tmp_path / "a.toml"
    toml.write_text('answered_by = "Nguyễn Văn A, Phó Hiệu trưởng"\n[answers]\n'
                    '"gov.officer" = { answer = "có", document = "QĐ 15/QĐ-THCS ngày 02/9/2026" }\n'
                    '"acc.declared" = false\n', encoding="utf-8")
    answers = att.read_answers_file(str(toml), book, NOW)
    assert answers["gov.officer"] == {"answer": "yes", "answered_by": "Nguyễn Văn A, Phó Hiệu trưởng",
                                      "answered_at": "2026-12-05T08:00:00Z",
                                      "document": "QĐ 15/QĐ-THCS ngày 02/9/2026", "playbook": "t"}
    assert answers["acc.declared"]["answer"] == "no"
    yml = tmp_path / "a.yaml"
    yml.write_text("answers:\n  gov.officer: {answer: yes, answered_by: Cô Bình}\n", encoding="utf-8")
    assert att.read_answers_file(str(yml), book, NOW)["gov.officer"]["answered_by"] == "Cô Bình"


@pytest.mark.parametrize(("text", "words"), [
    ('[answers]\n"gov.officer" = "yes"\n', "answered_by"),
    ('answered_by = "A"\n[answers]\n"gov.nothing" = "yes"\n', "gov.nothing"),
    ('answered_by = "A"\n[answers]\n"gov.officer" = "maybe"\n', "yes/no"),
    ('answered_by = "A"\ncolour = 1\n[answers]\n"gov.officer" = "yes"\n', "colour"),
    ('answered_by = "A"\n', "answers"),
    ('answered_by = "A"\n[answers\n', "TOML"),
])
def test_answers_file_errors_are_one_sentence(tmp_path: Path, text: str, words: str) -> None:
    book = _book(tmp_path, REQS)
    path = tmp_path / "a.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SecauditError) as info:
        att.read_answers_file(str(path), book, NOW)
    assert words in info.value.en and "\n" not in info.value.en and info.value.en.endswith(".")


def test_store_round_trip_merge_and_damage(tmp_path: Path) -> None:
    config = AgentConfig(state_dir=str(tmp_path / "st"))
    assert att.load_answers(config) == {}
    one = {"answer": "yes", "answered_by": "A", "answered_at": "2026-12-05T08:00:00Z", "document": "", "playbook": "t"}
    path = att.save_answers(config, {"gov.officer": one})
    assert (path.stat().st_mode & 0o777) == 0o600
    att.save_answers(config, {"acc.declared": dict(one, answer="no")})
    stored = att.load_answers(config)
    assert set(stored) == {"gov.officer", "acc.declared"} and stored["acc.declared"]["answer"] == "no"
    path.write_text('{"schema": "secaudit.attestations/v1", "answers": {"x": {"answer": "perhaps"}}}')
    with pytest.raises(SecauditError):
        att.load_answers(config)
    with pytest.raises(SecauditError):
        att.save_answers(config, {"gov.officer": one})  # a damaged store is never written over
    assert "perhaps" in path.read_text()


@pytest.mark.parametrize(("kind", "days"), [("annual", 365), ("quarterly", 92), ("monthly", 31),
                                            ("school_year", 365), (None, 365)])
def test_answers_expire_after_one_period_of_the_cadence(kind: str | None, days: int) -> None:
    cadence = {"kind": kind, "due": []} if kind else {}
    assert att.expires_at(cadence, NOW) == NOW + timedelta(days=days)


def test_evaluate_statuses_and_requirement_status(tmp_path: Path) -> None:
    book = _book(tmp_path, REQS + 'cadence: {kind: quarterly, due: ["03-25"]}\n')
    fresh = {"answer": "yes", "answered_by": "A", "answered_at": "2026-11-01T00:00:00Z", "document": "QĐ 1",
             "playbook": "t"}
    old = dict(fresh, answered_at="2026-06-01T00:00:00Z")
    rows = {r["id"]: r for r in att.evaluate(book, {"gov.officer": fresh, "acc.declared": old}, NOW)}
    assert rows["gov.officer"]["status"] == "attested" and rows["gov.officer"]["expires_at"] == "2027-02-01T00:00:00Z"
    assert rows["acc.declared"]["status"] == "expired" and rows["acc.declared"]["answer"] == "yes"
    assert att.requirement_status([rows["gov.officer"]]) == "attested"
    assert att.requirement_status([rows["acc.declared"]]) == "unknown"
    said_no = att.evaluate(book, {"gov.officer": dict(fresh, answer="no")}, NOW)
    assert att.requirement_status([said_no[0]]) == "fail"
    assert att.requirement_status([said_no[1]]) == "unknown"  # never answered


# -- into the report --------------------------------------------------------------------------------


@pytest.fixture
def answered_report(tmp_path: Path, make_root) -> dict:
    book = _book(tmp_path, REQS + "clauses:\n  - clause: \"1\"\n    text: {vi: a, en: b}\n"
                 "    requirements: [VN-GOV-02, VN-ACC-04]\n")
    config = AgentConfig(state_dir=str(tmp_path / "st"))
    att.save_answers(config, {"gov.officer": {"answer": "yes", "answered_by": "Cô Bình",
                                              "answered_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                              "document": "QĐ 15/QĐ-THCS", "playbook": "t"}})
    root = make_root({"etc/os-release": "ID=debian\nVERSION_ID=12\n", "etc/passwd": "root:x:0:0::/root:/bin/bash\n",
                      "etc/shadow": ("root:!:20000:0:99999:7:::\n", 0o640)})
    return build(facts_of(root), book, config, "agent-1", 1)


def test_report_carries_attestations_apart_and_never_as_pass(answered_report: dict) -> None:
    report = answered_report
    reqs = {r["id"]: r for r in report["requirements"]}
    assert reqs["VN-GOV-02"]["status"] == "attested" and reqs["VN-GOV-02"]["checks"] == []
    assert reqs["VN-GOV-02"]["attestations"] == ["gov.officer"]
    assert reqs["VN-ACC-04"]["status"] in ("unknown", "fail")  # its attestation was never answered
    assert {a["id"]: a["status"] for a in report["attestations"]} == {"gov.officer": "attested",
                                                                       "acc.declared": "unanswered"}
    assert all(f["check_id"] != "gov.officer" for f in report["findings"])
    assert report["summary"]["attested"] == 1
    jsonschema.validate(report, SCHEMA)


def test_score_leaves_attested_out() -> None:
    assert score({"pass": 1, "warn": 0, "fail": 1, "unknown": 0, "not_applicable": 0, "error": 0, "attested": 5}) == 50


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_rendering_shows_the_attestations(answered_report: dict, fmt: str) -> None:
    if fmt == "pdf":
        pytest.importorskip("weasyprint")
    try:
        data = FORMATS[fmt].render(answered_report, RenderOptions(lang="vi"))
    except SecauditError as exc:  # no Pango here
        pytest.skip(str(exc))
    if fmt == "pdf":
        assert data.startswith(b"%PDF")
        return
    text = data.decode("utf-8")
    if fmt == "sarif":
        run = json.loads(text)["runs"][0]
        assert [a["id"] for a in run["properties"]["attestations"]] == ["gov.officer", "acc.declared"]
        assert all(r["ruleId"] != "gov.officer" for r in run["results"])
        return
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        mine = [r for r in rows if r[1].startswith("attestation:")]
        assert [r[1] for r in mine] == ["attestation:gov.officer", "attestation:acc.declared"]
        assert mine[0][2] == "attested" and "Cô Bình" in mine[0][6]
        return
    assert "Đã phân công cán bộ đầu mối?" in text
    if fmt != "json":
        assert "Tự xác nhận của đơn vị" in text and "Cô Bình" in text and "Chưa trả lời" in text


@pytest.mark.parametrize("fmt", ["html", "md", "text", "pdf"])
def test_unit_renderings_show_each_hosts_attestations(answered_report: dict, fmt: str) -> None:
    if fmt == "pdf":
        pytest.importorskip("weasyprint")
    try:
        data = FORMATS[fmt].render_unit([answered_report, answered_report], RenderOptions(lang="en"))
    except SecauditError as exc:
        pytest.skip(str(exc))
    if fmt == "pdf":
        assert data.startswith(b"%PDF")
        return
    text = data.decode("utf-8")
    assert text.count("Is a focal person named?") >= 2
    assert "attestations (not checked by the machine)" in text
