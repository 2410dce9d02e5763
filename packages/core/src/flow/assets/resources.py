"""Resources: what assets declare in ``resources=[...]`` and receive through ``ctx``.

For each declared type the run looks, in order, for a state of that type in
the caller's ``ctx`` scopes, then in ``Definitions(resources=...)``: a value of
that type is used as is; a factory (a callable, e.g. the class itself, or an
``async def``) is called once per run, and what it returns is entered when it
is a context manager and closed after the run when it has ``close()`` /
``aclose()``. A resource that fails to set up fails only the assets that
declare it, with an error naming the resource.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from contextlib import AsyncExitStack
from typing import Any

from ..state.ctx import ctx
from .registry import Definitions

__all__ = ["setup_resources"]


async def setup_resources(
    defs: Definitions, kinds: Iterable[type], stack: AsyncExitStack
) -> tuple[dict[type, Any], dict[type, str]]:
    """Values and setup errors (by type) for ``kinds``; disposables go on ``stack``."""
    values: dict[type, Any] = {}
    errors: dict[type, str] = {}
    for kind in dict.fromkeys(kinds):
        found = ctx.state(kind, default=None)
        if found is not None:
            values[kind] = found
            continue
        spec = _spec(defs, kind)
        if spec is None:
            errors[kind] = (
                f"resource {kind.__name__} is not provided: add it to Definitions(resources="
                f"{{{kind.__name__}: ...}}) or open ctx.scope(..., {kind.__name__}(...)) around "
                "the run"
            )
            continue
        try:
            values[kind] = await _make(spec, kind, stack)
        except Exception as exc:
            errors[kind] = f"resource {kind.__name__} failed to set up: {type(exc).__name__}: {exc}"
    return values, errors


def _spec(defs: Definitions, kind: type) -> Any:
    if kind in defs.resources:
        return defs.resources[kind]
    for value in defs.resources.values():
        if isinstance(value, kind):
            return value
    return None


async def _make(spec: Any, kind: type, stack: AsyncExitStack) -> Any:
    if isinstance(spec, kind) or not callable(spec):
        return spec
    made = spec()
    if inspect.isawaitable(made):
        made = await made
    if hasattr(made, "__aenter__"):
        return await stack.enter_async_context(made)
    if hasattr(made, "__enter__"):
        return stack.enter_context(made)
    aclose = getattr(made, "aclose", None)
    close = getattr(made, "close", None)
    if callable(aclose):
        stack.push_async_callback(aclose)
    elif callable(close):
        stack.callback(close)
    return made
