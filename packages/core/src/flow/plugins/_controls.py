"""The environment variables that steer plugin loading."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Controls", "normalize"]


def normalize(name: str) -> str:
    """A distribution or plugin name in PEP 503 form (``Flow_X.Y`` → ``flow-x-y``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name_set(raw: str) -> frozenset[str]:
    return frozenset(normalize(part.strip()) for part in raw.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Controls:
    """The plugin controls read from ``FLOW_*_PLUGINS`` environment variables."""

    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()
    strict: bool = False
    trace: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Controls:
        """Read the controls; ``FLOW_LOAD_PLUGINS`` set to an empty string allows no plugin."""
        env = os.environ if environ is None else environ
        allow_raw = env.get("FLOW_LOAD_PLUGINS")
        return cls(
            allow=None if allow_raw is None else _name_set(allow_raw),
            deny=_name_set(env.get("FLOW_DISABLE_PLUGINS", "")),
            strict=_truthy(env.get("FLOW_STRICT_PLUGINS")),
            trace=_truthy(env.get("FLOW_TRACE_PLUGINS")),
        )

    def blocked_reason(self, plugin: str, distribution: str) -> str | None:
        """Why this plugin must not load, or None when it may."""
        names = {normalize(plugin), normalize(distribution)}
        if names & self.deny:
            return "disabled by FLOW_DISABLE_PLUGINS"
        if self.allow is not None and not names & self.allow:
            return "not in FLOW_LOAD_PLUGINS"
        return None


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}
