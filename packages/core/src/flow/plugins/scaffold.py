"""Creates a new plugin project from the template shipped with flow-core."""

from __future__ import annotations

import re
import string
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from .._version import __version__
from ..errors import FlowError

__all__ = ["create_plugin_project"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def create_plugin_project(name: str, directory: Path) -> Path:
    """Write ``flow-<name>/`` under ``directory``: pyproject, hook module, README and a test."""
    if not _NAME.match(name):
        raise FlowError(
            f"invalid plugin name {name!r}: start with a letter, then lower-case letters, "
            "digits, '-' or '_' (e.g. 'acme' or 'acme-watcher')"
        )
    module = "flow_" + name.replace("-", "_")
    target = Path(directory) / f"flow-{name}"
    if target.exists():
        raise FlowError(f"{target} already exists; choose another name or --dir")
    core = __version__.split(".")
    values = {
        "name": name,
        "distribution": f"flow-{name}",
        "module": module,
        "core_range": f">={core[0]}.{core[1]},<{core[0]}.{int(core[1]) + 1}",
    }
    _copy(files("flow.plugins") / "_template", target, values)
    return target


def _copy(source: Traversable, target: Path, values: dict[str, str]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        name = item.name.replace("__module__", values["module"]).removesuffix(".tmpl")
        if item.is_dir():
            _copy(item, target / name, values)
        else:
            text = string.Template(item.read_text(encoding="utf-8")).substitute(values)
            (target / name).write_text(text, encoding="utf-8")
