"""SARIF 2.1.0 and CSV exports of findings."""

from __future__ import annotations

import copy
import csv
import io
import json
from typing import Any

import jsonschema
import pytest

from secaudit.report.formats import csv as csvout
from secaudit.report.formats import sarif
from secaudit.report.render import render, render_unit
from secaudit.report.sample import sample_report

# The parts of the OASIS SARIF 2.1.0 schema (sarif-schema-2.1.0.json) that secaudit writes, with the
# same property names, enums, required members and additionalProperties: false as the full schema.
_BAG = {"type": "object", "properties": {"tags": {"type": "array", "uniqueItems": True, "items": {"type": "string"}}}}
_MFS = {"type": "object", "additionalProperties": False, "required": ["text"],
        "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}, "properties": _BAG}}
_MESSAGE = {"type": "object", "additionalProperties": False,
            "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
            "properties": {"text": {"type": "string"}, "markdown": {"type": "string"}, "id": {"type": "string"},
                           "arguments": {"type": "array", "items": {"type": "string"}}, "properties": _BAG}}
_LEVEL = {"enum": ["none", "note", "warning", "error"]}
SARIF_SUBSET: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string"}, "version": {"enum": ["2.1.0"]}, "properties": _BAG,
        "runs": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "additionalProperties": False, "required": ["driver"], "properties": {
                    "driver": {"type": "object", "additionalProperties": False, "required": ["name"], "properties": {
                        "name": {"type": "string"}, "version": {"type": "string"},
                        "informationUri": {"type": "string"}, "properties": _BAG,
                        "rules": {"type": "array", "uniqueItems": True, "items": {
                            "type": "object", "additionalProperties": False, "required": ["id"], "properties": {
                                "id": {"type": "string"}, "name": {"type": "string"},
                                "shortDescription": _MFS, "fullDescription": _MFS, "help": _MFS,
                                "helpUri": {"type": "string"}, "properties": _BAG,
                                "defaultConfiguration": {"type": "object", "additionalProperties": False,
                                                         "properties": {"level": _LEVEL, "enabled": {"type": "boolean"},
                                                                        "properties": _BAG}}}}}}}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["executionSuccessful"],
                    "properties": {"executionSuccessful": {"type": "boolean"},
                                   "endTimeUtc": {"type": "string", "format": "date-time"}, "properties": _BAG}}},
                "language": {"type": "string", "pattern": "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$"},
                "automationDetails": {"type": "object", "additionalProperties": False,
                                      "properties": {"id": {"type": "string"}, "description": _MESSAGE,
                                                     "properties": _BAG}},
                "properties": _BAG,
                "results": {"type": "array", "items": {
                    "type": "object", "additionalProperties": False, "required": ["message"], "properties": {
                        "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
                        "kind": {"enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
                        "level": _LEVEL, "message": _MESSAGE, "properties": _BAG,
                        "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
                        "locations": {"type": "array", "items": {
                            "type": "object", "additionalProperties": False, "properties": {
                                "logicalLocations": {"type": "array", "uniqueItems": True, "items": {
                                    "type": "object", "additionalProperties": False, "properties": {
                                        "name": {"type": "string"}, "fullyQualifiedName": {"type": "string"},
                                        "decoratedName": {"type": "string"}, "kind": {"type": "string"},
                                        "index": {"type": "integer", "minimum": -1},
                                        "parentIndex": {"type": "integer", "minimum": -1}, "properties": _BAG}}},
                                "message": _MESSAGE, "properties": _BAG}}}}}}}}}},
}


def _sarif(report: dict[str, Any], lang: str = "vi") -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(render(report, "sarif", lang))
    return doc


def test_sarif_matches_the_schema_and_maps_levels() -> None:
    report = sample_report(120)
    doc = _sarif(report)
    jsonschema.validate(doc, SARIF_SUBSET)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    assert run["tool"]["driver"]["name"] == "secaudit" and run["language"] == "vi-VN"
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(dict.fromkeys(f["check_id"] for f in report["findings"]))
    by_id = {f["check_id"]: f for f in report["findings"]}
    for rule in rules:
        f = by_id[rule["id"]]
        assert rule["shortDescription"]["text"] == f["title"]["vi"]
        assert rule["help"]["text"] == f["remediation"]["vi"]
        assert rule["properties"]["severity"] == f["severity"]
    exported = [f for f in report["findings"] if f["status"] in ("fail", "warn", "error", "unknown")]
    assert len(run["results"]) == len(exported)
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "info": "note"}
    for result in run["results"]:
        f = by_id[result["ruleId"]]
        assert rules[result["ruleIndex"]]["id"] == f["check_id"]
        assert result["message"]["text"] == f["message"]["vi"]
        assert result["properties"]["status"] == f["status"]
        assert result["locations"][0]["logicalLocations"][0]["name"] == "PC-PHONGMAY-01"
        if f["status"] == "fail":
            assert (result["kind"], result["level"]) == ("fail", levels[f["severity"]])
        elif f["status"] == "warn":
            assert result["kind"] == "fail" and result["level"] in ("warning", "note")
        else:  # SARIF: a level other than none only for kind fail
            assert (result["kind"], result["level"]) == ("review", "none")
    everything = json.loads(sarif.render([report], "en", include_all=True))["runs"][0]["results"]
    kinds = {by_id[r["ruleId"]]["status"]: r["kind"] for r in everything}
    assert kinds["pass"] == "pass" and kinds["not_applicable"] == "notApplicable"


def test_sarif_fingerprints_are_stable() -> None:
    report = sample_report(40)
    first = {r["ruleId"]: r["partialFingerprints"]["secauditFinding/v1"] for r in _sarif(report)["runs"][0]["results"]}
    later = copy.deepcopy(report)
    later["generated_at"] = "2026-07-01T00:00:00Z"
    for f in later["findings"]:  # a later run: new times, ages and pids, same things found
        for key in ("signature_time", "days_since_update", "pid"):
            if key in f["evidence"]:
                f["evidence"][key] = 12345 if key != "signature_time" else "2026-06-30T00:00:00Z"
        for product in f["evidence"].get("products", []):
            product["signature_time"] = "2026-06-30T00:00:00Z"
    again = {r["ruleId"]: r["partialFingerprints"]["secauditFinding/v1"] for r in _sarif(later)["runs"][0]["results"]}
    assert first == again and len(set(first.values())) == len(first)
    other = sample_report(40, hostname="PC-OTHER")
    moved = {r["ruleId"]: r["partialFingerprints"]["secauditFinding/v1"] for r in _sarif(other)["runs"][0]["results"]}
    assert not set(moved.values()) & set(first.values())
    assert sarif.fingerprint("a.b", "H", {"user": "x"}) != sarif.fingerprint("a.b", "H", {"user": "y"})
    assert sarif.fingerprint("a.b", "H", {"port": 23}) != sarif.fingerprint("a.b", "H", {"port": 21})
    assert sarif.fingerprint("a.b", "H", {"users": ["a", "b"]}) == sarif.fingerprint("a.b", "h", {"users": ["b", "a"]})


def test_sarif_keeps_hostile_data_exact_but_escapes_invisible_characters() -> None:
    hostile = "evil\u202etxt.exe <script>"
    raw = render(sample_report(14, hostile=hostile), "sarif", "vi")
    assert "\u202e".encode() not in raw and b"\\u202e" in raw
    doc = json.loads(raw)
    jsonschema.validate(doc, SARIF_SUBSET)
    assert doc["runs"][0]["results"][0]["locations"][0]["logicalLocations"][0]["name"] == hostile


def test_sarif_unit_has_one_run_per_host() -> None:
    doc = json.loads(render_unit([sample_report(8, hostname="A"), sample_report(8, hostname="B")], "sarif", "en"))
    jsonschema.validate(doc, SARIF_SUBSET)
    assert [r["properties"]["host"]["hostname"] for r in doc["runs"]] == ["A", "B"]
    assert doc["runs"][0]["language"] == "en-US"


def _rows(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline=""), delimiter=delimiter))


def test_csv_rows_bom_and_quoting() -> None:
    report = sample_report(30)
    data = render(report, "csv", "vi")
    rows = _rows(data)
    assert rows[0] == list(csvout.COLUMNS)
    assert len(rows) == 1 + len(report["findings"])
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    first = dict(zip(rows[0], rows[1], strict=True))
    f = report["findings"][0]
    assert first["host"] == "PC-PHONGMAY-01" and first["check_id"] == f["check_id"]
    assert first["title"] == f["title"]["vi"] and first["remediation"] == f["remediation"]["vi"]
    assert json.loads(first["evidence"]) == f["evidence"]
    assert first["requirements"] == "; ".join(f["requirements"])
    semicolon = _rows(csvout.render([report], "vi", delimiter=";"), ";")
    assert semicolon[1] == rows[1]


@pytest.mark.parametrize("value", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "\nx"])
def test_csv_cells_cannot_be_formulas(value: str) -> None:
    assert csvout.cell(value).startswith("'")
    report = sample_report(8, hostile=value)
    rows = _rows(render(report, "csv", "vi"))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), cell
    assert any(cell == csvout.cell(value) for row in rows[1:] for cell in row)


def test_csv_hostile_text_stays_in_its_cell() -> None:
    hostile = 'a,b"c\nd\u202ee'
    rows = _rows(render(sample_report(8, hostile=hostile), "csv", "vi"))
    assert {len(r) for r in rows} == {len(csvout.COLUMNS)}
    assert rows[1][0] == 'a,b"c\nd[U+202E]e'
