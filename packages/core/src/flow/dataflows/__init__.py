"""Data flows: ``flows/<name>/flow.yml`` loading, the home → store runner, watermarks.

See ``docs/dataflows.md``. Providers implement :mod:`flow.dataflows.protocols`
(imported eagerly: it is small); the loader and runner are imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .protocols import (
    DEFAULT_BATCH_SIZE,
    Batch,
    EntitySpec,
    Home,
    HomeConfig,
    PublishResult,
    Store,
    StoreConfig,
)

if TYPE_CHECKING:
    from .config import EntityDefinition as EntityDefinition
    from .config import FlowDefinition as FlowDefinition
    from .config import discover_flows as discover_flows
    from .config import load_flow as load_flow
    from .config import load_flows as load_flows
    from .results import EntityProgress as EntityProgress
    from .results import EntityResult as EntityResult
    from .results import PlanRow as PlanRow
    from .results import RunResult as RunResult
    from .runner import Runner as Runner
    from .runner import is_transient as is_transient
    from .runner import plan as plan
    from .runner import run_flows as run_flows
    from .runner import run_flows_async as run_flows_async

_LAZY = {
    "EntityDefinition": ".config",
    "FlowDefinition": ".config",
    "discover_flows": ".config",
    "load_flow": ".config",
    "load_flows": ".config",
    "EntityProgress": ".results",
    "EntityResult": ".results",
    "PlanRow": ".results",
    "RunResult": ".results",
    "Runner": ".runner",
    "is_transient": ".runner",
    "plan": ".runner",
    "run_flows": ".runner",
    "run_flows_async": ".runner",
}

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "Batch",
    "EntityDefinition",
    "EntityProgress",
    "EntityResult",
    "EntitySpec",
    "FlowDefinition",
    "Home",
    "HomeConfig",
    "PlanRow",
    "PublishResult",
    "RunResult",
    "Runner",
    "Store",
    "StoreConfig",
    "discover_flows",
    "is_transient",
    "load_flow",
    "load_flows",
    "plan",
    "run_flows",
    "run_flows_async",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
