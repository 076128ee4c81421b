"""The agent's HTTP link to the collector (enroll, submit): which URL, checked; one httpx client with
timeouts and TLS verification; bounded reads of answers; the collector's error bodies and transport
failures as one bilingual sentence.

The collector's words (`{"error": {"code", "message": {"vi", "en"}}}`) are untrusted text from the
network: shown NFC, without control or bidi characters, and cut to a line. httpx is imported here,
never on the path of `secaudit audit` without --submit.
"""

from __future__ import annotations

import ipaddress
import json
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from secaudit.errors import SecauditError
from secaudit.safetext import for_terminal

if TYPE_CHECKING:
    import httpx

API = "/api/v1"
ANSWER_CAP = 256 * 1024  # bytes of a collector's answer read (receipts and errors are a few hundred)
CONNECT_TIMEOUT, IO_TIMEOUT = 10.0, 120.0  # seconds; the collector commits before it answers
REASON_CHARS = 300
MEDIA_TYPE = "application/vnd.secaudit.dsse+json"


class CollectorError(SecauditError):
    """The collector cannot be used: no URL, a bad URL, unreachable, or an answer that makes no sense."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            return None


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.", "ip6-localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str) -> str:
    """The collector's base URL, normalised ("https://host[:port][/prefix]", no trailing slash or /api/v1):
    https, or plain http to a loopback address only (reports carry personal data). CollectorError else."""
    text = url.strip()
    shown = for_terminal(text[:200])
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise CollectorError(f"Địa chỉ collector {shown} không hợp lệ; cần dạng https://máy-chủ[:cổng].",
                             f"The collector address {shown} is not valid; it must look like https://host[:port].")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise CollectorError(f"Địa chỉ collector {shown} không được chứa tên đăng nhập, mật khẩu, ? hoặc #.",
                             f"The collector address {shown} must not contain a user name, password, ? or #.")
    if parts.scheme == "http" and not _loopback(parts.hostname):
        raise CollectorError(
            f"Collector {shown} dùng http không mã hóa; chỉ được dùng https (http chỉ cho địa chỉ loopback).",
            f"The collector {shown} uses unencrypted http; use https (plain http is for loopback addresses only).")
    path = parts.path.rstrip("/")
    if path.endswith(API):
        path = path[: -len(API)]
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def resolve_url(given: str | None, configured: str, enrolled: str | None) -> str:
    """--collector, else the config's [collector] url, else the URL the agent enrolled with."""
    for candidate in (given, configured, enrolled):
        if candidate and candidate.strip():
            return check_url(candidate)
    raise CollectorError(
        "Chưa biết địa chỉ collector: hãy dùng --collector URL, đặt [collector] url trong cấu hình "
        "hoặc chạy `secaudit enroll URL --token T`.",
        "The collector address is not known: give --collector URL, set [collector] url in the config "
        "or run `secaudit enroll URL --token T`.")


def check_proxy(proxy: str) -> str:
    """The school's web proxy ([collector] proxy): http://host:port or https://host:port, with a user
    and password if it needs them. Only this setting is used, never HTTP(S)_PROXY from the environment
    (a scheduled audit runs in a service's environment, and a report must not go where a stray variable
    says); TLS to the collector goes through it end to end (CONNECT), verified as without a proxy."""
    text = proxy.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or \
            parts.path.strip("/") or parts.query or parts.fragment:
        shown = for_terminal(urlunsplit((parts.scheme, parts.hostname or "", "", "", "")) if parts else "")[:200]
        raise CollectorError(f"Proxy {shown or 'đã cho'} trong [collector] proxy không hợp lệ; cần dạng "
                             "http://máy-chủ:cổng.",
                             f"The proxy {shown or 'given'} in [collector] proxy is not valid; it must look like "
                             "http://host:port.")
    return text


def client(ca_file: str | None = None, proxy: str | None = None) -> httpx.Client:
    """An HTTP/1.1 client with keep-alive, bounded timeouts and TLS verification (the system's CAs, or
    `ca_file` for a collector whose certificate a department's own CA signed), through `proxy` when the
    school must use one. No redirects followed."""
    import ssl

    import httpx

    from secaudit import __version__

    verify: ssl.SSLContext | bool = True
    if ca_file:
        try:
            verify = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            why = for_terminal(getattr(exc, "strerror", None) or str(exc))[:200]
            raise CollectorError(f"Không đọc được tệp CA {ca_file}: {why}.",
                                 f"Cannot read the CA file {ca_file}: {why}.") from None
    timeout = httpx.Timeout(IO_TIMEOUT, connect=CONNECT_TIMEOUT)
    return httpx.Client(timeout=timeout, verify=verify, follow_redirects=False, trust_env=False,
                        proxy=check_proxy(proxy) if proxy else None,
                        headers={"User-Agent": f"secaudit/{__version__}"})


def post(session: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> Answer:
    """POST and read at most ANSWER_CAP bytes of the answer (a larger one is cut: never a receipt).
    Raises httpx.TransportError (connection, TLS, timeout, protocol) for the caller to retry."""
    with session.stream("POST", url, content=body, headers=headers) as response:
        chunks: list[bytes] = []
        got = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            got += len(chunk)
            if got > ANSWER_CAP:
                break
        head = {k.lower(): v for k, v in response.headers.items()}
        return Answer(response.status_code, b"".join(chunks)[: ANSWER_CAP + 1], head)


def _clean(text: Any) -> str:
    value = unicodedata.normalize("NFC", str(text)).strip()
    value = for_terminal(" ".join(value.split()))
    return value[:REASON_CHARS] + ("…" if len(value) > REASON_CHARS else "")


def refusal(answer: Answer) -> tuple[str, dict[str, str]]:
    """(machine code, {"vi", "en"}) from a collector's error answer; a generic sentence when it gave none."""
    data = answer.json()
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    code_text = _clean(code)[:60] if isinstance(code, str) and code else f"http_{answer.status}"
    if isinstance(message, dict) and isinstance(message.get("vi"), str) and isinstance(message.get("en"), str):
        vi, en = _clean(message["vi"]).rstrip("."), _clean(message["en"]).rstrip(".")
        if vi and en:
            return code_text, {"vi": f"{vi} (HTTP {answer.status})", "en": f"{en} (HTTP {answer.status})"}
    return code_text, {"vi": f"collector trả lời HTTP {answer.status} mà không nêu lý do",
                       "en": f"the collector answered HTTP {answer.status} without a reason"}


def transport_reason(exc: Exception) -> dict[str, str]:
    """A connection, TLS or timeout failure as a short clause (no trailing period)."""
    import httpx

    detail = _clean(str(exc) or type(exc).__name__)[:160]
    if isinstance(exc, httpx.ConnectTimeout):
        return {"vi": "hết thời gian chờ kết nối", "en": "connection timed out"}
    if isinstance(exc, httpx.TimeoutException):
        return {"vi": "hết thời gian chờ trả lời", "en": "no answer in time"}
    if isinstance(exc, httpx.ConnectError):
        if "CERTIFICATE" in str(exc).upper():
            return {"vi": f"chứng chỉ TLS của collector không được tin cậy ({detail})",
                    "en": f"the collector's TLS certificate is not trusted ({detail})"}
        return {"vi": f"không kết nối được ({detail})", "en": f"cannot connect ({detail})"}
    return {"vi": f"kết nối bị ngắt ({detail})", "en": f"the connection broke ({detail})"}


def is_certificate_error(exc: Exception) -> bool:
    """A TLS verification failure: retrying will not help."""
    return "CERTIFICATE_VERIFY_FAILED" in str(exc).upper() or "CERTIFICATE VERIFY FAILED" in str(exc).upper()
