"""Consul agents for the tests: the in-repo KV server, and a real ``consul`` when on PATH.

Every agent fixture is parametrized: ``in-repo`` runs ``consul_server.py``
(Consul's KV HTTP API with blocking queries, standard library only) as a real
child process on a free loopback port; ``consul`` runs ``consul agent -dev``
when a ``consul`` binary is on PATH. That second variant is the one exception
to ``FLOW_REQUIRE_SERVERS=1``: it is skipped, never failed, when consul is
missing, because no consul can be installed on these machines and DESIGN.md §9
accepts the in-repo server in its place.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready

HOST = "127.0.0.1"
SERVER_SCRIPT = Path(__file__).with_name("consul_server.py")
#: The ACL token of the agents started with ACLs on (default policy: deny).
ACL_TOKEN = "flow-test-acl-token-7f3c9a"
#: Values up to 4 MiB (Consul's default kv_max_value_size of 512 KiB is below the contract's 1 MiB).
MAX_VALUE_SIZE = 4 << 20
KINDS = ["in-repo", "consul"]


def new_key(label: str) -> str:
    """A key no other test uses."""
    return f"flow/{label}-{uuid.uuid4().hex[:12]}"


class Agent:
    """One running agent: how to address it, write to it, restart it and (in-repo) steer it."""

    def __init__(
        self, kind: str, process: ServerProcess, port: int, *, token: str | None = None
    ) -> None:
        self.kind = kind
        self.process = process
        self.port = port
        self.token = token
        #: The in-repo server keeps its data in a journal; a dev agent loses it on restart.
        self.persistent = kind == "in-repo"
        #: Only the in-repo server has the /flow-test/ controls (index, zero index, log).
        self.controllable = kind == "in-repo"

    def uri(self, key: str, **options: str) -> str:
        """``consul://127.0.0.1:PORT/<key>?options`` (the key percent-encoded)."""
        query = f"?{urlencode(options)}" if options else ""
        return f"consul://{HOST}:{self.port}/{quote(key, safe='/')}{query}"

    # -- blocking HTTP calls (run them with asyncio.to_thread from async code) ---------------

    def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        """One HTTP request to the agent with its token; (status, body)."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            headers = {"X-Consul-Token": self.token} if self.token else {}
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def put_sync(self, key: str, value: bytes) -> None:
        status, body = self.request("PUT", f"/v1/kv/{quote(key, safe='/')}", value)
        assert status == 200, f"PUT {key}: HTTP {status} {body!r}"

    def delete_sync(self, key: str) -> None:
        status, body = self.request("DELETE", f"/v1/kv/{quote(key, safe='/')}")
        assert status == 200, f"DELETE {key}: HTTP {status} {body!r}"

    async def put(self, key: str, value: bytes) -> None:
        await asyncio.to_thread(self.put_sync, key, value)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self.delete_sync, key)

    async def stop(self) -> None:
        await asyncio.to_thread(self.process.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.process.start)

    # -- in-repo test controls ---------------------------------------------------------------

    def _control(self, method: str, what: str, body: bytes = b"") -> Any:
        if not self.controllable:
            pytest.skip("needs the in-repo server's test controls (a real agent has none)")
        status, answer = self.request(method, f"/flow-test/{what}", body)
        assert status == 200, f"{method} /flow-test/{what}: HTTP {status} {answer!r}"
        return json.loads(answer)

    async def force_index(self, index: int) -> None:
        """Set the raft index to ``index`` (e.g. backwards, as a snapshot restore can)."""
        await asyncio.to_thread(self._control, "PUT", "index", str(index).encode())

    async def zero_index(self, key: str, on: bool = True) -> None:
        """Make answers for ``key`` carry ``X-Consul-Index: 0`` (or stop it)."""
        method = "PUT" if on else "DELETE"
        await asyncio.to_thread(self._control, method, f"zero-index/{quote(key, safe='')}")

    async def requests(self, key: str) -> list[tuple[float, int | None]]:
        """Each GET of ``key`` so far: (server monotonic time, the index it asked for)."""
        log = await asyncio.to_thread(self._control, "GET", f"requests/{quote(key, safe='')}")
        return [(float(t), None if i is None else int(i)) for t, i in log]


def leader_elected(port: int) -> bool:
    """Readiness: /v1/status/leader names a leader (a dev agent answers "" until elected)."""
    return http_ready(f"http://{HOST}:{port}/v1/status/leader", contains=":")


def in_repo_server(data: Path, *, acl_token: str | None = None) -> tuple[ServerProcess, int]:
    """The in-repo server (not started), keeping its data in ``data``/kv.jsonl."""
    port = free_port()
    argv = [sys.executable, str(SERVER_SCRIPT), "--port", str(port)]
    argv += ["--data-file", str(data / "kv.jsonl"), "--max-value-size", str(MAX_VALUE_SIZE)]
    if acl_token:
        argv += ["--acl-token", acl_token]
    ready = lambda: leader_elected(port)  # noqa: E731
    return ServerProcess(argv, ready=ready, name="consul-test-server", port=port), port


def consul_agent(binary: str, *, acl_token: str | None = None) -> tuple[ServerProcess, int]:
    """``consul agent -dev`` on free loopback ports (not started); data is in memory."""
    port = free_port()
    argv = [binary, "agent", "-dev", "-bind", HOST, "-client", HOST, "-http-port", str(port)]
    argv += ["-dns-port", "-1", "-grpc-port", "-1", "-server-port", str(free_port())]
    argv += ["-serf-lan-port", str(free_port()), "-serf-wan-port", str(free_port())]
    argv += ["-hcl", f"limits {{ kv_max_value_size = {MAX_VALUE_SIZE} }}"]
    argv += ["-hcl", "ports { grpc_tls = -1 }"]
    if acl_token:
        acl = f'acl {{ enabled = true default_policy = "deny" tokens {{ initial_management = "{acl_token}" }} }}'  # noqa: E501
        argv += ["-hcl", acl]
    ready = lambda: leader_elected(port)  # noqa: E731
    return ServerProcess(argv, ready=ready, name="consul", port=port, ready_timeout=60), port


def _start_agent(
    kind: str, factory: pytest.TempPathFactory, *, acl_token: str | None = None
) -> Iterator[Agent]:
    if kind == "consul":
        binary = shutil.which("consul")
        if binary is None:
            # Skipped even under FLOW_REQUIRE_SERVERS=1: see the module docstring.
            pytest.skip(
                "consul not found on PATH (install it from "
                "https://developer.hashicorp.com/consul/install); the in-repo server covers it"
            )
        process, port = consul_agent(binary, acl_token=acl_token)
    else:
        process, port = in_repo_server(factory.mktemp("consul"), acl_token=acl_token)
    with process:
        yield Agent(kind, process, port, token=acl_token)


@pytest.fixture(scope="session", params=KINDS)
def agent_kind(request: pytest.FixtureRequest) -> str:
    """Which agent the tests run against: ``in-repo`` or ``consul`` (a real one, if on PATH)."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def agent(agent_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """An agent without ACLs, shared by the session (fresh keys per test)."""
    yield from _start_agent(agent_kind, tmp_path_factory)


@pytest.fixture(scope="session")
def auth_agent(agent_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """An agent with ACLs on (default deny) and :data:`ACL_TOKEN` as its management token."""
    yield from _start_agent(agent_kind, tmp_path_factory, acl_token=ACL_TOKEN)


@pytest.fixture(autouse=True)
def no_consul_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clear the CONSUL_* variables a developer's shell may carry."""
    for name in list(os.environ):
        if name.startswith("CONSUL_"):
            monkeypatch.delenv(name)
