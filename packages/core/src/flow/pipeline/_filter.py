"""``filter``: skip the call when a predicate on its arguments says no."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from ._stage import Call

__all__ = ["Filter", "filter"]

T = TypeVar("T")


class Filter:
    """The stage built by :func:`filter`."""

    __slots__ = ("otherwise", "predicate")

    def __init__(self, predicate: Callable[..., Any], otherwise: object) -> None:
        self.predicate = predicate
        self.otherwise = otherwise

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        if isinstance(call, Call):
            verdict = self.predicate(*call.args, **call.kwargs)
        else:  # a bare zero-argument call from outside a Pipeline
            verdict = self.predicate()
        if inspect.isawaitable(verdict):
            verdict = await verdict
        if not verdict:
            return cast(T, self.otherwise)
        return await call()

    def __repr__(self) -> str:
        return f"filter({self.predicate!r})"


# The name shadows the builtin inside this module on purpose: flow.pipeline.filter
# is the public name the design fixes. (Ruff's A001 is not enabled, so no noqa.)
def filter(predicate: Callable[..., Any], *, otherwise: Any = None) -> Filter:
    """Make the call only when ``predicate(*args, **kwargs)`` is true; else return ``otherwise``.

    The predicate sees the arguments the pipeline was called with and may be
    async. When it is false, nothing further in the pipeline runs.
    """
    if not callable(predicate):
        raise TypeError(f"filter(): predicate must be callable, got {predicate!r}")
    return Filter(predicate, otherwise)
