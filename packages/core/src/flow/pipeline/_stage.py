"""What a stage is, and the call object that flows through the stages."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

__all__ = ["Call", "ExceptionTypes", "Stage", "exception_types"]

T = TypeVar("T")

#: What the ``on=`` parameter of a stage accepts: one exception class or a tuple of them.
ExceptionTypes = type[BaseException] | tuple[type[BaseException], ...]


class Stage(Protocol):
    """One layer around a call: gets a zero-argument ``call`` and returns its result.

    A stage may call ``call()`` never (filter, open breaker), once (timeout) or
    several times (retry); each ``call()`` runs the rest of the pipeline and the
    function again. A :class:`~flow.pipeline.Pipeline` is itself a stage.
    """

    def __call__(self, call: Callable[[], Awaitable[T]], /) -> Awaitable[T]:
        """Run ``call`` (or decline to) and return its result; ``async def`` fits."""
        ...


class Call:
    """The function and its arguments, callable with no arguments.

    Stages that need the arguments (``filter``) read :attr:`args` and
    :attr:`kwargs`; the rest only call it. A sync function is called directly
    and its result returned as is.
    """

    __slots__ = ("args", "fn", "kwargs")

    def __init__(
        self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def __call__(self) -> Awaitable[Any]:
        return _run(self.fn, self.args, self.kwargs)

    def __repr__(self) -> str:
        return f"Call({getattr(self.fn, '__qualname__', self.fn)!r})"


class Staged(Call):
    """A call wrapped by one stage: calling it runs ``stage(inner)``; arguments stay visible."""

    __slots__ = ("inner", "stage")

    def __init__(self, stage: Stage, inner: Call) -> None:
        super().__init__(inner.fn, inner.args, inner.kwargs)
        self.stage = stage
        self.inner = inner

    def __call__(self) -> Awaitable[Any]:
        return self.stage(self.inner)


async def _run(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        return await result
    return result


def exception_types(on: ExceptionTypes, where: str) -> tuple[type[BaseException], ...]:
    """Normalise an ``on=`` argument to a tuple of exception classes, or say what is wrong."""
    types = on if isinstance(on, tuple) else (on,)
    for item in types:
        if not (isinstance(item, type) and issubclass(item, BaseException)):
            raise TypeError(
                f"{where}: on= takes exception classes (or a tuple of them), got {item!r}; "
                "for example on=(ConnectionError, TimeoutError)"
            )
    return types
