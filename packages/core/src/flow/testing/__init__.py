"""Test kits for Flow users and plugin authors.

* Contract suites a provider's tests subclass: :class:`WatcherContract`,
  :class:`CodecContract`, :class:`HomeContract`, :class:`StoreContract`,
  :class:`IOManagerContract`.
* Deterministic time and sources: :class:`FakeClock`, :class:`ChannelWatcher`.
* Real servers as fixtures: :class:`ServerProcess`, :func:`free_port`,
  :func:`require_binary` (skips with the install command, or fails under
  ``FLOW_REQUIRE_SERVERS=1``).
* Leak checks: :class:`LeakCheck`.
* Network faults in front of a real server: :class:`TcpProxy` (cut connections,
  or hold back the server's replies).
* End-to-end and auth tests of a watcher: :class:`FlowWatch` (``flow watch`` as a
  subprocess), :func:`refusal` and :func:`follows`.
* PostgreSQL for metadata-store and SQL tests: :class:`PostgresServer` (and the
  ``postgres_server`` / ``postgres_url`` fixtures in ``flow.testing.postgres``).

This module imports pytest; only tests should import it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from ..clock import FakeClock
from .channel import ChannelWatcher

if TYPE_CHECKING:
    from .auth import follows as follows
    from .auth import refusal as refusal
    from .cli import FlowWatch as FlowWatch
    from .codec_contract import CodecContract as CodecContract
    from .home_contract import HomeContract as HomeContract
    from .io_manager_contract import IOManagerContract as IOManagerContract
    from .leaks import LeakCheck as LeakCheck
    from .postgres import PostgresServer as PostgresServer
    from .proxy import TcpProxy as TcpProxy
    from .servers import ServerProcess as ServerProcess
    from .servers import free_port as free_port
    from .servers import require_binary as require_binary
    from .specs import spec_factory as spec_factory
    from .store_contract import StoreContract as StoreContract
    from .watcher_contract import WatcherContract as WatcherContract

_LAZY = {
    "CodecContract": "flow.testing.codec_contract",
    "FlowWatch": "flow.testing.cli",
    "HomeContract": "flow.testing.home_contract",
    "IOManagerContract": "flow.testing.io_manager_contract",
    "StoreContract": "flow.testing.store_contract",
    "TcpProxy": "flow.testing.proxy",
    "LeakCheck": "flow.testing.leaks",
    "PostgresServer": "flow.testing.postgres",
    "ServerProcess": "flow.testing.servers",
    "free_port": "flow.testing.servers",
    "require_binary": "flow.testing.servers",
    "spec_factory": "flow.testing.specs",
    "WatcherContract": "flow.testing.watcher_contract",
    "follows": "flow.testing.auth",
    "refusal": "flow.testing.auth",
}

__all__ = [
    "ChannelWatcher",
    "CodecContract",
    "FakeClock",
    "FlowWatch",
    "HomeContract",
    "IOManagerContract",
    "LeakCheck",
    "PostgresServer",
    "ServerProcess",
    "StoreContract",
    "TcpProxy",
    "WatcherContract",
    "follows",
    "free_port",
    "refusal",
    "require_binary",
    "spec_factory",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
