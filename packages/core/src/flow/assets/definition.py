"""``@asset`` and the :class:`Asset` it makes: key, dependencies, and how to call the function."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, overload

from ..errors import AssetDefinitionError
from .keys import check_key, param_name
from .partitions import PartitionsDefinition

__all__ = ["Asset", "asset"]

CONTEXT_PARAM = "context"


@dataclass(frozen=True, eq=False, slots=True)
class Asset:
    """A named data artifact: its dependencies and the function that computes it.

    Calling an ``Asset`` calls its function unchanged (handy in unit tests).
    """

    key: str
    fn: Callable[..., Any]
    deps: tuple[str, ...] = ()
    optional_deps: tuple[str, ...] = ()
    partitions: PartitionsDefinition | None = None
    io_manager: str = "memory"
    resources: tuple[type, ...] = ()
    sources: tuple[str, ...] = ()
    #: Keys produced outside this DAG (e.g. a data-flow entity ``shop/orders``): recorded as
    #: lineage of every materialization, never run or loaded.
    external_deps: tuple[str, ...] = ()
    description: str | None = None
    #: upstream key -> parameter that receives its value (only those the function takes).
    inputs: dict[str, str] = field(default_factory=dict)
    wants_context: bool = False
    is_async: bool = False
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("flow.assets"))

    @property
    def module(self) -> str:
        """The module that defines the function."""
        return str(getattr(self.fn, "__module__", "?"))

    @property
    def origin(self) -> str:
        """``module:qualname`` of the function (used in messages)."""
        return f"{self.module}:{getattr(self.fn, '__qualname__', repr(self.fn))}"

    @property
    def all_deps(self) -> tuple[str, ...]:
        """Required then optional dependency keys."""
        return self.deps + self.optional_deps

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Asset({self.key!r}, deps={list(self.all_deps)!r}, fn={self.origin})"


@overload
def asset(fn: Callable[..., Any], /) -> Asset: ...


@overload
def asset(
    name: str | None = None,
    *,
    deps: Iterable[str] = (),
    optional_deps: Iterable[str] = (),
    partitions: PartitionsDefinition | None = None,
    io_manager: str = "memory",
    resources: Iterable[type] = (),
    sources: Iterable[str] = (),
    external_deps: Iterable[str] = (),
    description: str | None = None,
    register: bool = True,
) -> Callable[[Callable[..., Any]], Asset]: ...


def asset(
    name: str | Callable[..., Any] | None = None,
    *,
    deps: Iterable[str] = (),
    optional_deps: Iterable[str] = (),
    partitions: PartitionsDefinition | None = None,
    io_manager: str = "memory",
    resources: Iterable[type] = (),
    sources: Iterable[str] = (),
    external_deps: Iterable[str] = (),
    description: str | None = None,
    register: bool = True,
) -> Asset | Callable[[Callable[..., Any]], Asset]:
    """Declare a sync or async function as an asset (``@asset`` or ``@asset(...)``).

    The key is ``name`` or the function's name. Upstream values arrive in the
    parameters named like their keys (``/`` becomes ``__``); a parameter named
    ``context`` receives the :class:`~flow.assets.context.AssetContext`. A
    missing optional dependency arrives as ``None``. ``external_deps`` names keys
    made outside the DAG (a data flow's ``flow/entity``): they appear in lineage
    (``flow lineage downstream shop/orders``) but are never run or loaded. With
    ``register`` (the default) the asset joins the process's default registry.
    """
    if callable(name):
        return _build(name, None, (), (), None, "memory", (), (), (), None, register=True)

    def decorate(fn: Callable[..., Any]) -> Asset:
        return _build(
            fn,
            name,
            deps,
            optional_deps,
            partitions,
            io_manager,
            resources,
            sources,
            external_deps,
            description,
            register=register,
        )

    return decorate


def _build(
    fn: Callable[..., Any],
    name: str | None,
    deps: Iterable[str],
    optional_deps: Iterable[str],
    partitions: PartitionsDefinition | None,
    io_manager: str,
    resources: Iterable[type],
    sources: Iterable[str],
    external_deps: Iterable[str],
    description: str | None,
    *,
    register: bool,
) -> Asset:
    where = f"@asset on {getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
    if not callable(fn):
        raise AssetDefinitionError(f"{where}: @asset decorates a function, got {fn!r}")
    key = check_key(
        name if name is not None else getattr(fn, "__name__", None), f"{where}: asset key"
    )
    required = _keys(deps, f"{where}: dependency")
    optional = _keys(optional_deps, f"{where}: optional dependency")
    both = set(required) & set(optional)
    if both:
        raise AssetDefinitionError(f"{where}: {sorted(both)} listed in deps and optional_deps")
    if key in required or key in optional:
        raise AssetDefinitionError(f"{where}: asset {key!r} cannot depend on itself")
    external = _keys(external_deps, f"{where}: external dependency")
    if set(external) & {key, *required, *optional}:
        raise AssetDefinitionError(
            f"{where}: {sorted(set(external) & {key, *required, *optional})} cannot be both "
            "an asset dependency (or the asset itself) and an external dependency"
        )
    if partitions is not None and not isinstance(partitions, PartitionsDefinition):
        raise AssetDefinitionError(
            f"{where}: partitions must be a PartitionsDefinition (StaticPartitions, "
            f"DailyPartitions, ...), got {partitions!r}"
        )
    if not isinstance(io_manager, str) or not io_manager:
        raise AssetDefinitionError(f"{where}: io_manager must be a registered name like 'fs'")
    inputs, wants_context = _signature(fn, (*required, *optional), where)
    made = Asset(
        key=key,
        fn=fn,
        deps=required,
        optional_deps=optional,
        partitions=partitions,
        io_manager=io_manager,
        resources=_resources(resources, where),
        sources=_sources(sources, where),
        external_deps=external,
        description=description if description is not None else inspect.getdoc(fn),
        inputs=inputs,
        wants_context=wants_context,
        is_async=inspect.iscoroutinefunction(fn),
        log=logging.getLogger(f"flow.assets.{key.replace('/', '.')}"),
    )
    if register:
        from .registry import default_registry

        default_registry().add(made)
    return made


def _keys(values: Iterable[str], where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        if isinstance(value, Asset):
            value = value.key
        key = check_key(value, where)
        if key not in out:
            out.append(key)
    return tuple(out)


def _signature(
    fn: Callable[..., Any], deps: tuple[str, ...], where: str
) -> tuple[dict[str, str], bool]:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError) as exc:
        raise AssetDefinitionError(f"{where}: cannot read the signature: {exc}") from None
    by_param = {param_name(dep): dep for dep in deps}
    inputs: dict[str, str] = {}
    wants_context = False
    takes_kwargs = False
    for param in params.values():
        if param.kind is param.VAR_KEYWORD:
            takes_kwargs = True
        elif param.kind in (param.VAR_POSITIONAL, param.POSITIONAL_ONLY):
            raise AssetDefinitionError(
                f"{where}: parameter {param.name!r} is positional-only or *args; asset "
                "functions take `context` and upstream values by keyword"
            )
        elif param.name == CONTEXT_PARAM:
            wants_context = True
        elif param.name in by_param:
            inputs[by_param[param.name]] = param.name
        elif param.default is param.empty:
            raise AssetDefinitionError(
                f"{where}: parameter {param.name!r} is neither `context` nor a dependency; "
                f"add it to deps=[{param.name!r}] (or give it a default)"
            )
    if takes_kwargs:
        for dep in deps:
            inputs.setdefault(dep, param_name(dep))
    return inputs, wants_context


def _resources(values: Iterable[type], where: str) -> tuple[type, ...]:
    out = tuple(values)
    for value in out:
        if not isinstance(value, type):
            raise AssetDefinitionError(
                f"{where}: resources lists types (a State subclass or a resource class), "
                f"got {value!r}"
            )
    return out


def _sources(values: Iterable[str], where: str) -> tuple[str, ...]:
    from ..errors import SourceURIError
    from ..live.uri import SourceURI

    if isinstance(values, str):
        values = [values]
    out = tuple(values)
    for uri in out:
        try:
            SourceURI.parse(uri)
        except SourceURIError as exc:
            raise AssetDefinitionError(f"{where}: source {exc}") from None
    return out
