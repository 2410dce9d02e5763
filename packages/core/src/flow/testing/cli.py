"""``FlowWatch``: ``flow watch <uri> --json`` as a real subprocess, for end-to-end tests.

Every watcher provider shows that ``flow watch`` works against its server
(DESIGN §9): start the CLI, read its JSON lines with a deadline each, write
to the source, and check what it printed. The process is killed (by PID) on
exit if it is still running::

    async def test_flow_watch(server, tmp_path):
        await server.write("k", b'{"port": 80}')
        async with FlowWatch(server.uri("k"), "--count", "2", cwd=tmp_path) as watch:
            assert await watch.next_applied() == {"port": 80}
            await server.write("k", b'{"port": 81}')
            events, stderr = await watch.finish()
        assert watch.returncode == 0, stderr
        assert {"event": "applied", "value": {"port": 81}} in events
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

__all__ = ["FlowWatch"]

Event = dict[str, Any]


class FlowWatch:
    """``python -m flow watch <uri> --json <options>`` in ``cwd``, read line by line.

    ``models``: source of a ``models.py`` written into ``cwd`` first (pass
    ``"--model", "models:Name"`` among the options to use it). ``env``: the
    environment to start from (default ``os.environ``); ``NO_COLOR=1`` is
    always added. ``deadline``: seconds allowed for each line and for the end.
    """

    def __init__(
        self,
        uri: str,
        *options: str,
        cwd: Path,
        models: str | None = None,
        env: Mapping[str, str] | None = None,
        deadline: float = 30.0,
    ) -> None:
        self.argv = [sys.executable, "-m", "flow", "watch", uri, "--json", *options]
        self.cwd = cwd
        self.models = models
        self.env = {**(os.environ if env is None else env), "NO_COLOR": "1"}
        self.deadline = deadline
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (None while it runs)."""
        return None if self._proc is None else self._proc.returncode

    async def __aenter__(self) -> FlowWatch:
        if self.models is not None:
            (self.cwd / "models.py").write_text(self.models)
        self._proc = await asyncio.create_subprocess_exec(
            *self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        proc = self._proc
        if proc is not None and proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def next_event(self) -> Event:
        """The next JSON line the process prints (fails on a deadline or an early end)."""
        __tracebackhide__ = True
        stdout = self._running().stdout
        assert stdout is not None
        try:
            line = await asyncio.wait_for(stdout.readline(), self.deadline)
        except TimeoutError:
            pytest.fail(f"`flow watch` printed nothing within {self.deadline:g}s", pytrace=False)
        if not line:
            pytest.fail(f"`flow watch` ended its output early: {await self._stderr()}")
        event: Event = json.loads(line)
        return event

    async def next_applied(self) -> Any:
        """The value of the next ``applied`` line; ``health`` and ``failed`` lines are skipped."""
        __tracebackhide__ = True
        while True:
            event = await self.next_event()
            if event["event"] == "applied":
                return event["value"]
            assert event["event"] in ("health", "failed"), event

    async def finish(self) -> tuple[list[Event], str]:
        """Wait for the process to exit by itself: the JSON lines not read yet, and stderr."""
        __tracebackhide__ = True
        proc = self._running()
        try:
            out, err = await asyncio.wait_for(proc.communicate(), self.deadline)
        except TimeoutError:
            pytest.fail(f"`flow watch` did not exit within {self.deadline:g}s", pytrace=False)
        events = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        return events, err.decode()

    def _running(self) -> asyncio.subprocess.Process:
        if self._proc is None:
            raise RuntimeError("FlowWatch: use it as `async with FlowWatch(...) as watch:`")
        return self._proc

    async def _stderr(self) -> str:
        stderr = self._running().stderr
        if stderr is None:
            return ""
        try:
            return (await asyncio.wait_for(stderr.read(), self.deadline)).decode()
        except TimeoutError:
            return "(stderr did not end)"
