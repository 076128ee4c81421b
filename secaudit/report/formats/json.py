"""json: the report payload itself (the contract), UTF-8, indented; a unit is a list of payloads."""

from __future__ import annotations

import json
from typing import Any

from secaudit.report.formats.interface import Format, RenderOptions, Report


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


class Json(Format):
    name = "json"
    suffix = ".json"
    description = "báo cáo gốc / the payload"

    def render(self, report: Report, options: RenderOptions) -> bytes:
        return _dump(report)

    def render_unit(self, reports: list[Report], options: RenderOptions) -> bytes:
        return _dump(reports)
