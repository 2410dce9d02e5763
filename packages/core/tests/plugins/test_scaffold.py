"""``flow plugins new``'s template: a complete project whose hook module loads and works."""

from __future__ import annotations

import importlib
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from flow._version import __version__
from flow.errors import FlowError
from flow.plugins import PluginCandidate, PluginHost, PluginStatus
from flow.plugins.scaffold import create_plugin_project


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    target = create_plugin_project("acme-x", tmp_path)
    monkeypatch.syspath_prepend(str(target / "src"))
    yield target
    for name in [m for m in sys.modules if m.startswith("flow_acme_x")]:
        del sys.modules[name]


def test_project_layout_and_metadata(project: Path) -> None:
    assert project.name == "flow-acme-x"
    files = sorted(str(p.relative_to(project)) for p in project.rglob("*") if p.is_file())
    assert files == [
        "README.md",
        "pyproject.toml",
        "src/flow_acme_x/__init__.py",
        "src/flow_acme_x/codec.py",
        "src/flow_acme_x/plugin.py",
        "src/flow_acme_x/py.typed",
        "tests/test_smoke.py",
    ]
    meta = tomllib.loads((project / "pyproject.toml").read_text())
    major, minor = __version__.split(".")[:2]
    assert meta["project"]["name"] == "flow-acme-x"
    assert meta["project"]["dependencies"] == [
        f"flow-core>={major}.{minor},<{major}.{int(minor) + 1}"
    ]
    assert meta["project"]["entry-points"]["flow"] == {"acme-x": "flow_acme_x.plugin"}
    assert "$" not in "".join(p.read_text() for p in project.rglob("*") if p.is_file())


def test_generated_hook_module_loads_lazily_and_works(project: Path) -> None:
    hooks = importlib.import_module("flow_acme_x.plugin")
    host = PluginHost(
        [PluginCandidate("acme-x", "flow-acme-x", "0.1.0", lambda: hooks)], environ={}
    )
    assert [(p.name, p.status) for p in host.plugins][-1] == ("acme-x", PluginStatus.LOADED)
    assert "flow_acme_x.codec" not in sys.modules
    codec = host.registry.resolve("codecs", "acme-x")
    assert codec().decode(b"hi") == "HI"  # type: ignore[operator]


@pytest.mark.parametrize("name", ["Acme", "1acme", "acme!", "", "ac me"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(FlowError, match="invalid plugin name"):
        create_plugin_project(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_directory_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "flow-acme").mkdir()
    (tmp_path / "flow-acme" / "keep.txt").write_text("mine")
    with pytest.raises(FlowError, match="already exists"):
        create_plugin_project("acme", tmp_path)
    assert (tmp_path / "flow-acme" / "keep.txt").read_text() == "mine"
