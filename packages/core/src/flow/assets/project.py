"""Finding a project's assets: ``--module``, the project setting, or the default registry.

The project setting is looked up in this order (first found wins):

1. the environment variable ``FLOW_ASSETS_MODULE`` (``pkg.mod`` or ``a.mod,b.mod``);
2. ``flow.toml`` in the project directory: ``assets = "pkg.mod"`` (or a list);
3. ``pyproject.toml``: ``[tool.flow] assets = "pkg.mod"`` (or a list).

The project directory (default: the current one) is put on ``sys.path`` so
that modules next to the project files import.
"""

from __future__ import annotations

import importlib
import os
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from ..errors import AssetDefinitionError
from .registry import Definitions, default_registry

__all__ = ["ASSETS_MODULE_ENV", "load_definitions", "project_modules"]

ASSETS_MODULE_ENV = "FLOW_ASSETS_MODULE"
_DEFS_NAMES = ("defs", "definitions")


def load_definitions(
    module: str | None = None, project_dir: str | Path | None = None
) -> Definitions:
    """The assets to work with.

    ``module`` (``pkg.mod``, or several joined by commas) is imported; a
    :class:`Definitions` named ``defs`` or ``definitions`` in it is used as is,
    otherwise every asset in the default registry after the import. Without
    ``module``, the project setting names the modules; without a setting, the
    default registry as it is.
    """
    root = Path(project_dir) if project_dir is not None else Path.cwd()
    names = _split(module) if module else project_modules(root)
    if names:
        _on_path(root)
        for name in names:
            found = _explicit(_import(name, root))
            if found is not None and len(names) == 1:
                return found.with_project_dir(found.project_dir or root)
    return Definitions(default_registry().snapshot(), project_dir=root)


def project_modules(project_dir: Path) -> list[str]:
    """The asset modules the project names (environment, flow.toml, pyproject.toml)."""
    env = os.environ.get(ASSETS_MODULE_ENV, "").strip()
    if env:
        return _split(env)
    for file, path in (("flow.toml", ()), ("pyproject.toml", ("tool", "flow"))):
        candidate = project_dir / file
        if not candidate.is_file():
            continue
        try:
            data = tomllib.loads(candidate.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise AssetDefinitionError(f"cannot read {candidate}: {exc}") from None
        for part in path:
            data = data.get(part, {}) if isinstance(data, dict) else {}
        value = data.get("assets") if isinstance(data, dict) else None
        if value is None:
            continue
        if isinstance(value, str):
            return _split(value)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
        where = "assets" if file == "flow.toml" else "[tool.flow] assets"
        raise AssetDefinitionError(
            f"{candidate}: {where} must be a module name or a list of them, got {value!r}"
        )
    return []


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _on_path(root: Path) -> None:
    entry = str(root.absolute())
    if entry not in sys.path:
        sys.path.insert(0, entry)


def _import(name: str, root: Path) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            raise AssetDefinitionError(
                f"cannot import assets module {name!r}: no such module (looked in {root} "
                "and on sys.path); check --module, FLOW_ASSETS_MODULE or the project setting"
            ) from None
        raise AssetDefinitionError(f"importing assets module {name!r} failed: {exc}") from exc
    except AssetDefinitionError:
        raise
    except Exception as exc:
        raise AssetDefinitionError(
            f"importing assets module {name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc


def _explicit(module: ModuleType) -> Definitions | None:
    for attr in _DEFS_NAMES:
        value = getattr(module, attr, None)
        if isinstance(value, Definitions):
            return value
    return None
