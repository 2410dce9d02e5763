"""Flow: live state and data.

The public API is re-exported here; names are imported on first use so that
``import flow`` stays cheap and never imports a provider's client library.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__
from .errors import (
    ApplyError,
    ApprovalError,
    AssetDefinitionError,
    AssetError,
    BoundPathError,
    CapacitorError,
    CircuitOpenError,
    CodecError,
    ConfigError,
    ConfigSourceError,
    DataFlowError,
    DependencyNotReady,
    FlowDefinitionError,
    FlowError,
    ImmutableError,
    IOManagerError,
    MissingStateError,
    PartitionError,
    PipelineError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    RateLimitExceeded,
    ResourceError,
    SchemaVersionError,
    SourceAuthError,
    SourceError,
    SourceTypeError,
    SourceURIError,
    StartupTimeout,
    StateError,
    StoreBusyError,
    StoreError,
    StoreURLError,
    UnknownPathError,
    UnknownProviderError,
    UnknownRecordError,
    ValidationFailed,
)
from .plugins import hookimpl

# A library logs, it does not print: without this, Python's last-resort handler
# would write Flow's warnings to stderr in programs that never configured logging.
logging.getLogger("flow").addHandler(logging.NullHandler())

if TYPE_CHECKING:
    from . import events as events
    from . import plugins as plugins
    from . import testing as testing
    from .assets.approvals import approve as approve
    from .assets.approvals import reject as reject
    from .assets.context import AssetContext as AssetContext
    from .assets.definition import Asset as Asset
    from .assets.definition import asset as asset
    from .assets.execution import backfill as backfill
    from .assets.execution import backfill_async as backfill_async
    from .assets.execution import materialize as materialize
    from .assets.execution import materialize_all as materialize_all
    from .assets.execution import materialize_all_async as materialize_all_async
    from .assets.execution import materialize_async as materialize_async
    from .assets.execution import resume as resume
    from .assets.partitions import DailyPartitions as DailyPartitions
    from .assets.partitions import HourlyPartitions as HourlyPartitions
    from .assets.partitions import MonthlyPartitions as MonthlyPartitions
    from .assets.partitions import MultiPartitions as MultiPartitions
    from .assets.partitions import StaticPartitions as StaticPartitions
    from .assets.project import load_definitions as load_definitions
    from .assets.registry import Definitions as Definitions
    from .assets.scheduler import Scheduler as Scheduler
    from .assets.schedules import Schedule as Schedule
    from .assets.schedules import schedule as schedule
    from .assets.sensors import RunRequest as RunRequest
    from .assets.sensors import SourceSensor as SourceSensor
    from .assets.sensors import sensor as sensor
    from .assets.values import load_value as load_value
    from .assets.waiting import WaitForApproval as WaitForApproval
    from .clock import Clock as Clock
    from .clock import FakeClock as FakeClock
    from .dataflows.runner import run_flows as run_flows
    from .live.capacitor import Capacitor as Capacitor
    from .live.change import Change as Change
    from .live.codecs import Codec as Codec
    from .live.codecs import get_codec as get_codec
    from .live.composite import Composite as Composite
    from .live.health import Health as Health
    from .live.uri import SourceURI as SourceURI
    from .live.watcher import Watcher as Watcher
    from .live.watcher import open_watcher as open_watcher
    from .pipeline import Pipeline as Pipeline
    from .pipeline import backoff as backoff
    from .pipeline import circuit_breaker as circuit_breaker
    from .pipeline import fallback as fallback
    from .pipeline import rate_limit as rate_limit
    from .pipeline import retry as retry
    from .pipeline import timeout as timeout
    from .state.config import config as config
    from .state.container import Flow as Flow
    from .state.ctx import ctx as ctx
    from .state.sources import from_dotenv as from_dotenv
    from .state.sources import from_env as from_env
    from .state.sources import from_json as from_json
    from .state.sources import from_toml as from_toml
    from .state.sources import from_yaml as from_yaml
    from .state.state import State as State
    from .store import MetadataStore as MetadataStore

_SUBMODULES = frozenset({"events", "plugins", "testing"})

# Public name -> module that defines it; resolved by __getattr__ on first access.
_LAZY: dict[str, str] = {
    "asset": "flow.assets.definition",
    "Asset": "flow.assets.definition",
    "AssetContext": "flow.assets.context",
    "materialize": "flow.assets.execution",
    "materialize_all": "flow.assets.execution",
    "backfill": "flow.assets.execution",
    "resume": "flow.assets.execution",
    "materialize_async": "flow.assets.execution",
    "materialize_all_async": "flow.assets.execution",
    "backfill_async": "flow.assets.execution",
    "WaitForApproval": "flow.assets.waiting",
    "Definitions": "flow.assets.registry",
    "load_definitions": "flow.assets.project",
    "StaticPartitions": "flow.assets.partitions",
    "HourlyPartitions": "flow.assets.partitions",
    "DailyPartitions": "flow.assets.partitions",
    "MonthlyPartitions": "flow.assets.partitions",
    "MultiPartitions": "flow.assets.partitions",
    "Schedule": "flow.assets.schedules",
    "schedule": "flow.assets.schedules",
    "sensor": "flow.assets.sensors",
    "RunRequest": "flow.assets.sensors",
    "SourceSensor": "flow.assets.sensors",
    "Scheduler": "flow.assets.scheduler",
    "approve": "flow.assets.approvals",
    "reject": "flow.assets.approvals",
    "MetadataStore": "flow.store",
    "load_value": "flow.assets.values",
    "run_flows": "flow.dataflows.runner",
    "events": "flow.events",
    "plugins": "flow.plugins",
    "testing": "flow.testing",
    "Change": "flow.live.change",
    "SourceURI": "flow.live.uri",
    "Watcher": "flow.live.watcher",
    "open_watcher": "flow.live.watcher",
    "Codec": "flow.live.codecs",
    "get_codec": "flow.live.codecs",
    "Health": "flow.live.health",
    "Capacitor": "flow.live.capacitor",
    "Composite": "flow.live.composite",
    "Pipeline": "flow.pipeline",
    "retry": "flow.pipeline",
    "backoff": "flow.pipeline",
    "timeout": "flow.pipeline",
    "circuit_breaker": "flow.pipeline",
    "rate_limit": "flow.pipeline",
    "fallback": "flow.pipeline",
    "Clock": "flow.clock",
    "FakeClock": "flow.clock",
    "State": "flow.state.state",
    "Flow": "flow.state.container",
    "config": "flow.state.config",
    "ctx": "flow.state.ctx",
    "from_env": "flow.state.sources",
    "from_yaml": "flow.state.sources",
    "from_json": "flow.state.sources",
    "from_toml": "flow.state.sources",
    "from_dotenv": "flow.state.sources",
}

__all__ = [
    "ApplyError",
    "ApprovalError",
    "Asset",
    "AssetContext",
    "AssetDefinitionError",
    "AssetError",
    "BoundPathError",
    "Capacitor",
    "CapacitorError",
    "Change",
    "CircuitOpenError",
    "Clock",
    "Codec",
    "CodecError",
    "Composite",
    "ConfigError",
    "ConfigSourceError",
    "DailyPartitions",
    "DataFlowError",
    "Definitions",
    "DependencyNotReady",
    "FakeClock",
    "Flow",
    "FlowDefinitionError",
    "FlowError",
    "Health",
    "HourlyPartitions",
    "IOManagerError",
    "ImmutableError",
    "MetadataStore",
    "MissingStateError",
    "MonthlyPartitions",
    "MultiPartitions",
    "PartitionError",
    "Pipeline",
    "PipelineError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "RateLimitExceeded",
    "ResourceError",
    "RunRequest",
    "Schedule",
    "Scheduler",
    "SchemaVersionError",
    "SourceAuthError",
    "SourceError",
    "SourceSensor",
    "SourceTypeError",
    "SourceURI",
    "SourceURIError",
    "StartupTimeout",
    "State",
    "StateError",
    "StaticPartitions",
    "StoreBusyError",
    "StoreError",
    "StoreURLError",
    "UnknownPathError",
    "UnknownProviderError",
    "UnknownRecordError",
    "ValidationFailed",
    "WaitForApproval",
    "Watcher",
    "__version__",
    "approve",
    "asset",
    "backfill",
    "backfill_async",
    "backoff",
    "circuit_breaker",
    "config",
    "ctx",
    "events",
    "fallback",
    "from_dotenv",
    "from_env",
    "from_json",
    "from_toml",
    "from_yaml",
    "get_codec",
    "hookimpl",
    "load_definitions",
    "load_value",
    "materialize",
    "materialize_all",
    "materialize_all_async",
    "materialize_async",
    "open_watcher",
    "plugins",
    "rate_limit",
    "reject",
    "resume",
    "retry",
    "run_flows",
    "schedule",
    "sensor",
    "testing",
    "timeout",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__, submodules=_SUBMODULES)
