"""The typed facade over loaded plugins: kind → name → provider."""

from __future__ import annotations

import importlib
import threading
from collections import defaultdict
from collections.abc import Iterable

from ..errors import PluginConflictError, PluginLoadError, UnknownProviderError
from ._model import Kind, PluginInfo, PluginStatus, Provider
from ._validate import describe

__all__ = ["Registry", "import_target"]

# Which in-repo distribution provides a well-known name, so that "unknown"
# errors can say what to install instead of only listing what is there.
KNOWN_DISTRIBUTIONS: dict[tuple[str, str], str] = {
    ("watchers", "file"): "flow-watcher-file",
    ("watchers", "redis"): "flow-watcher-redis",
    ("watchers", "rediss"): "flow-watcher-redis",
    ("watchers", "nats"): "flow-watcher-nats",
    ("watchers", "zk"): "flow-watcher-zookeeper",
    ("watchers", "etcd"): "flow-watcher-etcd",
    ("watchers", "consul"): "flow-watcher-consul",
    ("watchers", "firestore"): "flow-watcher-firestore",
    ("homes", "parquet"): "flow-io-parquet",
    ("stores", "parquet"): "flow-io-parquet",
    ("io_managers", "parquet"): "flow-io-parquet",
    ("homes", "csv"): "flow-io-csv",
    ("stores", "csv"): "flow-io-csv",
    ("homes", "sql"): "flow-io-sql",
    ("stores", "sql"): "flow-io-sql",
}


def import_target(spec: str) -> object:
    """Import ``"package.module:attr.sub"`` and return the attribute."""
    module_name, _, attr_path = spec.partition(":")
    obj: object = importlib.import_module(module_name)
    for part in filter(None, attr_path.split(".")):
        obj = getattr(obj, part)
    return obj


class Registry:
    """Everything the loaded plugins provide, looked up by kind and name.

    Lazy targets are imported on first :meth:`resolve` and cached; a name
    claimed by two plugins raises :class:`PluginConflictError` on use.
    """

    def __init__(self, plugins: Iterable[PluginInfo], providers: Iterable[Provider]) -> None:
        self._plugins = list(plugins)
        self._by_kind: dict[str, dict[str, list[Provider]]] = defaultdict(lambda: defaultdict(list))
        for provider in providers:
            self._by_kind[provider.kind][provider.name].append(provider)
        self._resolved: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin the host found, whatever its status."""
        return list(self._plugins)

    def names(self, kind: Kind) -> list[str]:
        """The names usable for ``kind`` (conflicting names included; they raise on use)."""
        return sorted(self._by_kind.get(kind, {}))

    def providers(self, kind: Kind, name: str) -> list[Provider]:
        """Every provider registered under ``name`` for ``kind`` (more than one is a conflict)."""
        return list(self._by_kind.get(kind, {}).get(name, ()))

    def provider(self, kind: Kind, name: str) -> Provider:
        """The single provider of ``name`` for ``kind``; raises when none or several."""
        candidates = self._by_kind.get(kind, {}).get(name)
        if not candidates:
            raise UnknownProviderError(self._unknown_message(kind, name))
        if len(candidates) > 1:
            raise PluginConflictError(_conflict_message(kind, name, candidates))
        return candidates[0]

    def resolve(self, kind: Kind, name: str) -> object:
        """The object registered as ``name`` for ``kind``, importing a lazy target once."""
        key = (kind, name)
        try:
            return self._resolved[key]
        except KeyError:
            pass
        provider = self.provider(kind, name)
        target = provider.target
        if isinstance(target, str):
            try:
                target = import_target(target)
            except Exception as exc:
                raise PluginLoadError(
                    f"{kind[:-1].replace('_', ' ')} {name!r} from {provider.distribution} "
                    f"(target {provider.target!r}) failed to import: {describe(exc)}. "
                    f"Reinstall it with `pip install --force-reinstall {provider.distribution}`, "
                    f"or disable it with FLOW_DISABLE_PLUGINS={provider.distribution}."
                ) from exc
        with self._lock:
            self._resolved[key] = target
        return target

    def _unknown_message(self, kind: Kind, name: str) -> str:
        known = ", ".join(self.names(kind)) or "none"
        message = f"no {kind[:-1].replace('_', ' ')} named {name!r}; known: {known}."
        distribution = KNOWN_DISTRIBUTIONS.get((kind, name))
        if distribution:
            message += f" It is provided by {distribution}: `pip install {distribution}`."
        blocked = [p for p in self._plugins if p.status is not PluginStatus.LOADED]
        if blocked:
            message += " Not loaded: " + ", ".join(
                f"{p.distribution} ({p.status_text})" for p in blocked
            )
            message += "; see `flow plugins list`."
        return message


def _conflict_message(kind: Kind, name: str, candidates: list[Provider]) -> str:
    dists = [c.distribution for c in candidates]
    return (
        f"{kind[:-1].replace('_', ' ')} {name!r} is registered by several distributions: "
        f"{', '.join(dists)}. Keep one and disable the others, e.g. "
        f"FLOW_DISABLE_PLUGINS={dists[-1]}, or uninstall one of them."
    )
