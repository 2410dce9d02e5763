"""fallback() and filter(): stand-in values, callables, skipped calls."""

from __future__ import annotations

import asyncio

import pytest
from flow.pipeline import Pipeline, fallback
from flow.pipeline import filter as only_if


async def fails() -> str:
    raise ConnectionError("down")


async def test_fallback_value() -> None:
    assert await Pipeline(fallback("cached"))(fails) == "cached"


async def test_fallback_sync_callable_gets_the_exception() -> None:
    got = await Pipeline(fallback(lambda e: f"fallback for {type(e).__name__}"))(fails)
    assert got == "fallback for ConnectionError"


async def test_fallback_async_callable_is_awaited() -> None:
    async def recover(error: BaseException) -> str:
        return f"recovered from {error}"

    assert await Pipeline(fallback(recover))(fails) == "recovered from down"


async def test_fallback_ignores_unlisted_and_success() -> None:
    pipe = Pipeline(fallback(None, on=KeyError))
    with pytest.raises(ConnectionError):
        await pipe(fails)

    async def fine() -> str:
        return "fine"

    assert await pipe(fine) == "fine"


async def test_fallback_never_swallows_cancellation() -> None:
    async def cancelled() -> None:
        raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await Pipeline(fallback("x", on=BaseException))(cancelled)


async def test_fallback_callable_may_give_up() -> None:
    def refuse(error: BaseException) -> str:
        raise RuntimeError("no fallback") from error

    with pytest.raises(RuntimeError, match="no fallback"):
        await Pipeline(fallback(refuse))(fails)


async def test_filter_skips_the_call_and_returns_otherwise() -> None:
    calls: list[int] = []

    async def handle(n: int, *, scale: int = 1) -> int:
        calls.append(n)
        return n * scale

    pipe = Pipeline(only_if(lambda n, scale=1: n > 0, otherwise=0))
    assert await pipe(handle, 5, scale=3) == 15
    assert await pipe(handle, -5, scale=3) == 0
    assert calls == [5]


async def test_filter_async_predicate() -> None:
    async def allowed(name: str) -> bool:
        return name != "blocked"

    def greet(name: str) -> str:
        return f"hi {name}"

    pipe = Pipeline(only_if(allowed))
    assert await pipe(greet, "ann") == "hi ann"
    assert await pipe(greet, "blocked") is None


async def test_filter_outside_a_pipeline_calls_predicate_without_arguments() -> None:
    async def call() -> str:
        return "ran"

    assert await only_if(lambda: False, otherwise="skipped")(call) == "skipped"
    assert await only_if(lambda: True)(call) == "ran"


def test_filter_needs_a_callable() -> None:
    with pytest.raises(TypeError, match="predicate must be callable"):
        only_if(True)  # type: ignore[arg-type]
