"""API errors: `{"error": {"code": "<machine code>", "message": {"vi": "...", "en": "..."}}}` with a status."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """Raised anywhere under a request; the app turns it into the JSON error body."""

    def __init__(self, status: int, code: str, vi: str, en: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.status, self.code, self.vi, self.en = status, code, vi, en
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.vi, self.en)


def error_body(code: str, vi: str, en: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": {"vi": vi, "en": en}}}


def not_found(what_vi: str = "Không tìm thấy.", what_en: str = "Not found.") -> ApiError:
    return ApiError(404, "not_found", what_vi, what_en)
