"""``fallback``: answer with a stand-in value when the call fails."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from ._stage import ExceptionTypes, exception_types

__all__ = ["Fallback", "fallback"]

T = TypeVar("T")


class Fallback:
    """The stage built by :func:`fallback`."""

    __slots__ = ("on", "value")

    def __init__(self, value: object, on: tuple[type[BaseException], ...]) -> None:
        self.value = value
        self.on = on

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        try:
            return await call()
        except asyncio.CancelledError:
            raise  # even with on=(BaseException,): cancellation is never swallowed
        except self.on as error:
            if not callable(self.value):
                return cast(T, self.value)
            result = self.value(error)
            if inspect.isawaitable(result):
                result = await result
            return cast(T, result)

    def __repr__(self) -> str:
        return f"fallback({self.value!r})"


def fallback(value_or_callable: Any, *, on: ExceptionTypes = (Exception,)) -> Fallback:
    """On a listed exception, return a stand-in instead of raising.

    A non-callable is returned as is. A callable is called with the exception
    and its result (awaited if awaitable) is returned; it may raise to give up.
    To return a callable itself, wrap it: ``fallback(lambda _: handler)``.
    ``asyncio.CancelledError`` always propagates.
    """
    return Fallback(value_or_callable, exception_types(on, "fallback()"))
