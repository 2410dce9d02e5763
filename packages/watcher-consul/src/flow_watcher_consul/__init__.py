"""flow-watcher-consul: watch a Consul KV key with blocking queries (``consul://`` URIs).

The watcher itself is :class:`flow_watcher_consul.watcher.ConsulWatcher`; it is
imported lazily (through the plugin registry), so importing this package costs
nothing.
"""

from __future__ import annotations

__all__: list[str] = []
