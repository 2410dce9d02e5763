"""A small Consul KV server for the tests: Consul's KV HTTP API with blocking queries.

No ``consul`` binary can be installed on the machines this project is built
on (DESIGN.md §9), so the watcher is tested against this server, run as a
real separate process (``python consul_server.py --port P``). It implements,
as Consul documents them:

- ``GET /v1/kv/<key>``: JSON ``[{"Key", "Value" (base64), "Flags", "CreateIndex",
  "ModifyIndex", "LockIndex"}]``, or the bare value with ``?raw``; 404 (empty
  body) for a missing key. Every answer carries ``X-Consul-Index``: the key's
  ModifyIndex when it exists, else the highest index of the KV table and its
  tombstones (so a missing key can wake up on unrelated writes, as in Consul:
  a blocking query's return is *no guarantee* of a change).
- Blocking queries: ``?index=N&wait=D`` holds the request until that index
  passes ``N`` or ``wait`` (a Go duration, at most 10m, default 5m) plus up to
  ``wait/16`` of random jitter has elapsed.
- ``PUT /v1/kv/<key>`` (body = value, ``?flags=``) and ``DELETE /v1/kv/<key>``,
  answering ``true``; values over ``--max-value-size`` (Consul's
  ``kv_max_value_size``, 512 KiB by default) get 413.
- ACLs: with ``--acl-token T`` every KV request needs ``T`` in the
  ``X-Consul-Token`` header (or ``Authorization: Bearer``, or ``?token=``); no
  token gives 403 ``Permission denied``, another token 403 ``ACL not found``.
- ``?dc=``: another datacenter than ``--datacenter`` gives 500 ``No path to
  datacenter``.
- ``GET /v1/status/leader`` (the readiness probe; no token needed).
- TLS with ``--tls-cert`` and ``--tls-key``.

Data lives in memory and is lost on restart, like ``consul agent -dev``,
unless ``--data-file F`` is given: every write is then appended to ``F`` (a
JSON-lines journal, flushed per write) and replayed at start, so a restart
keeps the data and the raft index, like a real server.

Test controls, which Consul does not have (under ``/flow-test/``, no token):
``PUT /flow-test/index`` (body: an integer) forces the raft index to that
value, e.g. backwards, as a tombstone reap or a snapshot restore can;
``PUT``/``DELETE /flow-test/zero-index/<key>`` makes answers for that key carry
``X-Consul-Index: 0`` (an old Consul bug the docs warn about);
``GET /flow-test/requests/<key>`` lists the ``index`` each GET of that key
asked for, with the server's monotonic time.

Standard library only: a test double must not need what it is testing.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import re
import signal
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, NoReturn
from urllib.parse import parse_qs, unquote, urlsplit

KV_PREFIX = "/v1/kv/"
CONTROL_PREFIX = "/flow-test/"
DEFAULT_WAIT = 300.0  # Consul: "If not set, the wait time defaults to 5 minutes."
MAX_WAIT = 600.0  # Consul: "This is limited to 10 minutes."
DEFAULT_MAX_VALUE_SIZE = 512 * 1024  # Consul's default limits.kv_max_value_size
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class HTTPError(Exception):
    """An error answer: status and plain-text body, as Consul sends them."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_duration(text: str) -> float:
    """A Go duration (``"10s"``, ``"1m30s"``, ``"250ms"``) in seconds; a bare number is seconds."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise HTTPError(400, f"Invalid wait time: {text!r}")
    return sum(float(n) * _UNITS[u] for n, u in parts)


@dataclass
class Entry:
    """One KV entry."""

    value: bytes
    flags: int
    create_index: int
    modify_index: int


class Store:
    """The KV table, the raft index and the condition blocking queries wait on."""

    def __init__(self, journal: Path | None, max_value_size: int) -> None:
        self.cond = threading.Condition()
        self.entries: dict[str, Entry] = {}
        self.index = 1  # the raft index of the last write (Consul never answers 0)
        self.kv_index = 1  # highest index of the KV table and its tombstones
        self.max_value_size = max_value_size
        self.zero_index: set[str] = set()
        self.requests: dict[str, deque[tuple[float, int | None]]] = {}
        self._journal: IO[str] | None = None
        if journal is not None:
            self._replay(journal)
            self._journal = journal.open("a", encoding="utf-8")

    # -- reads -------------------------------------------------------------------------------

    def read(self, key: str) -> tuple[int, Entry | None]:
        """The answer's index and the entry (None: missing). Hold ``cond`` when calling."""
        entry = self.entries.get(key)
        index = entry.modify_index if entry is not None else self.kv_index
        return (0 if key in self.zero_index else index), entry

    def query(self, key: str, min_index: int, wait: float) -> tuple[int, Entry | None]:
        """A (blocking, when ``min_index`` > 0) read of ``key``."""
        deadline = time.monotonic() + wait
        with self.cond:
            log = self.requests.setdefault(key, deque(maxlen=1000))
            log.append((time.monotonic(), min_index or None))
            while True:
                index, entry = self.read(key)
                remaining = deadline - time.monotonic()
                if min_index <= 0 or index > min_index or remaining <= 0:
                    return index, entry
                self.cond.wait(remaining)

    # -- writes ------------------------------------------------------------------------------

    def put(self, key: str, value: bytes, flags: int) -> None:
        if len(value) > self.max_value_size:
            raise HTTPError(
                413,
                f"Request body({len(value)} bytes) too large, max size: "
                f"{self.max_value_size} bytes. See limits.kv_max_value_size.",
            )
        with self.cond:
            index = self._advance()
            old = self.entries.get(key)
            created = old.create_index if old is not None else index
            self.entries[key] = Entry(value, flags, created, index)
            self._record({"op": "put", "key": key, "value": _b64(value), "flags": flags})
            self.cond.notify_all()

    def delete(self, key: str) -> None:
        with self.cond:
            self._advance()  # a delete leaves a tombstone: the table index moves on
            self.entries.pop(key, None)
            self._record({"op": "delete", "key": key})
            self.cond.notify_all()

    def force_index(self, index: int) -> None:
        """Set the raft index (and the KV table's) to ``index``, e.g. backwards."""
        with self.cond:
            self.index = self.kv_index = index
            self._record({"op": "index"})
            self.cond.notify_all()

    def _advance(self) -> int:
        self.index += 1
        self.kv_index = self.index
        return self.index

    # -- the journal -------------------------------------------------------------------------

    def _record(self, op: dict[str, Any]) -> None:
        if self._journal is not None:
            op["index"] = self.index
            self._journal.write(json.dumps(op) + "\n")
            self._journal.flush()  # survives a SIGKILL of this process (not a power cut)

    def _replay(self, journal: Path) -> None:
        if not journal.exists():
            return
        for line in journal.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue  # a torn last line of a killed server is simply ignored
            try:
                op = json.loads(line)
            except ValueError:
                continue
            self.index = self.kv_index = int(op["index"])
            if op["op"] == "put":
                old = self.entries.get(op["key"])
                created = old.create_index if old is not None else self.index
                value = base64.b64decode(op["value"])
                self.entries[op["key"]] = Entry(value, op["flags"], created, self.index)
            elif op["op"] == "delete":
                self.entries.pop(op["key"], None)

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


class Handler(BaseHTTPRequestHandler):
    """One request: Consul's KV endpoints, the leader probe and the test controls."""

    protocol_version = "HTTP/1.1"  # keep-alive, as Consul's Go server does
    # Headers and body go out in two writes; with Nagle's algorithm on, the body then waits
    # for the client's delayed ACK (~40 ms). Go's net/http sets TCP_NODELAY too.
    disable_nagle_algorithm = True
    server: ConsulServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read the server's output only when it fails to start."""

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        body = self._body()
        try:
            if parts.path == "/v1/status/leader":
                self._send(200, b'"127.0.0.1:8300"')
            elif parts.path.startswith(CONTROL_PREFIX):
                self._control(method, unquote(parts.path[len(CONTROL_PREFIX) :]), body)
            elif parts.path.startswith(KV_PREFIX):
                self._check_acl(query)
                self._check_dc(query)
                key = unquote(parts.path[len(KV_PREFIX) :])
                if not key:
                    raise HTTPError(400, "Missing key name")
                self._kv(method, key, query, body)
            else:
                raise HTTPError(404, f"no handler for {parts.path}")
        except HTTPError as exc:
            self._send(exc.status, exc.message.encode(), content_type="text/plain")

    # -- KV --------------------------------------------------------------------------------

    def _kv(self, method: str, key: str, query: dict[str, str], body: bytes) -> None:
        store = self.server.store
        if method == "PUT":
            store.put(key, body, _int(query.get("flags", "0"), "flags"))
            self._send(200, b"true")
        elif method == "DELETE":
            store.delete(key)
            self._send(200, b"true")
        else:
            min_index = _int(query.get("index", "0"), "index")
            wait = min(parse_duration(query["wait"]), MAX_WAIT) if "wait" in query else DEFAULT_WAIT
            wait += random.uniform(0, wait / 16)  # Consul spreads wake-ups the same way
            index, entry = store.query(key, min_index, wait)
            headers = {"X-Consul-Index": str(index)}
            if entry is None:
                self._send(404, b"", headers=headers)
            elif "raw" in query:
                self._send(200, entry.value, headers=headers, content_type="text/plain")
            else:
                self._send(200, json.dumps([_entry_json(key, entry)]).encode(), headers=headers)

    def _check_acl(self, query: dict[str, str]) -> None:
        expected = self.server.acl_token
        if expected is None:
            return
        token = self.headers.get("X-Consul-Token") or query.get("token", "")
        auth = self.headers.get("Authorization", "")
        if not token and auth.startswith("Bearer "):
            token = auth[len("Bearer ") :]
        if not token:
            raise HTTPError(403, "Permission denied: anonymous token lacks permission")
        if token != expected:
            raise HTTPError(403, "ACL not found")

    def _check_dc(self, query: dict[str, str]) -> None:
        dc = query.get("dc")
        if dc and dc != self.server.datacenter:
            raise HTTPError(500, "No path to datacenter")

    # -- test controls ---------------------------------------------------------------------

    def _control(self, method: str, what: str, body: bytes) -> None:
        store = self.server.store
        name, _, key = what.partition("/")
        if name == "index" and method == "PUT":
            store.force_index(_int(body.decode() or "", "index"))
        elif name == "zero-index" and method in {"PUT", "DELETE"}:
            with store.cond:
                (store.zero_index.add if method == "PUT" else store.zero_index.discard)(key)
                store.cond.notify_all()
        elif name == "requests" and method == "GET":
            with store.cond:
                log = list(store.requests.get(key, ()))
            self._send(200, json.dumps(log).encode())
            return
        else:
            raise HTTPError(404, f"unknown test control {method} {what}")
        self._send(200, b"true")

    # -- plumbing --------------------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Consul-Knownleader", "true")
        self.send_header("X-Consul-Lastcontact", "0")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise HTTPError(400, f"Invalid {what}: {text!r}") from None


def _entry_json(key: str, entry: Entry) -> dict[str, Any]:
    return {
        "LockIndex": 0,
        "Key": key,
        "Flags": entry.flags,
        "Value": _b64(entry.value) if entry.value else None,
        "CreateIndex": entry.create_index,
        "ModifyIndex": entry.modify_index,
    }


class ConsulServer(ThreadingHTTPServer):
    """The HTTP server: one thread per connection, so blocking queries block only themselves."""

    daemon_threads = True  # a request blocked in a query must not keep the process alive
    request_queue_size = 128

    def __init__(self, port: int, store: Store, *, acl_token: str | None, datacenter: str) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.store = store
        self.acl_token = acl_token
        self.datacenter = datacenter


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-file", type=Path, help="journal that keeps data across restarts")
    parser.add_argument("--acl-token", help="require this token (default: ACLs off)")
    parser.add_argument("--datacenter", default="dc1")
    parser.add_argument("--max-value-size", type=int, default=DEFAULT_MAX_VALUE_SIZE)
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    args = parser.parse_args(argv)
    store = Store(args.data_file, args.max_value_size)
    server = ConsulServer(args.port, store, acl_token=args.acl_token, datacenter=args.datacenter)
    if args.tls_cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)

    def stop(signum: int, frame: object) -> NoReturn:
        raise SystemExit(0)  # unwinds serve_forever() in this (the main) thread

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
        store.close()


if __name__ == "__main__":
    main()
