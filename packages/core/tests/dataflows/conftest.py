"""Fixtures: a registry holding the JSON-file test provider, projects on disk, a metadata store."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flow.plugins import PluginCandidate, PluginHost, Registry
from flow.store import MetadataStore

HERE = Path(__file__).parent


def _load_provider() -> ModuleType:
    name = "flow_tests_jsonl_provider"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "jsonl_provider.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


provider = _load_provider()


@pytest.fixture
def registry() -> Registry:
    """The core plugin plus the ``jsonl`` home and store (no entry points scanned)."""
    candidate = PluginCandidate("jsonl", "flow-test-jsonl", "0.1", lambda: provider)
    return PluginHost([candidate], environ={}).registry


@pytest.fixture
def write_files(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write ``{relative path: text}`` under tmp_path (dedented); returns tmp_path."""

    def write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"))
        return tmp_path

    return write


@pytest.fixture
def metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MetadataStore]:
    """A fresh SQLite metadata store in the project's .flow directory."""
    monkeypatch.delenv("FLOW_DATABASE_URL", raising=False)
    store = MetadataStore.open(project_dir=tmp_path)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(autouse=True)
def _clear_probes() -> Iterator[None]:
    yield
    provider.PROBES.clear()
