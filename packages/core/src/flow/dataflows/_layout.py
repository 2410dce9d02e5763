"""Finding flows in a project and reading the three levels of entity files.

A flow is a directory ``flows/<name>/`` (or ``configs/flows/<name>/``) with a
``flow.yml``. Its entities come from exactly one of:

1. ``entities:`` inline in ``flow.yml``;
2. ``entities.yml`` with ``defaults`` and ``entities`` (strings or mappings);
3. ``entities/*.yml``, one entity per file (the file stem is the name unless ``name:`` is given).

This module only reads files and says where each entity's keys came from
(:class:`RawEntity`); validation is in :mod:`flow.dataflows.config`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FlowDefinitionError
from ._document import Document, KeyPath, load_document

__all__ = ["FLOW_ROOTS", "FlowFiles", "Layer", "RawEntity", "discover", "read_flow"]

#: Where flows live under a project directory, in search order.
FLOW_ROOTS = ("flows", "configs/flows")
_FLOW_FILE = "flow.yml"
_ENTITIES_FILE = "entities.yml"
_ENTITIES_DIR = "entities"


@dataclass(frozen=True)
class Layer:
    """A mapping of entity keys inside one document (at ``base``); entity first, defaults after."""

    document: Document
    base: KeyPath

    def has(self, path: KeyPath) -> bool:
        return self.document.has(self.base + path)


@dataclass(frozen=True)
class RawEntity:
    """One entity as written: its merged mapping and the layers it was merged from."""

    name: str
    data: dict[str, Any]
    layers: tuple[Layer, ...]  # highest priority first

    def locate(self, path: KeyPath) -> tuple[Document, KeyPath]:
        """The document and document path that gave ``path`` (or its nearest parent)."""
        for end in range(len(path), -1, -1):
            for layer in self.layers:
                if layer.has(path[:end]):
                    return layer.document, layer.base + path
        first = self.layers[0]
        return first.document, first.base + path

    def error(self, path: KeyPath, message: str) -> FlowDefinitionError:
        """An error located at entity key ``path`` (file, document key path and line)."""
        document, doc_path = self.locate(path)
        return document.error(doc_path, message)


@dataclass(frozen=True)
class FlowFiles:
    """What was read for one flow: ``flow.yml``, the level used, and the raw entities."""

    name: str
    directory: Path
    flow: Document
    level: int
    entities: tuple[RawEntity, ...]


def discover(project_dir: Path) -> dict[str, Path]:
    """Flow directory name → directory, under ``flows/`` and ``configs/flows/``."""
    found: dict[str, Path] = {}
    for root in FLOW_ROOTS:
        base = project_dir / root
        if not base.is_dir():
            continue
        for directory in sorted(base.iterdir()):
            if not (directory / _FLOW_FILE).is_file():
                continue
            if directory.name in found:
                first, second = (
                    _shown(found[directory.name], project_dir),
                    _shown(directory, project_dir),
                )
                raise FlowDefinitionError(
                    f"two flows are named {directory.name!r}: {first} and {second}; "
                    "rename or remove one of them"
                )
            found[directory.name] = directory
    return found


def read_flow(directory: Path, project_dir: Path, env: Mapping[str, str]) -> FlowFiles:
    """Read ``flow.yml`` and the one entity level present in ``directory``."""
    flow = _load(directory / _FLOW_FILE, project_dir, env)
    if not isinstance(flow.data, dict):
        raise flow.error((), "flow.yml must be a mapping (name, description, parallel, entities…)")
    levels = _levels(directory, flow, project_dir)
    if len(levels) > 1:
        a, b = levels[0][1], levels[1][1]
        raise FlowDefinitionError(
            f"{a} and {b} both define entities of flow {directory.name!r}; "
            "use exactly one level: inline `entities:` in flow.yml, entities.yml, "
            "or one file per entity in entities/",
            file=b,
        )
    if not levels:
        raise flow.error(
            (),
            f"flow {directory.name!r} has no entities: add `entities:` to flow.yml, "
            "or an entities.yml, or one file per entity in entities/<name>.yml",
        )
    level = levels[0][0]
    defaults = _defaults_layer(flow, (), "flow.yml")
    if level == 1:
        entities = _from_listing(flow, ("entities",), defaults)
    elif level == 2:
        listing = _load(directory / _ENTITIES_FILE, project_dir, env)
        if not isinstance(listing.data, dict):
            raise listing.error(
                (), "entities.yml must be a mapping with `entities:` (and optionally `defaults:`)"
            )
        unknown = set(listing.data) - {"defaults", "entities"}
        if unknown:
            key = sorted(unknown, key=str)[0]
            raise listing.error(
                (key,), "unknown key; entities.yml holds only `defaults` and `entities`"
            )
        if "entities" not in listing.data:
            raise listing.error((), "entities.yml has no `entities:` list")
        layers = (*_defaults_layer(listing, (), "entities.yml"), *defaults)
        entities = _from_listing(listing, ("entities",), layers)
    else:
        entities = _from_directory(directory / _ENTITIES_DIR, project_dir, env, defaults)
    _check_unique(entities)
    return FlowFiles(directory.name, directory, flow, level, tuple(entities))


def _levels(directory: Path, flow: Document, project_dir: Path) -> list[tuple[int, str]]:
    levels: list[tuple[int, str]] = []
    if "entities" in flow.data:
        levels.append((1, f"{flow.file} (inline `entities:`)"))
    if (directory / _ENTITIES_FILE).exists():
        levels.append((2, _shown(directory / _ENTITIES_FILE, project_dir)))
    if (directory / _ENTITIES_DIR).is_dir():
        levels.append((3, _shown(directory / _ENTITIES_DIR, project_dir) + "/"))
    return levels


def _defaults_layer(document: Document, base: KeyPath, what: str) -> tuple[Layer, ...]:
    assert isinstance(document.data, dict)
    if "defaults" not in document.data or document.data["defaults"] is None:
        return ()
    if not isinstance(document.data["defaults"], dict):
        raise document.error(
            (*base, "defaults"), f"`defaults` in {what} must be a mapping of entity fields"
        )
    return (Layer(document, (*base, "defaults")),)


def _from_listing(
    document: Document, path: KeyPath, defaults: tuple[Layer, ...]
) -> list[RawEntity]:
    listing = document.data[path[-1]]
    if isinstance(listing, dict):
        items = [(name, (*path, name), value) for name, value in listing.items()]
    elif isinstance(listing, list):
        items = [_list_item(document, (*path, i), value) for i, value in enumerate(listing)]
    else:
        raise document.error(
            path, "`entities` must be a mapping (name: fields) or a list of names/mappings"
        )
    entities = []
    for name, item_path, value in items:
        if isinstance(value, str):
            value = None  # a list item that is only a name
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise document.error(
                item_path, "an entity must be a mapping of fields (home, store, key…)"
            )
        if isinstance(listing, dict) and "name" in value and value["name"] != name:
            raise document.error(
                (*item_path, "name"),
                f"`name: {value['name']}` differs from the key {name!r}; drop one",
            )
        entities.append(_merge(str(name), value, Layer(document, item_path), defaults))
    return entities


def _list_item(document: Document, path: KeyPath, value: Any) -> tuple[Any, KeyPath, Any]:
    if isinstance(value, str):
        return value, path, None
    if isinstance(value, dict) and isinstance(value.get("name"), str):
        return value["name"], path, value
    raise document.error(path, "a list entry must be an entity name, or a mapping with `name:`")


def _from_directory(
    directory: Path, project_dir: Path, env: Mapping[str, str], defaults: tuple[Layer, ...]
) -> list[RawEntity]:
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
    if not files:
        raise FlowDefinitionError(
            f"{_shown(directory, project_dir)}/ has no .yml files: add one file per entity, "
            "e.g. entities/orders.yml with home: and store:"
        )
    entities = []
    for path in files:
        document = _load(path, project_dir, env)
        data = document.data if document.data is not None else {}
        if not isinstance(data, dict):
            raise document.error(
                (), "an entity file must be a mapping of fields (home, store, key…)"
            )
        name = data.get("name", path.stem)
        if not isinstance(name, str):
            raise document.error(("name",), "`name` must be a string")
        entities.append(_merge(name, data, Layer(document, ()), defaults))
    return entities


def _merge(name: str, own: dict[str, Any], layer: Layer, defaults: tuple[Layer, ...]) -> RawEntity:
    merged: dict[str, Any] = {}
    for default in reversed(defaults):  # lowest priority first
        merged = deep_merge(merged, _at(default))
    merged = deep_merge(merged, own)
    merged.pop("name", None)
    return RawEntity(name, merged, (layer, *defaults))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: nested mappings merge, anything else in ``over`` wins."""
    result = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = value
    return result


def _at(layer: Layer) -> dict[str, Any]:
    node: Any = layer.document.data
    for part in layer.base:
        node = node[part]
    return dict(node)


def _check_unique(entities: list[RawEntity]) -> None:
    seen: dict[str, RawEntity] = {}
    for entity in entities:
        if entity.name in seen:
            first = seen[entity.name].layers[0]
            where = f"{first.document.file}:{first.document.line(first.base)}"
            raise entity.error(
                (), f"duplicate entity name {entity.name!r} (first defined at {where})"
            )
        seen[entity.name] = entity


def _load(path: Path, project_dir: Path, env: Mapping[str, str]) -> Document:
    return load_document(path, _shown(path, project_dir), env)


def _shown(path: Path, project_dir: Path) -> str:
    try:
        return os.path.relpath(path, project_dir) if path.is_absolute() else str(path)
    except ValueError:  # another drive on Windows
        return str(path)
