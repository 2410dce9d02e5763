"""The contract between the data-flow runner and its providers (homes and stores).

A provider distribution (``flow-io-parquet``, ``flow-io-csv``, ``flow-io-sql``, …)
implements :class:`Home` and/or :class:`Store` and registers the classes through the
``flow_register_homes`` / ``flow_register_stores`` hooks under their ``type:`` name.

Core never looks inside a batch: any object with ``num_rows`` (a
``pyarrow.RecordBatch`` in practice) is handed from the home to the store as is.
This module must not import pyarrow or any provider library.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

import pydantic

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Batch",
    "EntitySpec",
    "Home",
    "HomeConfig",
    "PublishResult",
    "Store",
    "StoreConfig",
]

DEFAULT_BATCH_SIZE = 65_536


@runtime_checkable
class Batch(Protocol):
    """What flows from a home to a store: anything with a row count (a ``pyarrow.RecordBatch``)."""

    # A read-only property, so that both plain attributes and properties satisfy it.
    @property
    def num_rows(self) -> int:
        """How many rows the batch holds."""


class HomeConfig(pydantic.BaseModel):
    """Base of a home's per-type config; providers subclass it and add their fields."""

    model_config = pydantic.ConfigDict(extra="forbid")

    type: str


class StoreConfig(pydantic.BaseModel):
    """Base of a store's per-type config; providers subclass it and add their fields."""

    model_config = pydantic.ConfigDict(extra="forbid")

    type: str


@dataclass(frozen=True)
class EntitySpec:
    """Everything a provider is told about one entity of one data flow.

    ``home`` and ``store`` are already validated with the provider's
    ``config_model``; ``key`` is the merge key of an incremental entity and
    ``timestamp`` its watermark column.
    """

    flow: str
    name: str
    home: HomeConfig
    store: StoreConfig
    key: tuple[str, ...] | None = None
    timestamp: str | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    project_dir: Path = Path(".")

    def resolve(self, path: str | Path) -> Path:
        """``path`` made absolute against the project directory (absolute paths are kept)."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.project_dir / candidate

    def home_as(self, model: type[_H], error: type[Exception]) -> _H:
        """``home``, checked to be the provider's ``model``; else raises ``error`` saying so."""
        return _checked(self, "home", self.home, model, error)

    def store_as(self, model: type[_S], error: type[Exception]) -> _S:
        """``store``, checked to be the provider's ``model``; else raises ``error`` saying so."""
        return _checked(self, "store", self.store, model, error)


_H = TypeVar("_H", bound=HomeConfig)
_S = TypeVar("_S", bound=StoreConfig)
_C = TypeVar("_C", bound=pydantic.BaseModel)


def _checked(
    spec: EntitySpec, side: str, config: object, model: type[_C], error: type[Exception]
) -> _C:
    if not isinstance(config, model):
        raise error(
            f"entity {spec.name!r}: this {side} needs a {model.__name__}, "
            f"got {type(config).__name__}"
        )
    return config


@dataclass(frozen=True)
class PublishResult:
    """What :meth:`Store.publish` reports.

    ``rows`` counts the rows written by this run; ``max_timestamp`` is the
    largest value of the entity's ``timestamp`` column among them (``None``
    when there were none or the entity has no timestamp): the runner stores it
    as the new watermark. ``bytes`` is the published size when known.
    """

    rows: int
    max_timestamp: Any | None = None
    bytes: int | None = None


class Home(Protocol):
    """Where a data flow reads an entity from."""

    config_model: ClassVar[type[HomeConfig]]

    def __init__(self, spec: EntitySpec) -> None: ...

    # Declared without ``async`` so that an ``async def`` generator (the
    # natural implementation) matches: calling it returns the async iterator.
    def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[Batch]:
        """Yield the rows as batches; with ``after`` set, only rows whose timestamp is later."""
        ...

    def describe(self) -> str:
        """A short name for lineage and progress, without secrets (``"parquet:data/orders"``)."""
        ...


class Store(Protocol):
    """Where a data flow writes an entity to, through staging and an atomic publish."""

    config_model: ClassVar[type[StoreConfig]]

    def __init__(self, spec: EntitySpec) -> None: ...

    async def begin(self, *, full_refresh: bool) -> None:
        """Create an empty staging area (``full_refresh``: publish will replace everything)."""

    async def write(self, batch: Batch) -> None:
        """Append ``batch`` to staging; nothing written here is visible before :meth:`publish`."""

    async def publish(self) -> PublishResult:
        """Make staging visible atomically (upsert on ``spec.key``, else replace/append)."""
        ...

    async def abort(self) -> None:
        """Remove staging; idempotent; called between retries and on failure or cancellation."""

    def describe(self) -> str:
        """A short name for lineage and progress, without secrets (``"parquet:out/orders"``)."""
        ...
