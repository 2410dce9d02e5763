"""``load_value``: read back what an asset's IO manager stored."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

from ..errors import IOManagerError
from .io_managers import IOContext, resolve_io_manager
from .partitions import PartitionKey, serialize_partition
from .project import load_definitions
from .registry import Definitions

__all__ = ["load_value", "load_value_async"]


async def load_value_async(
    key: str, *, partition: PartitionKey | None = None, definitions: Definitions | None = None
) -> Any:
    """The value last stored for asset ``key`` (and ``partition``) by its IO manager."""
    defs = definitions if definitions is not None else load_definitions()
    asset = defs.get(key)
    manager = resolve_io_manager(asset.io_manager, defs.project_dir, defs.io_managers)
    text = None if partition is None else serialize_partition(partition)
    context = IOContext(key, partition, text)
    try:
        value = manager.load(context)
        if inspect.isawaitable(value):
            value = await value
    except IOManagerError:
        raise
    except Exception as exc:
        raise IOManagerError(
            f"io manager {asset.io_manager!r} could not load {context.where}: "
            f"{type(exc).__name__}: {exc}; materialize it first"
        ) from exc
    return value


def load_value(
    key: str, *, partition: PartitionKey | None = None, definitions: Definitions | None = None
) -> Any:
    """:func:`load_value_async` for synchronous programs."""
    return asyncio.run(load_value_async(key, partition=partition, definitions=definitions))
