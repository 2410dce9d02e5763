"""Loading one YAML file of a data flow, keeping the line of every key.

PyYAML's node graph (``compose``) carries a start mark per node; the walk
below builds plain Python data and, beside it, a map from key path to line,
so validation errors can name the line that is wrong. Duplicate keys (which
PyYAML would silently collapse) are errors here: a repeated entity name must
not lose an entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import FlowDefinitionError
from ._interpolate import InterpolationError, interpolate

__all__ = ["Document", "KeyPath", "format_path", "load_document"]

KeyPath = tuple[str | int, ...]
_PLAIN = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")


def format_path(path: KeyPath) -> str:
    """``("entities", "orders", "home")`` → ``entities.orders.home``; list items as ``[2]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


@dataclass(frozen=True)
class Document:
    """One parsed YAML file: its data and the line (1-based) of each key path."""

    file: str  # as shown in messages (relative to the project when possible)
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def has(self, path: KeyPath) -> bool:
        """Whether ``path`` leads to a value in this document."""
        node = self.data
        for part in path:
            in_mapping = isinstance(node, Mapping) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_mapping or in_list):
                return False
            node = node[part]
        return True

    def error(self, path: KeyPath, message: str) -> FlowDefinitionError:
        """A :class:`FlowDefinitionError` located at ``path`` in this file."""
        return located_error(self.file, self.line(path), path, message)


def located_error(file: str, line: int | None, path: KeyPath, message: str) -> FlowDefinitionError:
    """``file:line: key.path: message`` as a :class:`FlowDefinitionError`."""
    where = f"{file}:{line}" if line is not None else file
    key = format_path(path) if path else None
    text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
    return FlowDefinitionError(text, file=file, line=line, key=key)


def load_document(path: Path, shown: str, env: Mapping[str, str]) -> Document:
    """Parse ``path`` (safe YAML), interpolating ``${VAR}`` in every string value."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowDefinitionError(f"{shown}: cannot read: {exc}", file=shown) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        walker = _Walker(loader, shown, env)
        data = walker.build(node, ()) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise located_error(shown, line, (), f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise located_error(shown, None, (), f"YAML error: {exc}") from None
    finally:
        loader.dispose()
    return Document(shown, data, walker.lines if node is not None else {})


class _Walker:
    """Turns a composed node graph into data plus a path → line map."""

    def __init__(self, loader: yaml.SafeLoader, file: str, env: Mapping[str, str]) -> None:
        self.loader = loader
        self.file = file
        self.env = env
        self.lines: dict[KeyPath, int] = {}

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in _PLAIN:
            # Collections are built here, not by the constructor: refuse what it would.
            raise located_error(
                self.file, node.start_mark.line + 1, path, f"unsupported YAML tag {node.tag!r}"
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node, deep=True)
        if isinstance(value, str):
            try:
                return interpolate(value, self.env)
            except InterpolationError as exc:
                raise located_error(self.file, node.start_mark.line + 1, path, str(exc)) from None
        return value

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        self._check_unique(node, path)
        self.loader.flatten_mapping(node)  # resolves `<<:` merge keys (explicit keys win)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            self.lines[(*path, key)] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, (*path, key))
        return result

    def _check_unique(self, node: yaml.MappingNode, path: KeyPath) -> None:
        seen: set[str | int] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self._key(key_node, path)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise located_error(
                    self.file, line, (*path, key), "duplicate key (it is already given above)"
                )
            seen.add(key)

    def _key(self, key_node: yaml.Node, path: KeyPath) -> str | int:
        key = self.loader.construct_object(key_node, deep=True)
        if not isinstance(key, str | int) or isinstance(key, bool):
            line = key_node.start_mark.line + 1
            raise located_error(self.file, line, path, f"key {key!r} is not a string")
        return key
