"""`collector serve`: uvicorn on HOST:PORT, TLS with --tls-cert/--tls-key; plain HTTP only on loopback."""

from __future__ import annotations

import gc
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secaudit.errors import SecauditError

DEFAULT_LISTEN = "127.0.0.1:8443"


class ServeError(SecauditError):
    """The server cannot start as asked (exit 2)."""


@dataclass(frozen=True)
class Listen:
    host: str
    port: int


def parse_listen(text: str) -> Listen:
    host, sep, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ServeError(f"Địa chỉ nghe {text[:60]!r} không hợp lệ (HOST:PORT, ví dụ 0.0.0.0:8443).",
                         f"The listen address {text[:60]!r} is not valid (HOST:PORT, e.g. 0.0.0.0:8443).")
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ServeError(f"Địa chỉ nghe phải là một địa chỉ IP, không phải {host[:60]!r}.",
                             f"The listen address must be an IP address, not {host[:60]!r}.") from None
    return Listen(host, int(port))


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_tls(listen: Listen, cert: str | None, key: str | None) -> None:
    """Refuse plain HTTP off loopback, half a TLS pair, and a pair that does not load."""
    if bool(cert) != bool(key):
        raise ServeError("Cần cả --tls-cert và --tls-key.", "Both --tls-cert and --tls-key are needed.")
    if not cert:
        if not is_loopback(listen.host):
            raise ServeError(f"Không chạy HTTP không mã hóa trên {listen.host}: dùng --tls-cert và --tls-key, hoặc "
                             "nghe trên 127.0.0.1.",
                             f"Plain HTTP is not served on {listen.host}: give --tls-cert and --tls-key, or listen "
                             "on 127.0.0.1.")
        return
    assert key is not None
    for path in (cert, key):
        if not Path(path).is_file():
            raise ServeError(f"Không có tệp {path}.", f"There is no file {path}.")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise ServeError(f"Không nạp được chứng chỉ TLS {cert} với khóa {key}: {exc}.",
                         f"Cannot load the TLS certificate {cert} with the key {key}: {exc}.") from None


def run(app: Any, listen: Listen, cert: str | None, key: str | None, log_level: str = "info") -> None:
    import uvicorn

    config = uvicorn.Config(app, host=listen.host, port=listen.port, ssl_certfile=cert, ssl_keyfile=key,
                            log_level=log_level, proxy_headers=False, server_header=False,
                            timeout_keep_alive=15, limit_concurrency=512)
    # everything imported and built so far lives as long as the process: out of the garbage collector's
    # sight, its full passes (set off by the objects a large page builds) stay short
    gc.freeze()
    uvicorn.Server(config).run()
