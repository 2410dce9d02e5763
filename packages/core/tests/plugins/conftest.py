"""Fixtures that build plugins in the test (real modules, no installation) and hosts over them."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from flow.plugins import PluginCandidate, PluginHost, hookimpl, reset_host

PluginFactory = Callable[..., ModuleType]
CandidateFactory = Callable[..., PluginCandidate]
HostFactory = Callable[..., PluginHost]


@pytest.fixture
def plugin() -> PluginFactory:
    """``plugin(flow_register_codecs=fn, ...)``: a module whose attributes are marked hookimpls."""

    def make(**hooks: Callable[..., Any]) -> ModuleType:
        module = ModuleType("fake_flow_plugin")
        for hook_name, fn in hooks.items():
            setattr(module, hook_name, hookimpl(fn))
        return module

    return make


@pytest.fixture
def candidate() -> CandidateFactory:
    """``candidate(name, module, distribution=..., requires=...)``; a callable loads lazily."""

    def make(
        name: str,
        module: ModuleType | Callable[[], object],
        *,
        distribution: str | None = None,
        version: str = "1.0",
        requires: tuple[str, ...] = (),
    ) -> PluginCandidate:
        load = (lambda: module) if isinstance(module, ModuleType) else module
        dist = distribution or f"flow-{name}"
        return PluginCandidate(name, dist, version, load, requires)

    return make


@pytest.fixture
def host() -> HostFactory:
    """``host(*candidates, FLOW_X="...")``: a PluginHost over exactly these candidates."""

    def make(*candidates: PluginCandidate, **environ: str) -> PluginHost:
        return PluginHost(candidates, environ=environ)

    return make


@pytest.fixture
def module_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], str]]:
    """``write(name, source)``: an importable module on sys.path, forgotten after the test."""
    monkeypatch.syspath_prepend(str(tmp_path))
    written: list[str] = []

    def write(name: str, source: str) -> str:
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        written.append(name)
        return name

    yield write
    for name in written:
        sys.modules.pop(name, None)


@pytest.fixture
def process_host() -> Iterator[Callable[[PluginHost], PluginHost]]:
    """Install a host as the process-wide one for this test only."""

    def install(new: PluginHost) -> PluginHost:
        reset_host(new)
        return new

    yield install
    reset_host()
