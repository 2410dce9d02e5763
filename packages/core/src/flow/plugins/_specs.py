"""Hook specifications: the whole contract between core and a plugin.

Every hook is register-callback style: core calls the hook with a
``register`` function and the plugin calls it once per thing it provides,
giving a name and either the object itself or a ``"module:attr"`` string
that is imported only when the name is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    import typer

__all__ = ["PROJECT_NAME", "FlowHookSpecs", "Register", "hookimpl", "hookspec"]

PROJECT_NAME = "flow"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


class Register(Protocol):
    """The callback a plugin calls once per provided name."""

    def __call__(self, name: str, target: object, /) -> None:
        """Register ``target`` (an object, or a lazy ``"module:attr"`` string) under ``name``."""


class FlowHookSpecs:
    """The hook specifications of the ``flow`` plugin host."""

    @hookspec
    def flow_register_watchers(self, register: Register) -> None:
        """Register watcher factories by URI scheme (``register("redis", "pkg.mod:Cls")``)."""

    @hookspec
    def flow_register_codecs(self, register: Register) -> None:
        """Register codecs by name (``register("yaml", "pkg.mod:YamlCodec")``)."""

    @hookspec
    def flow_register_homes(self, register: Register) -> None:
        """Register data-flow homes by ``type:`` name."""

    @hookspec
    def flow_register_stores(self, register: Register) -> None:
        """Register data-flow stores by ``type:`` name."""

    @hookspec
    def flow_register_io_managers(self, register: Register) -> None:
        """Register asset IO managers by name."""

    @hookspec
    def flow_register_commands(self, cli: typer.Typer) -> None:
        """Add subcommands or command groups to the ``flow`` command line."""
