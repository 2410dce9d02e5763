"""Discovers plugins through the ``flow`` entry-point group and loads them in isolation."""

from __future__ import annotations

import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from .._version import __version__
from ..errors import PluginLoadError
from . import _builtin
from ._compat import incompatibility
from ._controls import Controls
from ._model import KINDS, Kind, PluginInfo, PluginStatus, Provider
from ._registry import Registry
from ._specs import PROJECT_NAME, FlowHookSpecs
from ._validate import check_registration, describe

if TYPE_CHECKING:
    import typer

__all__ = [
    "ENTRY_POINT_GROUP",
    "PluginCandidate",
    "PluginHost",
    "candidates_from_entry_points",
    "get_host",
    "reset_host",
]

ENTRY_POINT_GROUP = "flow"
CORE_PLUGIN = "core"


@dataclass(frozen=True, slots=True)
class PluginCandidate:
    """A plugin found but not yet loaded: its name, origin and how to import it."""

    name: str
    distribution: str
    version: str
    load: Callable[[], object]
    requires: tuple[str, ...] = ()


def candidates_from_entry_points(group: str = ENTRY_POINT_GROUP) -> list[PluginCandidate]:
    """Every plugin installed in this environment, one per (name, distribution)."""
    # importlib.metadata is imported here so that `import flow` does not pay for it.
    from importlib.metadata import entry_points

    found: dict[tuple[str, str], PluginCandidate] = {}
    for ep in entry_points(group=group):
        dist = ep.dist
        # Distribution.metadata re-reads METADATA on every access: read it once.
        meta = dist.metadata if dist is not None else None
        dist_name = meta["Name"] if meta is not None else "unknown"
        key = (ep.name, dist_name)
        if key in found:  # the same distribution seen twice on sys.path
            continue
        found[key] = PluginCandidate(
            name=ep.name,
            distribution=dist_name,
            version=meta["Version"] if meta is not None else "unknown",
            load=ep.load,
            requires=tuple(meta.get_all("Requires-Dist") or ()) if meta is not None else (),
        )
    return sorted(found.values(), key=lambda c: (c.name, c.distribution))


class PluginHost:
    """Loads the built-in ``core`` plugin and every installed one, each in isolation.

    A plugin that fails to import, validate or register is recorded as
    ``failed`` and skipped (unless ``FLOW_STRICT_PLUGINS`` is set); every other
    plugin still loads. ``candidates`` replaces entry-point discovery (tests),
    ``environ`` replaces ``os.environ`` for the ``FLOW_*_PLUGINS`` controls.
    """

    def __init__(
        self,
        candidates: Iterable[PluginCandidate] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.controls = Controls.from_env(environ)
        self._pm = pluggy.PluginManager(PROJECT_NAME)
        self._pm.add_hookspecs(FlowHookSpecs)
        if self.controls.trace:
            # Look sys.stderr up on each write: pytest and others swap it after start-up.
            self._pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
            self._pm.enable_tracing()
        self._infos: dict[str, PluginInfo] = {}
        self._providers: list[Provider] = []
        self._commands_done = False
        core = PluginCandidate(CORE_PLUGIN, "flow-core", __version__, lambda: _builtin)
        self._load(core, [], builtin=True)
        found = list(candidates_from_entry_points() if candidates is None else candidates)
        rivals = _rivals(found)
        for candidate in found:
            self._load(candidate, rivals.get((candidate.name, candidate.distribution), []))
        self._mark_conflicts()
        self.registry = Registry(self._infos.values(), self._providers)

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin found, whatever became of it, ``core`` first."""
        return list(self._infos.values())

    # -- loading ---------------------------------------------------------------------------

    def _load(
        self, candidate: PluginCandidate, rivals: list[str], *, builtin: bool = False
    ) -> None:
        key = (
            candidate.name
            if builtin or not rivals
            else f"{candidate.name}@{candidate.distribution}"
        )
        if not builtin and candidate.name == CORE_PLUGIN:
            key, rivals = f"{CORE_PLUGIN}@{candidate.distribution}", [*rivals, "flow-core"]
        info = PluginInfo(candidate.name, candidate.distribution, candidate.version)
        self._infos[key] = info
        reason = (
            None
            if builtin
            else self.controls.blocked_reason(candidate.name, candidate.distribution)
        )
        if reason:
            info.status, info.error = PluginStatus.BLOCKED, reason
            self._trace(info, "blocked", reason)
            return
        problem = incompatibility(candidate.requires)
        if problem:
            info.status, info.error = PluginStatus.INCOMPATIBLE, problem
            self._trace(info, "incompatible", problem)
            self._fail_if_strict(info, None)
            return
        started = time.perf_counter()
        try:
            providers = self._register(candidate, key, info)
        except Exception as exc:
            info.status, info.error = PluginStatus.FAILED, describe(exc)
            info.provides.clear()  # a failed plugin provides nothing, even what it named first
            self._trace(info, "failed", info.error)
            self._fail_if_strict(info, exc)
            return
        self._providers.extend(providers)
        self._trace(info, "loaded", f"in {(time.perf_counter() - started) * 1000:.1f} ms")
        if rivals:
            info.status = PluginStatus.CONFLICT
            info.error = f"plugin name {candidate.name!r} also claimed by {', '.join(rivals)}"

    def _register(self, candidate: PluginCandidate, key: str, info: PluginInfo) -> list[Provider]:
        module = candidate.load()
        try:
            self._pm.register(module, name=key)
            self._check_hooks(module)
            return self._collect(module, info)
        except BaseException:
            if self._pm.is_registered(module):
                self._pm.unregister(module)
            raise

    def _check_hooks(self, module: object) -> None:
        for caller in self._pm.get_hookcallers(module) or ():
            if caller.spec is None:
                raise PluginLoadError(
                    f"unknown hook {caller.name!r} (no such hook spec; see docs/plugins.md)"
                )

    def _collect(self, module: object, info: PluginInfo) -> list[Provider]:
        providers: list[Provider] = []
        for kind in KINDS:

            def register(name: str, target: object, /, _kind: Kind = kind) -> None:
                check_registration(_kind, name, target, info.provides.get(_kind, ()))
                providers.append(Provider(_kind, name, target, info.name, info.distribution))
                info.provides.setdefault(_kind, []).append(name)

            hook_name = f"flow_register_{kind}"
            try:
                self._only(module, hook_name)(register=register)
            except PluginLoadError:
                raise
            except Exception as exc:
                raise PluginLoadError(f"{hook_name} raised {describe(exc)}") from exc
        return providers

    def _only(self, module: object, hook_name: str) -> Any:
        others = [p for p in self._pm.get_plugins() if p is not module]
        return self._pm.subset_hook_caller(hook_name, remove_plugins=others)

    def _mark_conflicts(self) -> None:
        claims: dict[tuple[str, str], list[Provider]] = defaultdict(list)
        for provider in self._providers:
            claims[(provider.kind, provider.name)].append(provider)
        for (kind, name), claimants in claims.items():
            if len(claimants) < 2:
                continue
            for claimant in claimants:
                others = [c.distribution for c in claimants if c is not claimant]
                for info in self._infos.values():
                    if info.name == claimant.plugin and info.distribution == claimant.distribution:
                        info.status = PluginStatus.CONFLICT
                        info.error = f"{kind} {name!r} also registered by {', '.join(others)}"

    def _fail_if_strict(self, info: PluginInfo, exc: BaseException | None) -> None:
        if self.controls.strict:
            raise PluginLoadError(
                f"plugin {info.name!r} from {info.distribution} {info.version}: {info.status_text} "
                "(FLOW_STRICT_PLUGINS is set; unset it to skip broken plugins)"
            ) from exc

    def _trace(self, info: PluginInfo, what: str, detail: str) -> None:
        if self.controls.trace:
            sys.stderr.write(
                f"flow plugins: {info.name} ({info.distribution} {info.version}) {what}: {detail}\n"
            )

    # -- commands --------------------------------------------------------------------------

    @property
    def adds_commands(self) -> bool:
        """Whether any loaded plugin implements ``flow_register_commands``."""
        return bool(self._pm.hook.flow_register_commands.get_hookimpls())

    def register_commands(self, cli: typer.Typer) -> None:
        """Let every loaded plugin add its subcommands to ``cli`` (once per host).

        A plugin whose ``flow_register_commands`` raises is marked ``failed``
        and whatever it added is removed again; the other plugins' commands stay.
        """
        if self._commands_done:
            return
        self._commands_done = True
        for key, info in self._infos.items():
            plugin = self._pm.get_plugin(key)
            if plugin is None or info.status in (PluginStatus.FAILED, PluginStatus.BLOCKED):
                continue
            n_commands, n_groups = len(cli.registered_commands), len(cli.registered_groups)
            try:
                self._only(plugin, "flow_register_commands")(cli=cli)
            except Exception as exc:
                del cli.registered_commands[n_commands:], cli.registered_groups[n_groups:]
                info.status = PluginStatus.FAILED
                info.error = f"flow_register_commands raised {describe(exc)}"
                self._trace(info, "failed", info.error)
                self._fail_if_strict(info, exc)
                continue
            added = [_command_name(c) for c in cli.registered_commands[n_commands:]]
            added += [g.name or "?" for g in cli.registered_groups[n_groups:]]
            if added:
                info.provides["commands"] = added


def _rivals(found: list[PluginCandidate]) -> dict[tuple[str, str], list[str]]:
    """For each (plugin name, distribution), the other distributions claiming that name."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for candidate in found:
        by_name[candidate.name].append(candidate.distribution)
    return {
        (c.name, c.distribution): others
        for c in found
        if (others := [d for d in by_name[c.name] if d != c.distribution])
    }


def _command_name(command: Any) -> str:
    if command.name:
        return str(command.name)
    callback = command.callback
    return str(getattr(callback, "__name__", "?")).replace("_", "-")


_host: PluginHost | None = None
_host_lock = threading.Lock()


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    if _host is None:
        with _host_lock:
            if _host is None:
                _host = PluginHost()
    return _host


def reset_host(host: PluginHost | None = None) -> None:
    """Forget the process-wide host (or install ``host``), e.g. after changing the controls."""
    global _host
    with _host_lock:
        _host = host
