"""``flow.testing.auth`` (refusal, follows) and ``flow.testing.cli.FlowWatch``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from flow.errors import SourceAuthError, SourceError, SourceURIError
from flow.live.change import Change
from flow.live.uri import SourceURI
from flow.plugins import PluginCandidate, PluginHost, Register, hookimpl, reset_host
from flow.testing import FlowWatch, follows, refusal

VALUES: dict[str, bytes] = {}


class Guarded:
    """Yields VALUES[key] (then each new one) for password "right"; refuses any other."""

    def __init__(self, uri: SourceURI) -> None:
        if uri.option("bad") is not None:
            raise SourceURIError(f"{uri.redacted}: unknown option bad; remove it")
        self.uri = uri
        self.key = uri.path.lstrip("/")
        self.closed = asyncio.Event()

    async def changes(self) -> AsyncIterator[Change]:
        if self.uri.password != "right":
            leak = self.uri.option("leak") is not None
            shown = str(self.uri.password) if leak else self.uri.redacted
            raise SourceAuthError(f"{shown}: refused the credentials; give the right password")
        last = VALUES.get(self.key)
        yield Change(last)
        while not self.closed.is_set():
            value = VALUES.get(self.key)
            if value != last:
                last = value
                yield Change(value)
            await asyncio.sleep(0.005)  # polls the dict; a test double, not synchronisation

    async def aclose(self) -> None:
        self.closed.set()


class _Plugin:
    @hookimpl
    def flow_register_watchers(self, register: Register) -> None:
        register("guarded", Guarded)


@pytest.fixture(autouse=True)
def guarded_plugin(memtest_plugins: None) -> None:
    # Replaces the memtest host for this test; memtest_plugins resets it afterwards.
    reset_host(PluginHost([PluginCandidate("guarded", "guarded-test", "0", _Plugin)], environ={}))


async def test_follows_sees_the_first_value_then_the_written_one() -> None:
    VALUES["a"] = b"one"

    async def write() -> None:
        VALUES["a"] = b"two"

    await follows("guarded://u:right@h/a", b"one", write, b"two", timeout=5)


async def test_follows_fails_when_the_change_never_comes() -> None:
    VALUES["b"] = b"one"

    async def write() -> None:
        pass

    with pytest.raises(pytest.fail.Exception, match="nothing matched"):
        await follows("guarded://u:right@h/b", b"one", write, b"two", timeout=0.2)


async def test_refusal_returns_the_auth_error() -> None:
    error = await refusal("guarded://u:wrong-pw-1@h/k", secrets=["wrong-pw-1"])
    assert isinstance(error, SourceAuthError)
    assert "u:***@" in str(error)


async def test_refusal_fails_when_a_secret_shows() -> None:
    with pytest.raises(AssertionError, match="a secret shows"):
        await refusal("guarded://u:wrong-pw-2@h/k?leak=1", SourceError, secrets=["wrong-pw-2"])


async def test_refusal_fails_when_the_watcher_yields_instead() -> None:
    VALUES["c"] = b"fine"
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        await refusal("guarded://u:right@h/c")


async def test_refusal_includes_errors_from_building_the_watcher() -> None:
    error = await refusal("guarded://u:right@h/k?bad=1", SourceURIError, secrets=["right"])
    assert "unknown option bad" in str(error)


async def test_flow_watch_reports_a_failing_source(tmp_path: Path) -> None:
    models = "import pydantic\n\nclass M(pydantic.BaseModel):\n    x: int\n"
    async with FlowWatch("nope://x", "--model", "models:M", cwd=tmp_path, models=models) as watch:
        events, stderr = await watch.finish()
    assert (tmp_path / "models.py").read_text() == models
    assert watch.returncode == 1, stderr
    assert events[-1]["event"] == "error"
    assert "nope" in events[-1]["error"]


async def test_flow_watch_fails_clearly_when_the_output_ends_early(tmp_path: Path) -> None:
    async with FlowWatch("nope://x", cwd=tmp_path) as watch:
        await watch.next_event()  # the error line
        with pytest.raises(pytest.fail.Exception, match="ended its output early"):
            await watch.next_event()


def test_flow_watch_must_be_entered(tmp_path: Path) -> None:
    watch = FlowWatch("nope://x", cwd=tmp_path)
    assert watch.returncode is None
    with pytest.raises(RuntimeError, match="async with"):
        asyncio.run(watch.finish())
