"""Loading data flows: ``flows/<name>/flow.yml`` into validated :class:`FlowDefinition` objects.

Flow-level fields (``flow.yml``): ``name``, ``description``, ``parallel``
(entities moved at once, default 4), ``retries`` (further tries after a
transient failure, default 2), ``retry_delay`` (seconds before the first
retry, doubling, default 1.0), ``defaults`` (entity fields merged under every
entity) and, for level 1, ``entities``.

Entity fields: ``home`` and ``store`` (mappings with an explicit ``type:``,
validated by the provider's ``config_model``), ``key`` (a column or list of
columns: the merge key), ``timestamp`` (the watermark column; needs ``key``),
``batch_size`` (rows per batch, default 65,536), ``enabled`` (default true),
``description``. See ``docs/dataflows.md``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pydantic

from ..errors import FlowDefinitionError, PluginError
from ._document import KeyPath
from ._layout import FlowFiles, RawEntity, discover, read_flow
from .protocols import DEFAULT_BATCH_SIZE, EntitySpec, Home, HomeConfig, Store, StoreConfig

if TYPE_CHECKING:
    from ..plugins import Kind, Registry

__all__ = [
    "EntityDefinition",
    "FlowDefinition",
    "check_name",
    "discover_flows",
    "load_flow",
    "load_flows",
]

_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_MAX_NAME = 128


@dataclass(frozen=True)
class EntityDefinition:
    """One validated entity: its spec for providers and the provider classes to use."""

    spec: EntitySpec
    home_class: type[Home]
    store_class: type[Store]
    enabled: bool = True
    description: str | None = None
    source: str = ""  # the file that defines it, for messages

    @property
    def name(self) -> str:
        """The entity name (a safe file name)."""
        return self.spec.name

    @property
    def asset_key(self) -> str:
        """The key its runs are recorded under in the metadata store: ``<flow>/<entity>``."""
        return f"{self.spec.flow}/{self.spec.name}"


@dataclass(frozen=True)
class FlowDefinition:
    """One validated data flow: its settings and entities, in file order."""

    name: str
    directory: Path
    level: int
    entities: tuple[EntityDefinition, ...]
    description: str | None = None
    parallel: int = 4
    retries: int = 2
    retry_delay: float = 1.0

    def entity(self, name: str) -> EntityDefinition:
        """The entity called ``name``; ``KeyError`` naming the known ones otherwise."""
        for entity in self.entities:
            if entity.name == name:
                return entity
        known = ", ".join(e.name for e in self.entities)
        raise KeyError(f"flow {self.name!r} has no entity {name!r}; its entities: {known}")


class _FlowFields(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str | None = None
    description: str | None = None
    parallel: pydantic.PositiveInt = 4
    retries: pydantic.NonNegativeInt = 2
    retry_delay: pydantic.NonNegativeFloat = 1.0
    defaults: dict[str, Any] | None = None
    entities: Any = None


class _EntityFields(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    home: dict[str, Any]
    store: dict[str, Any]
    key: str | list[str] | None = None
    timestamp: str | None = None
    batch_size: pydantic.PositiveInt = DEFAULT_BATCH_SIZE
    enabled: bool = True
    description: str | None = None


def check_name(name: object, what: str = "name") -> str:
    """``name`` if it is safe as a file name (``[A-Za-z0-9_][A-Za-z0-9_.-]*``, no ``..``)."""
    if (
        isinstance(name, str)
        and len(name) <= _MAX_NAME
        and _SAFE_NAME.fullmatch(name)
        and ".." not in name
    ):
        return name
    raise ValueError(
        f"{what} {name!r} is not a safe file name: use letters, digits, '_', '.', '-' "
        f"(not starting with '.' or '-', no '..', at most {_MAX_NAME} characters)"
    )


def discover_flows(project_dir: str | os.PathLike[str] | None = None) -> dict[str, Path]:
    """Flow name → directory for every flow under ``flows/`` and ``configs/flows/``."""
    return discover(Path(project_dir or Path.cwd()).absolute())


def load_flows(
    names: Sequence[str] | None = None,
    *,
    project_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
) -> list[FlowDefinition]:
    """Load the named flows (default: every flow of the project), validated, in name order.

    Raises :class:`~flow.errors.FlowDefinitionError` naming file, key path and
    line for anything invalid, or when a name matches no flow.
    """
    root = Path(project_dir or Path.cwd()).absolute()
    found = discover(root)
    if not found:
        raise FlowDefinitionError(
            f"no data flows in {root}: create flows/<name>/flow.yml with `entities:` "
            "(each with a home: and a store: of an explicit type:), see docs/dataflows.md"
        )
    wanted = list(names) if names else sorted(found)
    missing = [n for n in wanted if n not in found]
    if missing:
        raise FlowDefinitionError(
            f"no flow named {', '.join(map(repr, missing))} in {root}; "
            f"flows found: {', '.join(sorted(found))}"
        )
    return [load_flow(found[n], project_dir=root, env=env, registry=registry) for n in wanted]


def load_flow(
    directory: str | os.PathLike[str],
    *,
    project_dir: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    registry: Registry | None = None,
) -> FlowDefinition:
    """Load and validate the flow in ``directory`` (``env`` defaults to ``os.environ``)."""
    root = Path(project_dir or Path.cwd()).absolute()
    files = read_flow(Path(directory).absolute(), root, os.environ if env is None else env)
    fields = _flow_fields(files)
    name = fields.name or files.name
    try:
        check_name(name, "flow name")
    except ValueError as exc:
        raise files.flow.error(("name",) if fields.name else (), str(exc)) from None
    if registry is None:
        from ..plugins import get_registry

        registry = get_registry()
    entities = tuple(_entity(name, raw, root, registry) for raw in files.entities)
    return FlowDefinition(
        name=name,
        directory=files.directory,
        level=files.level,
        entities=entities,
        description=fields.description,
        parallel=fields.parallel,
        retries=fields.retries,
        retry_delay=fields.retry_delay,
    )


def _flow_fields(files: FlowFiles) -> _FlowFields:
    try:
        return _FlowFields.model_validate(files.flow.data)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        path = cast(KeyPath, tuple(error["loc"]))
        raise files.flow.error(path, _explain(error, _FlowFields)) from None


def _entity(flow: str, raw: RawEntity, root: Path, registry: Registry) -> EntityDefinition:
    try:
        check_name(raw.name, "entity name")
    except ValueError as exc:
        raise raw.error((), str(exc)) from None
    try:
        fields = _EntityFields.model_validate(raw.data)
    except pydantic.ValidationError as exc:
        raise _entity_errors(raw, exc, (), _EntityFields) from None
    key = (fields.key,) if isinstance(fields.key, str) else tuple(fields.key or ()) or None
    if fields.timestamp is not None and key is None:
        raise raw.error(
            ("timestamp",),
            "an incremental entity (with `timestamp:`) also needs `key:`: the store merges on "
            "it so that a rerun after a crash never duplicates rows",
        )
    home_class = cast("type[Home]", _provider(raw, "home", fields.home, registry))
    store_class = cast("type[Store]", _provider(raw, "store", fields.store, registry))
    home = cast(HomeConfig, _validate(raw, "home", fields.home, home_class.config_model))
    store = cast(StoreConfig, _validate(raw, "store", fields.store, store_class.config_model))
    spec = EntitySpec(
        flow=flow,
        name=raw.name,
        home=home,
        store=store,
        key=key,
        timestamp=fields.timestamp,
        batch_size=fields.batch_size,
        project_dir=root,
    )
    source = raw.layers[0].document.file
    return EntityDefinition(
        spec, home_class, store_class, fields.enabled, fields.description, source
    )


def _provider(raw: RawEntity, side: str, config: dict[str, Any], registry: Registry) -> type:
    kind: Kind = "homes" if side == "home" else "stores"
    name = config.get("type")
    if not isinstance(name, str) or not name:
        known = ", ".join(registry.names(kind)) or "none installed"
        raise raw.error(
            (side, "type") if "type" in config else (side,),
            f"`{side}` needs an explicit `type:` (known {side} types: {known})",
        )
    try:
        target = registry.resolve(kind, name)
    except PluginError as exc:
        raise raw.error((side, "type"), str(exc)) from None
    model = getattr(target, "config_model", None)
    if not isinstance(target, type) or not (
        isinstance(model, type) and issubclass(model, pydantic.BaseModel)
    ):
        raise raw.error(
            (side, "type"),
            f"{side} type {name!r} is registered as {target!r}, which has no pydantic "
            "`config_model`; the plugin is broken: report it to its authors",
        )
    return target


def _validate(
    raw: RawEntity, side: str, config: dict[str, Any], model: type[pydantic.BaseModel]
) -> pydantic.BaseModel:
    try:
        return model.model_validate(config)
    except pydantic.ValidationError as exc:
        raise _entity_errors(raw, exc, (side,), model) from None


def _entity_errors(
    raw: RawEntity, exc: pydantic.ValidationError, base: KeyPath, model: type[pydantic.BaseModel]
) -> FlowDefinitionError:
    """One error carrying every problem, each on its own line with file and line."""
    problems = [
        raw.error((*base, *cast(KeyPath, tuple(e["loc"]))), _explain(e, model))
        for e in exc.errors()
    ]
    first = problems[0]
    if len(problems) == 1:
        return first
    message = f"{len(problems)} problems in entity {raw.name!r}:\n" + "\n".join(
        f"  {p}" for p in problems
    )
    return FlowDefinitionError(message, file=first.file, line=first.line, key=first.key)


def _explain(error: Any, model: type[pydantic.BaseModel]) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        known = ", ".join(sorted(model.model_fields))
        return f"unknown field; the known fields are: {known}"
    if kind == "missing":
        return "required field is missing"
    return f"{error.get('msg', 'invalid value')} (got {error.get('input')!r})"
