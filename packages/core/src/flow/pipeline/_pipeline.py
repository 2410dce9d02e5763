"""``Pipeline``: stages composed around a call, outermost first."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from types import CoroutineType
from typing import Any, ParamSpec, TypeVar, overload

from ._stage import Call, Stage, Staged

__all__ = ["Pipeline"]

P = ParamSpec("P")
T = TypeVar("T")


class Pipeline:
    """Composable async stages around an action.

    ``Pipeline(retry(3), timeout(2.0), circuit_breaker(5, 30.0))`` lists stages
    outermost first: here every try gets its own 2 s timeout, and each try
    counts towards the breaker. ``await pipe(fn, *args, **kwargs)`` runs ``fn``
    through the stages; ``fn`` may be async or a plain sync callable (called
    directly, on the event loop's thread). A Pipeline is itself a stage, so
    pipelines nest. ``Pipeline()`` with no stages just calls ``fn``.

    Stages keep their state (a breaker's failure count, a rate limiter's
    tokens) in the stage object, so every call through one pipeline shares it.
    """

    __slots__ = ("_stages",)

    def __init__(self, *stages: Stage) -> None:
        for index, stage in enumerate(stages):
            _check_stage(index, stage)
        self._stages = stages

    @property
    def stages(self) -> tuple[Stage, ...]:
        """The stages, outermost first."""
        return self._stages

    @overload
    def __call__(
        self, fn: Callable[P, Awaitable[T]], /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, T]: ...

    @overload
    def __call__(
        self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
    ) -> Coroutine[Any, Any, T]: ...

    def __call__(
        self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Coroutine[Any, Any, Any]:
        """Run ``fn(*args, **kwargs)`` through the stages; await the result.

        Returns a coroutine (so ``asyncio.create_task(pipe(fn))`` works) but is
        not itself a coroutine function: with no stages it hands back ``fn``'s
        own coroutine, so the config hot path pays for no extra frame. A sync
        ``fn`` is therefore called right here, when the pipeline is called.
        """
        stages = self._stages
        if not stages:
            result = fn(*args, **kwargs)
            if type(result) is CoroutineType:
                return result
            return _settle(result)
        # A Call handed in by an outer pipeline keeps its arguments (for filter).
        call = fn if isinstance(fn, Call) and not args and not kwargs else Call(fn, args, kwargs)
        for stage in reversed(stages[1:]):
            call = Staged(stage, call)
        outer = stages[0](call)
        return outer if type(outer) is CoroutineType else _settle(outer)

    @overload
    def wrap(
        self, fn: Callable[P, Coroutine[Any, Any, T]]
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def wrap(self, fn: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]: ...

    @overload
    def wrap(self, fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def wrap(self, fn: Callable[P, Any]) -> Callable[P, Coroutine[Any, Any, Any]]:
        """An async function that calls ``fn`` through this pipeline.

        An empty pipeline returns an async ``fn`` itself (nothing to add).
        """
        if not self._stages and inspect.iscoroutinefunction(fn):
            return fn

        @functools.wraps(fn)
        async def wrapped(*args: P.args, **kwargs: P.kwargs) -> Any:
            return await self(fn, *args, **kwargs)

        return wrapped

    def __repr__(self) -> str:
        return f"Pipeline({', '.join(map(repr, self._stages))})"


async def _settle(result: Any) -> Any:
    """Await ``result`` if it is awaitable (a sync function's value is returned as is)."""
    if inspect.isawaitable(result):
        return await result
    return result


def _check_stage(index: int, stage: object) -> None:
    if inspect.isfunction(stage) and stage.__module__.startswith("flow.pipeline"):
        # The easy slip: Pipeline(retry) instead of Pipeline(retry(3)).
        raise TypeError(
            f"Pipeline stage #{index + 1} is the factory {stage.__name__}, not a stage; "
            f"call it, e.g. Pipeline({stage.__name__}(...))"
        )
    if not callable(stage):
        raise TypeError(
            f"Pipeline stage #{index + 1} is {stage!r}, which is not a stage; stages are "
            "async callables taking one zero-argument call (retry(3), timeout(2.0), ...)"
        )
