"""Lazy re-exports: a package names its public API, each name imported on first use.

A package's ``__init__`` maps each public name to the module defining it and
assigns ``__getattr__, __dir__ = lazy_exports(...)``: importing the package
stays cheap (no SQLAlchemy, pydantic or provider clients until asked for).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Collection, Mapping
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str,
    names: Mapping[str, str],
    public: Collection[str],
    *,
    submodules: Collection[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package``.

    ``names`` maps each lazy name to its module (absolute, or relative to
    ``package``); a name in ``submodules`` is the module itself, any other the
    attribute of that name in it. A resolved name is cached in the package's
    namespace, so ``__getattr__`` runs once per name. ``__dir__`` lists ``public``.
    """

    def __getattr__(name: str) -> Any:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(module_name, package)
        value = module if name in submodules else getattr(module, name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(public)

    return __getattr__, __dir__
