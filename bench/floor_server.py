"""The floor of an acknowledged upload: a server that does only what no collector can skip, with the same
framework (FastAPI on uvicorn), the same verification function and the same durability as the collector.

POST /api/v1/reports: the gzip body decompressed (capped), its SHA-256, the envelope verified on
secaudit's one path (sign/dsse.verify: signature over the exact bytes, strict JSON payload), the payload's
schema and agent looked at, and one row (sha, key, sequence, the gzip body as received: no compressing) appended in a
transaction of its own: SQLite in WAL with synchronous=FULL, or PostgreSQL; 201 after the commit.
Nothing is indexed, split or signed back. bench/collector.py drives it with the collector's uploaders,
so its rate is the most any collector could answer on this machine.

Usage: python bench/floor_server.py PORT KEYS.json (sqlite:PATH | postgresql://...)
"""

from __future__ import annotations

import hashlib
import json
import queue
import sys
import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from secaudit.fsutil import gunzip_capped
from secaudit.limits import ENVELOPE
from secaudit.sign.dsse import verify
from secaudit.sign.ids import key_id
from secaudit.sign.keys import public_from_pem
from secaudit.sign.payload_types import REPORT_TYPE

CREATE = "CREATE TABLE IF NOT EXISTS floor (id {pk}, sha TEXT UNIQUE, kid TEXT, seq BIGINT, body {blob})"


class Store:
    """One append per upload, committed before the answer."""

    def __init__(self, target: str) -> None:
        self.lock = threading.Lock()
        if target.startswith("sqlite:"):
            import sqlite3

            self.conn: Any = sqlite3.connect(target[len("sqlite:"):], check_same_thread=False, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = FULL")
            self.conn.execute("PRAGMA busy_timeout = 30000")
            self.conn.execute(CREATE.format(pk="INTEGER PRIMARY KEY", blob="BLOB"))
            self.mark, self.begin = "?", "BEGIN IMMEDIATE"
        else:
            import psycopg

            self.pool: queue.Queue[Any] = queue.Queue()
            for _ in range(8):  # more uploads than connections wait for one, as in a pool
                self.pool.put(psycopg.connect(target.replace("+psycopg", "")))
            first = self.pool.get()
            with first.transaction():
                first.execute(CREATE.format(pk="BIGSERIAL PRIMARY KEY", blob="BYTEA"))
            self.pool.put(first)
            self.mark, self.begin = "%s", ""

    def append(self, sha: str, kid: str, seq: int, body: bytes) -> None:
        sql = f"INSERT INTO floor (sha, kid, seq, body) VALUES ({', '.join([self.mark] * 4)})"
        if self.begin:  # SQLite: one writer, as in the collector
            with self.lock:
                self.conn.execute(self.begin)
                self.conn.execute(sql, (sha, kid, seq, body))
                self.conn.execute("COMMIT")
            return
        conn = self.pool.get()
        try:
            with conn.transaction():
                conn.execute(sql, (sha, kid, seq, body))
        finally:
            self.pool.put(conn)


def app(keys: dict[str, Any], store: Store) -> FastAPI:
    api = FastAPI()

    @api.post("/api/v1/reports")
    async def reports(request: Request) -> JSONResponse:
        body = await request.body()
        raw = gunzip_capped(body, ENVELOPE)
        sha = hashlib.sha256(raw).hexdigest()
        hints = [s.get("keyid") for s in json.loads(raw).get("signatures", [])]
        verified = verify(raw, {REPORT_TYPE}, [keys[h] for h in hints if h in keys])
        payload = verified.payload
        if payload.get("schema") != "secaudit.report/v1" or not isinstance(payload.get("sequence"), int):
            return JSONResponse({"error": "bad_schema"}, status_code=400)
        await run_in_thread(store.append, sha, verified.keyid, payload["sequence"], body)
        return JSONResponse({"envelope_sha256": sha, "status": "accepted"}, status_code=201)

    @api.get("/api/v1/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return api


async def run_in_thread(fn: Any, *args: Any) -> None:
    from starlette.concurrency import run_in_threadpool

    await run_in_threadpool(fn, *args)


def main() -> None:
    port, keys_file, target = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    keys = {}
    for pem in json.loads(keys_file.read_text(encoding="utf-8")):
        pub = public_from_pem(pem)
        assert pub is not None
        keys[key_id(pub)] = pub
    uvicorn.run(app(keys, Store(target)), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
