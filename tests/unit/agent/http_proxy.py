"""A web proxy on loopback for the agent's tests: plain-HTTP requests in absolute form are forwarded to
their (loopback only) target and recorded, as a school's proxy would relay them; anything else is 403."""

from __future__ import annotations

import http.client
import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _relay(self) -> None:
        target = urlsplit(self.path)
        if target.scheme != "http" or not target.hostname or not ipaddress.ip_address(target.hostname).is_loopback:
            self.send_error(403)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.seen.append((self.command, self.path, self.headers.get("Proxy-Authorization")))
        upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-authorization",
                                                                                  "proxy-connection", "connection")}
            upstream.request(self.command, target.path or "/", body=body, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
        finally:
            upstream.close()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _relay


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[tuple[str, str, str | None]] = []


class Proxy:
    def __init__(self) -> None:
        self.server = _Server()
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def seen(self) -> list[tuple[str, str, str | None]]:
        return self.server.seen

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
