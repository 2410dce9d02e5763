"""State and configuration: ``State``, ``Flow``, ``flow.config``, its sources, and ``ctx``."""

from __future__ import annotations

from ._core import Layer
from ._frozen import FrozenMap
from ._listeners import MISSING, ChangeEvent
from ._nodes import Namespace
from ._snapshot import Snapshot
from .config import config
from .container import Flow
from .ctx import Context, Scope, ctx
from .sources import from_dotenv, from_env, from_json, from_toml, from_yaml
from .state import State

__all__ = [
    "MISSING",
    "ChangeEvent",
    "Context",
    "Flow",
    "FrozenMap",
    "Layer",
    "Namespace",
    "Scope",
    "Snapshot",
    "State",
    "config",
    "ctx",
    "from_dotenv",
    "from_env",
    "from_json",
    "from_toml",
    "from_yaml",
]
