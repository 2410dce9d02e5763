"""ctx: scopes, states, nesting, spawn (structured concurrency), disposables, contextvars."""

from __future__ import annotations

import asyncio
import threading

import pytest
from flow.errors import MissingStateError, StateError
from flow.state import State, ctx


class Settings(State):
    name: str


class Other(State):
    n: int = 0


class Resource:
    def __init__(self, name: str, log: list[str], fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    async def aclose(self) -> None:
        self.log.append(self.name)
        if self.fail:
            raise RuntimeError(f"{self.name} failed to close")


async def test_state_lookup_and_nested_override() -> None:
    async with ctx.scope("app", Settings(name="outer"), Other(n=1)):
        assert ctx.state(Settings).name == "outer"
        async with ctx.scope("request", Settings(name="inner")) as inner:
            assert ctx.state(Settings).name == "inner"
            assert ctx.state(Other).n == 1
            assert inner.path == "app/request"
        assert ctx.state(Settings).name == "outer"
    assert ctx.current is None


async def test_missing_state_names_the_type() -> None:
    with pytest.raises(MissingStateError, match="Settings"):
        ctx.state(Settings)
    async with ctx.scope("app", Other()):
        with pytest.raises(MissingStateError, match="no state of type Settings in scopes 'app'"):
            ctx.state(Settings)
        assert ctx.state(Settings, default=None) is None
        fallback = Settings(name="d")
        assert ctx.state(Settings, default=fallback) is fallback


async def test_two_states_of_one_type_in_one_scope_are_refused() -> None:
    with pytest.raises(StateError, match="two states"):
        ctx.scope("app", Other(n=1), Other(n=2))


async def test_spawned_tasks_see_the_scope_and_end_with_it() -> None:
    seen: list[str] = []

    async def work() -> None:
        await asyncio.sleep(0)
        seen.append(ctx.state(Settings).name)

    async with ctx.scope("app", Settings(name="s")):
        task = ctx.spawn(work())
    assert task.done()
    assert seen == ["s"]


async def test_failing_task_cancels_siblings_and_raises_exception_group() -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def sibling() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async def failing() -> None:
        await started.wait()
        raise ValueError("boom")

    with pytest.raises(ExceptionGroup) as info:  # noqa: PT012 - the scope body spawns the tasks
        async with ctx.scope("app"):
            ctx.spawn(sibling())
            ctx.spawn(failing())
    assert cancelled.is_set()
    assert [type(e) for e in info.value.exceptions] == [ValueError]


async def test_spawn_outside_a_scope_is_an_error() -> None:
    async def nothing() -> None:
        return None

    with pytest.raises(StateError, match="open scope"):
        ctx.spawn(nothing())


async def test_disposables_close_in_reverse_order_even_on_error() -> None:
    log: list[str] = []
    sync_closed: list[str] = []

    class SyncThing:
        def close(self) -> None:
            sync_closed.append("sync")
            log.append("sync")

    with pytest.raises(KeyError):
        async with ctx.scope(
            "app", disposables=(Resource("a", log), SyncThing(), Resource("c", log))
        ):
            raise KeyError("body failed")
    assert log == ["c", "sync", "a"]


async def test_a_failing_disposable_does_not_stop_the_others() -> None:
    log: list[str] = []
    with pytest.raises(RuntimeError, match="b failed"):
        async with ctx.scope("app", disposables=(Resource("a", log), Resource("b", log, True))):
            pass
    assert log == ["b", "a"]


async def test_non_disposable_is_refused() -> None:
    with pytest.raises(TypeError, match="not disposable"):
        async with ctx.scope("app", disposables=(42,)):
            pass


async def test_contextvars_across_threads() -> None:
    async with ctx.scope("app", Settings(name="t")):
        assert await ctx.to_thread(lambda: ctx.state(Settings).name) == "t"
        result: list[str] = []

        def read_in_thread() -> None:
            result.append(ctx.state(Settings).name)

        thread = threading.Thread(target=ctx.bind(read_in_thread))
        thread.start()
        thread.join()
        assert result == ["t"]
        plain: list[object] = []

        def read_plain() -> None:
            plain.append(ctx.state(Settings, default=None))

        raw = threading.Thread(target=read_plain)
        raw.start()
        raw.join()
        assert plain == [None]


async def test_scopes_in_concurrent_tasks_do_not_leak_into_each_other() -> None:
    async def handle(name: str) -> str:
        async with ctx.scope("request", Settings(name=name)):
            await asyncio.sleep(0)
            return ctx.state(Settings).name

    assert await asyncio.gather(*(handle(str(i)) for i in range(5))) == [str(i) for i in range(5)]
