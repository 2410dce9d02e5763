"""Discovery through real ``flow`` entry points (a dist-info directory on sys.path)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import flow.plugins
import pytest
from flow.plugins import ENTRY_POINT_GROUP, PluginHost, PluginStatus, get_host, get_registry
from flow.plugins._host import candidates_from_entry_points


def write_distribution(
    root: Path, dist: str, version: str, entry_points: dict[str, str], requires: list[str]
) -> None:
    """Write an installed-looking distribution (METADATA + entry_points.txt) under ``root``."""
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    metadata = ["Metadata-Version: 2.1", f"Name: {dist}", f"Version: {version}"]
    metadata += [f"Requires-Dist: {r}" for r in requires]
    (info / "METADATA").write_text("\n".join(metadata) + "\n", encoding="utf-8")
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in list(sys.modules):
        if name.startswith("flow_disco_"):
            del sys.modules[name]


def test_entry_points_become_candidates_with_metadata(site: Path) -> None:
    (site / "flow_disco_acme.py").write_text(
        textwrap.dedent(
            """
            from flow.plugins import hookimpl

            @hookimpl
            def flow_register_codecs(register):
                register("disco", "flow_disco_acme:Codec")
            """
        ),
        encoding="utf-8",
    )
    write_distribution(
        site, "flow-disco", "2.3", {"disco": "flow_disco_acme"}, ["flow-core>=0.1", "pyyaml"]
    )
    (found,) = [c for c in candidates_from_entry_points() if c.distribution == "flow-disco"]
    assert (found.name, found.version, found.requires) == (
        "disco",
        "2.3",
        ("flow-core>=0.1", "pyyaml"),
    )
    host = PluginHost()
    (info,) = [p for p in host.plugins if p.distribution == "flow-disco"]
    assert (info.name, info.status, info.provides) == (
        "disco",
        PluginStatus.LOADED,
        {"codecs": ["disco"]},
    )


def test_broken_entry_point_is_failed_not_fatal(site: Path) -> None:
    (site / "flow_disco_broken.py").write_text(
        "raise ImportError('half-installed')\n", encoding="utf-8"
    )
    write_distribution(site, "flow-disco-broken", "1.0", {"broken": "flow_disco_broken"}, [])
    host = PluginHost()
    (info,) = [p for p in host.plugins if p.distribution == "flow-disco-broken"]
    assert info.status_text == "failed: ImportError: half-installed"
    assert [p.status for p in host.plugins if p.name == "core"] == [PluginStatus.LOADED]


def test_process_wide_host_and_reset(
    site: Path, process_host: Callable[[PluginHost], PluginHost]
) -> None:
    flow.plugins.reset_host()
    first = get_host()
    assert get_host() is first
    assert get_registry() is first.registry
    custom = process_host(PluginHost([], environ={}))
    assert get_host() is custom
    assert [p.name for p in get_registry().plugins] == ["core"]


CHECK_IMPORTS = """
import json, sys
import flow
assert 'importlib.metadata' not in sys.modules, 'import flow must not scan entry points'
from flow.plugins import get_registry
registry = get_registry()
loaded = [p.distribution for p in registry.plugins if p.status == 'loaded']
heavy = sorted(m for m in {mods} if m in sys.modules)
print(json.dumps({{"loaded": loaded, "heavy": heavy}}))
"""
# The client libraries of the in-repo providers: none may be imported by discovery.
CLIENT_LIBRARIES = [
    "redis", "pyarrow", "nats", "kazoo", "aetcd", "consul", "google.cloud.firestore",
    "watchdog", "grpc", "sqlalchemy",
]  # fmt: skip


def test_import_flow_and_registry_import_no_client_library() -> None:
    code = CHECK_IMPORTS.format(mods=CLIENT_LIBRARIES)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=_clean_env()
    )
    import json

    result = json.loads(done.stdout)
    assert "flow-core" in result["loaded"]
    assert result["heavy"] == []


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
