"""`flow watch zk://…` end to end: a subprocess prints each applied value as a JSON line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid

from flow_watcher_zookeeper.testing import ZNodeSource, put

DEADLINE = 60.0


def test_flow_watch_prints_both_applied_values(znodes: ZNodeSource) -> None:
    path = f"/flow-tests/cli-{uuid.uuid4().hex[:12]}"
    put(znodes.admin, path, b'{"name": "app", "port": 80}')
    uri = f"zk://{znodes.server.hosts}{path}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "flow", "watch", uri, "--json", "--count", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    # readline() has no timeout: a watchdog kills the process (by PID) if it hangs.
    watchdog = threading.Timer(DEADLINE, proc.kill)
    watchdog.start()
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())  # blocks until the value is applied
        assert first == {"event": "applied", "value": {"name": "app", "port": 80}}
        put(znodes.admin, path, b'{"name": "app", "port": 81}')
        rest, errors = proc.communicate(timeout=DEADLINE)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, errors
    events = [json.loads(line) for line in rest.splitlines()]
    assert {"event": "applied", "value": {"name": "app", "port": 81}} in events
    assert {"event": "health", "health": "healthy", "error": None} in events
