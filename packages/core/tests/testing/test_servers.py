"""ServerProcess and the probes, against real child processes (python -m http.server and kin)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from flow.testing import ServerProcess, free_port, require_binary
from flow.testing.servers import (
    ServerStartError,
    http_ready,
    send_line,
    tcp_ready,
    wait_until,
)

UNBUFFERED = {**os.environ, "PYTHONUNBUFFERED": "1"}


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie waiting for init to reap it counts as gone)."""
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def http_server(root: Path, port: int, **kwargs: object) -> ServerProcess:
    argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    return ServerProcess(
        argv,
        ready=lambda: http_ready(f"http://127.0.0.1:{port}/hello.txt", contains="hello"),
        name="http.server",
        cwd=root,
        env=UNBUFFERED,
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "hello.txt").write_text("hello from disk")
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[ServerProcess]:
    with http_server(site, free_port()) as started:
        yield started


def fetch(port: int, path: str = "/hello.txt") -> bytes:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        body: bytes = response.read()
        return body


def port_of(server: ServerProcess) -> int:
    return int(server.argv[-1])


def test_start_serves_and_stop_ends_the_process_by_pid(server: ServerProcess) -> None:
    pid = server.pid
    assert pid is not None
    assert server.running
    assert fetch(port_of(server)) == b"hello from disk"
    assert psutil.Process(pid).cmdline()[1:3] == ["-m", "http.server"]
    status = server.stop()
    assert status is not None
    assert not server.running
    assert gone(pid)
    assert not tcp_ready("127.0.0.1", port_of(server))
    assert server.stop() == status  # stopping twice is harmless


def test_restart_comes_back_on_the_same_port_with_a_new_pid(server: ServerProcess) -> None:
    first = server.pid
    assert first is not None
    server.restart()
    assert server.pid != first
    assert gone(first)
    assert fetch(port_of(server)) == b"hello from disk"
    assert server.starts == 2
    assert "Serving HTTP on 127.0.0.1" in server.output_tail()


def test_start_twice_is_refused(server: ServerProcess) -> None:
    with pytest.raises(RuntimeError, match=r"already running \(pid \d+\)"):
        server.start()


def test_not_ready_in_time_stops_it_and_shows_its_output(site: Path) -> None:
    port = free_port()
    never = http_server(site, port, ready_timeout=0.5)
    never.ready = lambda: False
    with pytest.raises(ServerStartError) as info:
        never.start()
    message = str(info.value)
    assert "was not ready within 0.5s" in message
    assert f"Serving HTTP on 127.0.0.1 port {port}" in message
    assert never.pid is not None
    assert gone(never.pid)
    assert not never.running


def test_a_probe_that_raises_is_retried_and_reported(site: Path) -> None:
    def broken_probe() -> bool:
        raise ConnectionResetError("probe broke")

    server = http_server(site, free_port(), ready_timeout=0.3)
    server.ready = broken_probe
    with pytest.raises(ServerStartError, match=r"last readiness probe raised: .*probe broke"):
        server.start()


def test_a_server_that_exits_at_once_fails_fast_with_its_stderr() -> None:
    script = "import sys; sys.stderr.write('boom: bad config line 3\\n'); sys.exit(3)"
    server = ServerProcess(
        [sys.executable, "-c", script], ready=lambda: False, name="broken", ready_timeout=30
    )
    with pytest.raises(ServerStartError) as info:
        server.start()
    assert "broken (pid" in str(info.value)
    assert "exited with status 3" in str(info.value)
    assert "boom: bad config line 3" in str(info.value)
    assert server.returncode == 3


STUBBORN = textwrap.dedent(
    """
    import signal, socket, subprocess, sys
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import signal; signal.pause()"])
    open(sys.argv[2], "w").write(str(child.pid))
    listener = socket.create_server(("127.0.0.1", int(sys.argv[1])))
    signal.pause()
    """
)


def test_stop_kills_a_server_that_ignores_sigterm_and_its_children(tmp_path: Path) -> None:
    port, pid_file = free_port(), tmp_path / "child.pid"
    server = ServerProcess(
        [sys.executable, "-c", STUBBORN, str(port), str(pid_file)],
        ready=lambda: tcp_ready("127.0.0.1", port) and pid_file.exists(),
        name="stubborn",
        stop_timeout=0.3,
    )
    with server:
        child = int(pid_file.read_text())
        assert psutil.Process(child).is_running()
    assert server.returncode == -9  # SIGTERM was ignored, so SIGKILL ended it
    wait_until(lambda: gone(child), timeout=5, what="the server's own child to end")


def test_the_context_manager_stops_the_server_when_the_body_fails(site: Path) -> None:
    server = http_server(site, free_port())
    with pytest.raises(ZeroDivisionError), server:
        _ = 1 / 0
    assert server.pid is not None
    assert gone(server.pid)


def test_an_unstopped_server_is_stopped_at_interpreter_exit(site: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        from flow.testing import ServerProcess, free_port
        from flow.testing.servers import tcp_ready
        port = free_port()
        argv = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
        server = ServerProcess(argv, ready=lambda: tcp_ready("127.0.0.1", port), cwd={str(site)!r})
        server.start()
        print(server.pid, flush=True)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    pid = int(done.stdout.strip())
    assert gone(pid), "the atexit safety net left the server running"


def test_probes_talk_to_a_real_server(server: ServerProcess) -> None:
    port = port_of(server)
    assert tcp_ready("127.0.0.1", port)
    assert http_ready(f"http://127.0.0.1:{port}/hello.txt", contains="hello")
    assert not http_ready(f"http://127.0.0.1:{port}/hello.txt", contains="absent text")
    assert not http_ready(f"http://127.0.0.1:{port}/missing.txt")
    assert http_ready(f"http://127.0.0.1:{port}/missing.txt", expect_status=404)
    answer = send_line("127.0.0.1", port, b"GET /hello.txt HTTP/1.0\r\n\r\n", timeout=2)
    assert answer.startswith(b"HTTP/1.0 200")
    assert answer.endswith(b"hello from disk")


def test_probes_say_no_when_nothing_listens() -> None:
    port = free_port()
    assert not tcp_ready("127.0.0.1", port, timeout=0.2)
    assert not http_ready(f"http://127.0.0.1:{port}/", timeout=0.2)
    with pytest.raises(ConnectionRefusedError):
        send_line("127.0.0.1", port, b"srvr", timeout=0.2)
    with pytest.raises(ValueError, match="needs an http://host:port"):
        http_ready(f"https://127.0.0.1:{port}/")


def test_send_line_returns_at_its_deadline_when_the_server_stays_silent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        assert send_line("127.0.0.1", port, b"srvr", timeout=0.2) == b""


def test_free_port_can_be_bound() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.create_server(("127.0.0.1", port)):
        pass


def test_require_binary_finds_an_installed_program() -> None:
    path = require_binary(Path(sys.executable).name, "never needed")
    assert Path(path).is_absolute()
    assert os.access(path, os.X_OK)


def test_require_binary_skips_naming_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("FLOW_REQUIRE_SERVERS", raising=False)
    with pytest.raises(pytest.skip.Exception) as info:
        require_binary("no-such-server-xyz", "apt-get install no-such-server")
    assert "no-such-server-xyz not found" in str(info.value)
    assert "install it with: apt-get install no-such-server" in str(info.value)


def test_require_binary_fails_when_servers_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOW_REQUIRE_SERVERS", "1")
    with pytest.raises(pytest.fail.Exception, match="apt-get install no-such-server"):
        require_binary("no-such-server-xyz", "apt-get install no-such-server")


def test_wait_until_names_what_did_not_happen() -> None:
    with pytest.raises(TimeoutError, match=r"the moon to rise did not happen within 0\.05s"):
        wait_until(lambda: False, timeout=0.05, what="the moon to rise")


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="argv is empty"):
        ServerProcess([], ready=lambda: True)
