"""The built-in plugin ``core``: what flow-core itself provides through the same hooks."""

from __future__ import annotations

from ._specs import Register, hookimpl

__all__ = ["flow_register_codecs", "flow_register_io_managers"]


@hookimpl
def flow_register_codecs(register: Register) -> None:
    """Register the json, yaml, toml and text codecs (imported only when used)."""
    register("json", "flow.live.codecs:JsonCodec")
    register("yaml", "flow.live.codecs:YamlCodec")
    register("toml", "flow.live.codecs:TomlCodec")
    register("text", "flow.live.codecs:TextCodec")


@hookimpl
def flow_register_io_managers(register: Register) -> None:
    """Register the memory and fs IO managers of assets (imported only when used)."""
    register("memory", "flow.assets.io_managers:MemoryIOManager")
    register("fs", "flow.assets.io_managers:FsIOManager")
