"""``ctx``: scoped context — states and resources for the code inside ``ctx.scope(...)``.

Scopes nest (an inner scope's state of a type overrides an outer one), and
live in a ``ContextVar``, so they follow the code into tasks and into threads
started through ``ctx``. Tasks spawned in a scope end with it (structured
concurrency on :class:`asyncio.TaskGroup`): a failing task cancels its
siblings and the failures surface as an ``ExceptionGroup``. Disposables are
closed in reverse order when the scope ends, even when it ends in error.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, overload

from ..errors import MissingStateError, StateError

__all__ = ["Context", "Scope", "ctx"]

T = TypeVar("T")
P = ParamSpec("P")
_NO_DEFAULT: Any = object()
_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar("flow_scope", default=None)


class Scope:
    """One ``async with ctx.scope(...)`` block: its name, states, tasks and disposables."""

    def __init__(
        self, name: str, states: tuple[object, ...], disposables: Iterable[object]
    ) -> None:
        self.name = name
        self.parent: Scope | None = None
        self._states: dict[type, object] = {}
        for state in states:
            if type(state) in self._states:
                raise StateError(
                    f"scope {name!r} got two states of type {type(state).__name__}; "
                    "give one, or nest a scope to override"
                )
            self._states[type(state)] = state
        self._disposables = tuple(disposables)
        self._stack = AsyncExitStack()
        self._group: asyncio.TaskGroup | None = None
        self._token: contextvars.Token[Scope | None] | None = None

    @property
    def path(self) -> str:
        """Names of the enclosing scopes and this one, outermost first (``app/request``)."""
        names, scope = [], self
        while scope is not None:
            names.append(scope.name)
            scope = scope.parent  # type: ignore[assignment]
        return "/".join(reversed(names))

    def find(self, kind: type[T]) -> T | None:
        """The nearest state that is a ``kind`` (exact type first in each scope)."""
        scope: Scope | None = self
        while scope is not None:
            exact = scope._states.get(kind)
            if exact is not None:
                return exact  # type: ignore[return-value]
            for state in reversed(scope._states.values()):
                if isinstance(state, kind):
                    return state
            scope = scope.parent
        return None

    async def __aenter__(self) -> Scope:
        if self._token is not None:
            raise StateError(f"scope {self.name!r} is already open; create a new one")
        self.parent = _current.get()
        try:
            for disposable in self._disposables:
                await _register(self._stack, disposable)
            self._group = asyncio.TaskGroup()
            await self._group.__aenter__()
        except BaseException:
            await self._stack.aclose()
            raise
        self._token = _current.set(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        assert self._group is not None
        assert self._token is not None
        try:
            # The task group waits for spawned tasks; it cancels them when the body
            # failed, and raises an ExceptionGroup when any of them failed.
            await self._group.__aexit__(exc_type, exc, tb)
            return None
        except BaseExceptionGroup as group:
            # TaskGroup wraps the body's own error too; when no task failed, let the
            # body's exception propagate unchanged.
            if exc is not None and len(group.exceptions) == 1 and group.exceptions[0] is exc:
                return False
            raise
        finally:
            try:
                _current.reset(self._token)
            except ValueError:
                _current.set(self.parent)  # exited from another context: restore by hand
            await self._stack.aclose()

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run ``coro`` as a task that belongs to this scope."""
        if self._group is None:
            coro.close()
            raise StateError(f"scope {self.name!r} is not open; spawn inside `async with`")
        return self._group.create_task(coro, name=name)


async def _register(stack: AsyncExitStack, disposable: object) -> None:
    aclose = getattr(disposable, "aclose", None)
    close = getattr(disposable, "close", None)
    if callable(aclose):
        stack.push_async_callback(aclose)
    elif callable(close):
        stack.callback(close)
    elif hasattr(disposable, "__aenter__"):
        await stack.enter_async_context(disposable)  # type: ignore[arg-type]
    elif hasattr(disposable, "__enter__"):
        stack.enter_context(disposable)  # type: ignore[arg-type]
    elif callable(disposable):
        stack.callback(disposable)
    else:
        raise TypeError(
            f"{disposable!r} is not disposable: give an object with aclose() or close(), "
            "a context manager, or a callable"
        )


class Context:
    """The ``ctx`` object: open scopes, read states, spawn tasks and threads."""

    def scope(self, name: str, *states: object, disposables: Iterable[object] = ()) -> Scope:
        """A scope named ``name`` providing ``states``; use it with ``async with``.

        ``disposables`` are objects with ``aclose()`` or ``close()``, context
        managers (entered now), or callables; they are closed in reverse order
        when the scope ends, whatever way it ends.
        """
        return Scope(name, states, disposables)

    @property
    def current(self) -> Scope | None:
        """The innermost open scope here (None outside every scope)."""
        return _current.get()

    @overload
    def state(self, kind: type[T]) -> T: ...

    @overload
    def state(self, kind: type[T], *, default: None) -> T | None: ...

    @overload
    def state(self, kind: type[T], *, default: T) -> T: ...

    def state(self, kind: type[T], *, default: Any = _NO_DEFAULT) -> Any:
        """The nearest state of type ``kind``; ``default`` (when given) if there is none."""
        scope = _current.get()
        found = scope.find(kind) if scope is not None else None
        if found is not None:
            return found
        if default is not _NO_DEFAULT:
            return default
        where = f"scopes {scope.path!r}" if scope is not None else "no open scope"
        raise MissingStateError(
            f"no state of type {kind.__name__} in {where}; provide it with "
            f"ctx.scope(name, {kind.__name__}(...)) or pass default="
        )

    def spawn(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run ``coro`` as a task of the innermost scope (it ends with that scope)."""
        scope = _current.get()
        if scope is None:
            coro.close()
            raise StateError("ctx.spawn() needs an open scope: `async with ctx.scope(...)`")
        return scope.spawn(coro, name=name)

    def to_thread(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
        """Run ``fn`` in a worker thread that sees the current scopes (contextvars copied)."""
        return asyncio.to_thread(fn, *args, **kwargs)

    def bind(self, fn: Callable[P, T]) -> Callable[P, T]:
        """``fn`` wrapped to run in a copy of the current context (for threads you start)."""
        context = contextvars.copy_context()

        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return context.run(fn, *args, **kwargs)

        return run


#: Scoped context: ``async with ctx.scope("app", settings): ctx.state(Settings)``.
ctx = Context()
