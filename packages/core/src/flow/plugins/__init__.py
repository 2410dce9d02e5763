"""The plugin host: hook specs, discovery through entry points, and the typed registry.

A plugin is a distribution with an entry point in the ``flow`` group whose
value is a module of hook implementations::

    [project.entry-points.flow]
    redis = "flow_watcher_redis.plugin"

See ``docs/plugins.md`` for every hook and the controlling environment variables.
"""

from __future__ import annotations

from ._compat import PLUGIN_API_VERSION
from ._controls import Controls
from ._host import ENTRY_POINT_GROUP, PluginCandidate, PluginHost, get_host, reset_host
from ._model import KINDS, Kind, PluginInfo, PluginStatus, Provider
from ._registry import Registry
from ._specs import FlowHookSpecs, Register, hookimpl, hookspec

__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PLUGIN_API_VERSION",
    "Controls",
    "FlowHookSpecs",
    "Kind",
    "PluginCandidate",
    "PluginHost",
    "PluginInfo",
    "PluginStatus",
    "Provider",
    "Register",
    "Registry",
    "get_host",
    "get_registry",
    "hookimpl",
    "hookspec",
    "reset_host",
]


def get_registry() -> Registry:
    """The process-wide registry of everything the loaded plugins provide."""
    return get_host().registry
