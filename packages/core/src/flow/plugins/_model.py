"""Plain records the plugin host hands out: kinds, providers, plugin statuses."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, get_args

__all__ = ["KINDS", "Kind", "PluginInfo", "PluginStatus", "Provider"]

Kind = Literal["watchers", "codecs", "homes", "stores", "io_managers"]
KINDS: tuple[Kind, ...] = get_args(Kind)


class PluginStatus(StrEnum):
    """What became of one plugin when the host loaded it."""

    LOADED = "loaded"
    BLOCKED = "blocked"
    FAILED = "failed"
    CONFLICT = "conflict"
    INCOMPATIBLE = "incompatible"


@dataclass(frozen=True, slots=True)
class Provider:
    """One name registered for one kind by one plugin."""

    kind: Kind
    name: str
    target: object
    plugin: str
    distribution: str

    @property
    def is_lazy(self) -> bool:
        """True when the target is a ``"module:attr"`` string not imported yet."""
        return isinstance(self.target, str)


@dataclass(slots=True)
class PluginInfo:
    """A plugin as the host saw it: where it came from and what became of it."""

    name: str
    distribution: str
    version: str
    status: PluginStatus = PluginStatus.LOADED
    error: str | None = None
    provides: dict[str, list[str]] = field(default_factory=dict)

    @property
    def status_text(self) -> str:
        """The status as shown to users, with its reason (``failed: No module named 'x'``)."""
        if self.error and self.status is not PluginStatus.LOADED:
            return f"{self.status.value}: {self.error}"
        return self.status.value

    def to_json(self) -> dict[str, object]:
        """A JSON-ready mapping (the shape ``flow plugins list --json`` prints)."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "status": self.status.value,
            "error": self.error,
            "provides": {kind: sorted(names) for kind, names in sorted(self.provides.items())},
        }
