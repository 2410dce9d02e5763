"""`flow scheduler` as a real process: SIGTERM and SIGINT stop it cleanly (exit 0)."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from flow.store import Materialization, MetadataStore, Run, Status

READY = "flow scheduler: running"

MODULE = """
import sys

from flow.assets import asset
from flow.assets.sensors import sensor


@asset
def slow():
    print("ASSET BLOCKED", file=sys.stderr, flush=True)
    with open("release.fifo") as fifo:  # blocks until the test writes
        fifo.read()
    return 1


@sensor(targets=["slow"], interval=3600)
def kick(context):
    if context.cursor is None and {kick_now}:
        context.update_cursor("kicked")
        return True
    return False
"""


class SchedulerProcess:
    """A `flow scheduler` child process whose stderr is read line by line on a thread."""

    def __init__(self, project: Path, *args: str) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flow", "scheduler", *args],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.seen):
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self.lines.empty()):
                raise AssertionError(f"no {text!r} from flow scheduler; stderr: {self.seen}")
            try:
                self.seen.append(self.lines.get(timeout=min(left, 0.5)))
            except queue.Empty:
                continue

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def project_module(project: Path) -> tuple[Path, str]:
    os.mkfifo(project / "release.fifo")
    return project, f"sched_{uuid.uuid4().hex[:8]}"


def _write_module(project: Path, name: str, kick_now: bool) -> None:
    text = textwrap.dedent(MODULE).replace("{kick_now}", str(kick_now))
    (project / f"{name}.py").write_text(text, encoding="utf-8")


def _release(project: Path) -> None:
    with open(project / "release.fifo", "w") as fifo:  # opens once the asset is reading
        fifo.write("go")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_idle_scheduler_stops_cleanly(project_module: tuple[Path, str], sig: int) -> None:
    project, name = project_module
    _write_module(project, name, kick_now=False)
    child = SchedulerProcess(project, "--module", name)
    try:
        child.wait_for(READY)
        child.wait_for("sensor kick: every 3600s -> slow")
        assert psutil.Process(child.proc.pid).children(recursive=True) == []
        child.proc.send_signal(sig)
        assert child.proc.wait(timeout=60) == 0
        child.wait_for("flow scheduler: stopped")
    finally:
        child.stop()
    assert not any("Traceback" in line for line in child.seen), child.seen


def test_sigterm_lets_the_in_flight_run_finish(project_module: tuple[Path, str]) -> None:
    project, name = project_module
    _write_module(project, name, kick_now=True)
    child = SchedulerProcess(project, "--module", name)
    try:
        child.wait_for("ASSET BLOCKED")
        child.proc.send_signal(signal.SIGTERM)
        child.wait_for("waiting up to 30s for 1 run(s) to finish")
        _release(project)
        assert child.proc.wait(timeout=60) == 0
    finally:
        child.stop()
    with MetadataStore.open(project_dir=project) as store:
        (done,) = store.list_materializations(asset_key="slow")
        assert done.status is Status.SUCCESS
        run = store.get_run(done.run_id)
        assert run is not None
        assert run.status is Status.SUCCESS
        assert run.tags["sensor"] == "kick"


def test_a_blocking_asset_past_the_grace_finishes_and_is_recorded_as_it_ended(
    project_module: tuple[Path, str],
) -> None:
    project, name = project_module
    _write_module(project, name, kick_now=True)
    child = SchedulerProcess(project, "--module", name, "--grace", "0")
    try:
        child.wait_for("ASSET BLOCKED")
        child.proc.send_signal(signal.SIGINT)
        child.wait_for("waiting up to 0s for 1 run(s) to finish")
        # Released only once the scheduler has given up on the run, so the order is fixed.
        child.wait_for("still running after the grace period")
        # A thread cannot be interrupted: the asset's own work ends, and its record says
        # so; nothing is left "running".
        _release(project)
        assert child.proc.wait(timeout=60) == 0
    finally:
        child.stop()
    run, item = _recorded(project)
    assert run.status is Status.SUCCESS
    assert item.status is Status.SUCCESS


def test_an_async_asset_past_the_grace_is_cancelled_and_marked_failed(
    project_module: tuple[Path, str],
) -> None:
    project, name = project_module
    text = textwrap.dedent(MODULE).replace("{kick_now}", "True")
    text = text.replace(
        """@asset
def slow():
    print("ASSET BLOCKED", file=sys.stderr, flush=True)
    with open("release.fifo") as fifo:  # blocks until the test writes
        fifo.read()
    return 1""",
        """@asset
async def slow():
    import asyncio

    print("ASSET BLOCKED", file=sys.stderr, flush=True)
    await asyncio.Event().wait()  # never set: only cancellation ends it
    return 1""",
    )
    assert "async def slow" in text
    (project / f"{name}.py").write_text(text, encoding="utf-8")
    child = SchedulerProcess(project, "--module", name, "--grace", "0")
    try:
        child.wait_for("ASSET BLOCKED")
        child.proc.send_signal(signal.SIGINT)
        assert child.proc.wait(timeout=60) == 0
    finally:
        child.stop()
    run, item = _recorded(project)
    assert run.status is Status.FAILED
    assert item.status is Status.FAILED
    assert "cancelled" in (item.error or "")


def _recorded(project: Path) -> tuple[Run, Materialization]:
    """The one sensor run and the one materialization of ``slow`` the scheduler recorded."""
    with MetadataStore.open(project_dir=project) as store:
        (item,) = store.list_materializations(asset_key="slow")
        run = store.get_run(item.run_id)
    assert run is not None
    assert run.kind == "sensor"
    return run, item


def test_once_fires_what_is_due_and_exits(project_module: tuple[Path, str]) -> None:
    project, name = project_module
    _write_module(project, name, kick_now=True)
    releaser = threading.Thread(target=_release, args=(project,))
    releaser.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "flow", "scheduler", "--module", name, "--once", "--json"],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        releaser.join(timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"trigger": "sensor"' in done.stdout
    assert '"status": "success"' in done.stdout


def test_an_unknown_module_is_a_clear_error(project: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flow", "scheduler", "--module", "no_such_mod", "--once"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "no_such_mod" in done.stderr
    assert "Traceback" not in done.stderr
