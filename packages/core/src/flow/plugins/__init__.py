"""The plugin host: hook specs, discovery through entry points, and the typed registry.

A plugin is a distribution with an entry point in the ``flow`` group whose
value is a module of hook implementations::

    [project.entry-points.flow]
    redis = "flow_watcher_redis.plugin"

See ``docs/plugins.md`` for every hook and the controlling environment variables.
``lazy_exports`` gives a plugin package the same cheap ``__init__`` flow's own
packages have: each public name is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ._specs import FlowHookSpecs, Register, hookimpl, hookspec

if TYPE_CHECKING:
    from ._compat import PLUGIN_API_VERSION as PLUGIN_API_VERSION
    from ._controls import Controls as Controls
    from ._host import ENTRY_POINT_GROUP as ENTRY_POINT_GROUP
    from ._host import PluginCandidate as PluginCandidate
    from ._host import PluginHost as PluginHost
    from ._host import get_host as get_host
    from ._host import reset_host as reset_host
    from ._model import KINDS as KINDS
    from ._model import Kind as Kind
    from ._model import PluginInfo as PluginInfo
    from ._model import PluginStatus as PluginStatus
    from ._model import Provider as Provider
    from ._registry import Registry as Registry

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
    "lazy_exports",
    "reset_host",
]

# `import flow` imports this package for `hookimpl`; the host (and importlib.metadata
# with it) is imported only when something asks for it, to keep `import flow` cheap.
_LAZY: dict[str, str] = {
    "PLUGIN_API_VERSION": "._compat",
    "Controls": "._controls",
    "ENTRY_POINT_GROUP": "._host",
    "PluginCandidate": "._host",
    "PluginHost": "._host",
    "get_host": "._host",
    "reset_host": "._host",
    "KINDS": "._model",
    "Kind": "._model",
    "PluginInfo": "._model",
    "PluginStatus": "._model",
    "Provider": "._model",
    "Registry": "._registry",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)


def get_registry() -> Registry:
    """The process-wide registry of everything the loaded plugins provide."""
    from ._host import get_host

    return get_host().registry
