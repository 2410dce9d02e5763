"""Flow: live state and data.

The public API is re-exported here; names are imported on first use so that
``import flow`` stays cheap and never imports a provider's client library.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    ApplyError,
    CapacitorError,
    CircuitOpenError,
    CodecError,
    FlowError,
    PipelineError,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    RateLimitExceeded,
    SourceAuthError,
    SourceError,
    SourceTypeError,
    SourceURIError,
    StartupTimeout,
    UnknownProviderError,
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
    from .clock import Clock as Clock
    from .clock import FakeClock as FakeClock
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

_SUBMODULES = frozenset({"events", "plugins", "testing"})

# Public name -> module that defines it; resolved by __getattr__ on first access.
_LAZY: dict[str, str] = {
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
    "Capacitor",
    "CapacitorError",
    "Change",
    "CircuitOpenError",
    "Clock",
    "Codec",
    "CodecError",
    "Composite",
    "FakeClock",
    "Flow",
    "FlowError",
    "Health",
    "Pipeline",
    "PipelineError",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "RateLimitExceeded",
    "SourceAuthError",
    "SourceError",
    "SourceTypeError",
    "SourceURI",
    "SourceURIError",
    "StartupTimeout",
    "State",
    "UnknownProviderError",
    "ValidationFailed",
    "Watcher",
    "__version__",
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
    "open_watcher",
    "plugins",
    "rate_limit",
    "retry",
    "testing",
    "timeout",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'flow' has no attribute {name!r}")
    module = importlib.import_module(module_name)
    value = module if name in _SUBMODULES else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
