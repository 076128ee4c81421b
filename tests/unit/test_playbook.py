"""Shipped playbooks load and match their plans; broken playbooks fail with file, line and field."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import pytest

from secaudit import playbook as pb
from secaudit.checks import load_checks
from secaudit.errors import PlaybookError
from secaudit.pipeline import check_catalog

CATALOG = check_catalog()

# The plans live beside the repository: /work/main/tests/unit/this.py -> /work/shared/plans.
PLANS_DIR = Path(os.environ.get("SECAUDIT_PLANS_DIR") or Path(__file__).resolve().parents[3] / "shared" / "plans")

PLANS = {
    "dong-nai-2026": {"file": "000_5c0ff255777d975e.txt", "kind": "annual", "due": ["06-15"],
                      "clauses": {"I.2.5", "II.3.a", "II.7.a", "I.2.1", "II.6.a", "II.6.c", "II.7.b", "II.7.c",
                                  "V.8", "V.10"}},
    "dak-lak-2026": {"file": "001_ebd338b04379ccd4.txt", "kind": "quarterly",
                     "due": ["03-25", "06-25", "09-25", "12-25"],
                     "clauses": {"I", "III.5.2", "III.6.1", "III.9.1", "III.9.2", "III.2", "III.3", "III.8.2",
                                 "III.9.1 (hồ sơ cấp độ)", "III.9.2 (dữ liệu cá nhân)", "III.9.3", "V"}},
    "bien-hoa-2024-2025": {"file": "004_5cc395f2d5004818.txt", "kind": "school_year",
                           "due": ["2024-10-10", "2024-12-14", "2025-05-30"],
                           "clauses": {"II.1.đ", "II.1.g", "III.9", "IV.4", "IV.5", "III.6", "III.7", "IV.1", "IV.3",
                                       "IV.6", "III.1", "V.3"}},
}


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _shipped() -> dict[str, pb.Playbook]:
    return {book.id: book for book in (pb.load(path, CATALOG) for path in pb.list_shipped())}


# -- shipped playbooks --------------------------------------------------------------------------


def test_shipped_playbooks_are_the_three_plans_baseline_and_network():
    assert set(_shipped()) == {"baseline", "network", *PLANS}


@pytest.mark.parametrize("path", pb.list_shipped(), ids=lambda p: p.stem)
def test_shipped_playbook_loads_and_every_requirement_has_known_checks(path):
    book = pb.load(path, CATALOG)
    assert book.id == path.stem
    registry = load_checks()
    assert book.requirements
    for rid, req in book.requirements.items():
        assert req.checks or req.attestations, rid
        assert all(cid in registry for cid in req.checks), rid
        assert req.title["vi"] != req.title["en"], rid
        assert req.basis, rid
    for cid, values in book.params.items():
        assert set(values) <= set(registry[cid].meta.params), cid


@pytest.mark.parametrize("path", pb.list_shipped(), ids=lambda p: p.stem)
def test_shipped_playbook_text_is_nfc(path):
    text = path.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)


@pytest.mark.parametrize("pid", sorted(PLANS))
def test_plan_playbook_metadata(pid):
    book = pb.load(pid, CATALOG)
    expected = PLANS[pid]
    assert book.rule_pack == "vn-2022"
    assert book.document["file"] == expected["file"]
    assert book.document["issuer"] and book.document["title"]
    assert book.cadence["kind"] == expected["kind"]
    assert book.cadence["due"] == expected["due"]
    assert book.cadence["text"]["vi"] and book.cadence["text"]["en"]
    assert {c.clause for c in book.clauses} == expected["clauses"]


@pytest.mark.parametrize("pid", sorted(PLANS))
def test_plan_cites_only_baseline_requirements_and_all_of_them(pid):
    book = pb.load(pid, CATALOG)
    baseline = pb.load("baseline", CATALOG)
    cited = [r.id for r in book.evaluated_requirements()]
    assert len(cited) == len(set(cited))
    # every machine-checkable requirement is demanded by each plan (directly or "theo quy định"); the
    # attested ones (no check) where the plan asks for them
    checked = {rid for rid, req in baseline.requirements.items() if req.checks}
    assert checked <= set(cited) <= set(baseline.requirements)
    for req in book.evaluated_requirements():
        assert req.clauses and set(req.clauses) <= PLANS[pid]["clauses"], req.id


def test_document_numbers_as_printed():
    assert pb.load("dong-nai-2026", CATALOG).document["number"] == "/KH-SGDĐT"
    assert pb.load("bien-hoa-2024-2025", CATALOG).document["number"] == "/KH-PGDĐT"
    assert "number" not in pb.load("dak-lak-2026", CATALOG).document  # the plan prints none


def test_plan_thresholds_pinned_from_the_catalog():
    for pid in PLANS:
        params = pb.load(pid, CATALOG).params
        assert params["accounts.inactive"]["max_days"] == 45
        assert params["accounts.password_max_age"]["admin_max_days"] == 60
        assert params["system.updates_current"]["max_age_days"] == 31


def _plan_text(name: str) -> str:
    if not PLANS_DIR.is_dir():
        pytest.skip(f"plan texts not found at {PLANS_DIR} (set SECAUDIT_PLANS_DIR)")
    return _norm((PLANS_DIR / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("pid", sorted(PLANS))
def test_clause_quotes_are_verbatim_in_the_plan(pid):
    book = pb.load(pid, CATALOG)
    plan = _plan_text(book.document["file"])
    for clause in book.clauses:
        quote = clause.text["vi"]
        assert unicodedata.is_normalized("NFC", quote), clause.clause
        assert _norm(quote) in plan, f"{pid} {clause.clause}: quote not found in the plan"


def test_quote_check_catches_an_altered_quote():
    plan = _plan_text(PLANS["dong-nai-2026"]["file"])
    quote = pb.load("dong-nai-2026", CATALOG).clauses[0].text["vi"]
    assert _norm(quote) in plan
    assert _norm(quote.replace("phân quyền", "phân loại")) not in plan


# -- errors name file, line and field -----------------------------------------------------------

HEAD = 'schema: secaudit.playbook/v1\nid: t\nversion: "1"\ntitle: {vi: "Thử", en: Test}\n'
REQ = (
    "requirements:\n"
    "  VN-T-01:\n"
    "    title: {vi: Quyền tệp, en: File modes}\n"
    "    checks:\n"
    "      - files.sensitive_modes\n"
)


def _error(tmp_path: Path, text: str | bytes, name: str = "t.yaml") -> PlaybookError:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(PlaybookError) as info:
        pb.load(path, CATALOG)
    err = info.value
    for message in (err.vi, err.en):
        assert "\n" not in message
        assert message.startswith(f"{path}:")
    return err


def _loc(err: PlaybookError) -> tuple[int, str]:
    match = re.match(r"^.*?:(\d+): (?:field '([^']*)': )?", err.en)
    assert match, err.en
    return int(match.group(1)), match.group(2) or ""


def test_valid_minimal_playbook_loads(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + REQ, encoding="utf-8")
    book = pb.load(path, CATALOG)
    assert [r.id for r in book.evaluated_requirements()] == ["VN-T-01"]


def test_invalid_yaml_syntax(tmp_path):
    err = _error(tmp_path, HEAD + "requirements:\n  VN-T-01: {title: [unclosed\n")
    assert _loc(err)[0] in (6, 7)
    assert "invalid YAML" in err.en and "YAML không hợp lệ" in err.vi


def test_unknown_top_level_key(tmp_path):
    err = _error(tmp_path, HEAD + "clauzes: []\n")
    assert _loc(err) == (5, "clauzes")
    assert "unknown key" in err.en


def test_missing_vi_text(tmp_path):
    err = _error(tmp_path, HEAD + REQ.replace("{vi: Quyền tệp, en: File modes}", "{en: File modes}"))
    assert _loc(err) == (7, "requirements.VN-T-01.title")
    assert "'vi'" in err.en and "'vi'" in err.vi


def test_blank_vi_text(tmp_path):
    err = _error(tmp_path, HEAD.replace('vi: "Thử"', 'vi: "  "'))
    assert _loc(err) == (4, "title.vi")


def test_unknown_check_id_names_the_list_item_line(tmp_path):
    text = HEAD + REQ + "      - files.no_such_check\n"
    err = _error(tmp_path, text)
    assert _loc(err) == (10, "requirements.VN-T-01.checks[1]")
    assert "files.no_such_check" in err.en and "files.no_such_check" in err.vi


def test_check_id_that_is_not_a_string(tmp_path):
    err = _error(tmp_path, HEAD + REQ + "      - {id: files.sensitive_modes}\n")
    assert _loc(err) == (10, "requirements.VN-T-01.checks[1]")


def test_unknown_requirement_in_a_clause(tmp_path):
    text = HEAD + REQ + (
        "clauses:\n"
        "  - clause: I.1\n"
        "    text: {vi: Điều một, en: Clause one}\n"
        "    requirements:\n"
        "      - VN-T-01\n"
        "      - VN-T-99\n"
    )
    err = _error(tmp_path, text)
    assert _loc(err) == (15, "clauses[0].requirements[1]")
    assert "VN-T-99" in err.en


def test_duplicate_key(tmp_path):
    err = _error(tmp_path, HEAD + REQ + "  VN-T-01:\n    title: {vi: a, en: b}\n    checks: [files.sensitive_modes]\n")
    assert _loc(err) == (10, "requirements.VN-T-01")
    assert "duplicate key" in err.en and "lặp" in err.vi


def test_wrong_param_type(tmp_path):
    err = _error(tmp_path, HEAD + "params:\n  files.sensitive_modes:\n    files: /etc/shadow\n")
    assert _loc(err) == (7, "params.files.sensitive_modes.files")
    assert "must be a table (mapping)" in err.en


def test_unknown_param_name(tmp_path):
    err = _error(tmp_path, HEAD + "params:\n  files.sensitive_modes:\n    max_mode: '0600'\n")
    assert _loc(err) == (7, "params.files.sensitive_modes.max_mode")
    assert "no such parameter" in err.en


def test_params_for_an_unknown_check(tmp_path):
    err = _error(tmp_path, HEAD + "params:\n  files.nope:\n    files: {}\n")
    assert _loc(err) == (6, "params.files.nope")


def test_valid_param_override_is_kept(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + REQ + "params:\n  files.sensitive_modes:\n    files:\n"
                    "      /etc/shadow: {max_mode: '0600', owners: [root], groups: [root]}\n", encoding="utf-8")
    book = pb.load(path, CATALOG)
    assert book.params["files.sensitive_modes"]["files"]["/etc/shadow"]["max_mode"] == "0600"


@pytest.mark.parametrize("due, item", [
    ('["06-15", "06-31"]', 1),  # no 31 June
    ('["2025-02-29"]', 0),      # not a leap year
    ('["15/6"]', 0),            # wrong format
    ("[2024-13-45]", 0),        # unquoted: YAML itself tries to build the date
])
def test_bad_cadence_date(tmp_path, due, item):
    err = _error(tmp_path, HEAD + f"cadence:\n  kind: annual\n  due: {due}\n")
    assert _loc(err) == (7, f"cadence.due[{item}]")


def test_good_cadence_dates(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(HEAD + "cadence:\n  kind: dates\n  due: ['02-29', '2024-12-14', 2025-05-30]\n",
                    encoding="utf-8")
    assert pb.load(path, CATALOG).cadence["due"] == ["02-29", "2024-12-14", "2025-05-30"]


def test_bad_cadence_kind(tmp_path):
    err = _error(tmp_path, HEAD + "cadence:\n  kind: weekly\n")
    assert _loc(err) == (6, "cadence.kind")


def test_circular_extends(tmp_path):
    (tmp_path / "b.yaml").write_text(HEAD.replace("id: t", "id: b") + "extends: a\n", encoding="utf-8")
    err = _error(tmp_path, HEAD.replace("id: t", "id: a") + "extends: b\n", name="a.yaml")
    assert _loc(err) == (5, "extends")
    assert "circular" in err.en and "vòng" in err.vi


def test_extends_itself(tmp_path):
    err = _error(tmp_path, HEAD + "extends: t\n")
    assert _loc(err) == (5, "extends")
    assert "circular" in err.en


def test_extends_missing_playbook(tmp_path):
    err = _error(tmp_path, HEAD + "extends: no-such-plan\n")
    assert _loc(err) == (5, "extends")
    assert "no-such-plan" in err.en and "no-such-plan" in err.vi


def test_extends_by_relative_path_resolves_beside_the_file(tmp_path, monkeypatch):
    sub = tmp_path / "books"
    sub.mkdir()
    (sub / "base.yaml").write_text(HEAD.replace("id: t", "id: base") + REQ, encoding="utf-8")
    (sub / "child.yaml").write_text(HEAD.replace("id: t", "id: child") + "extends: ./base.yaml\n",
                                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the playbooks' directory
    assert "VN-T-01" in pb.load(sub / "child.yaml", CATALOG).requirements


def test_extends_inherits_and_errors_in_the_parent_name_the_parent(tmp_path):
    (tmp_path / "base.yaml").write_text(HEAD.replace("id: t", "id: base") + "bogus: 1\n", encoding="utf-8")
    path = tmp_path / "child.yaml"
    path.write_text(HEAD.replace("id: t", "id: child") + "extends: base\n", encoding="utf-8")
    with pytest.raises(PlaybookError) as info:
        pb.load(path, CATALOG)
    assert info.value.en.startswith(f"{tmp_path / 'base.yaml'}:5: field 'bogus'")


def test_non_utf8_file(tmp_path):
    # "Kế hoạch" saved in a legacy single-byte code page
    err = _error(tmp_path, HEAD.encode() + b"description: K\xea ho\xb8ch\n")
    assert _loc(err)[0] == 5
    assert "UTF-8" in err.en and "UTF-8" in err.vi


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file(tmp_path, text):
    err = _error(tmp_path, text)
    assert _loc(err)[0] == 1
    assert "empty" in err.en and "trống" in err.vi


def test_file_that_is_not_a_mapping(tmp_path):
    err = _error(tmp_path, "- a\n- b\n")
    assert "mapping" in err.en


def test_wrong_schema(tmp_path):
    err = _error(tmp_path, HEAD.replace("playbook/v1", "playbook/v9"))
    assert _loc(err) == (1, "schema")


def test_requirement_without_checks(tmp_path):
    err = _error(tmp_path, HEAD + "requirements:\n  VN-T-01:\n    title: {vi: a, en: b}\n    checks: []\n")
    assert _loc(err) == (8, "requirements.VN-T-01.checks")


def test_missing_file():
    with pytest.raises(PlaybookError) as info:
        pb.load("/nonexistent/dir/plan.yaml", CATALOG)
    assert "/nonexistent/dir/plan.yaml" in info.value.en


def test_network_playbook_quotes_are_verbatim_in_their_plans():
    """The network playbook cites clauses of all three plans, tagged ĐN / ĐL / BH."""
    files = {"ĐN": "dong-nai-2026", "ĐL": "dak-lak-2026", "BH": "bien-hoa-2024-2025"}
    book = pb.load("network", CATALOG)
    assert book.clauses
    for clause in book.clauses:
        tag = clause.clause.split(" ", 1)[0]
        plan = _plan_text(pb.load(files[tag], CATALOG).document["file"])
        quote = clause.text["vi"]
        assert unicodedata.is_normalized("NFC", quote), clause.clause
        assert _norm(quote) in plan, f"network {clause.clause}: quote not found in the {files[tag]} plan"
