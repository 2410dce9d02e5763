"""A third-party plugin, built as a wheel outside the workspace, installed into a fresh venv.

The story a plugin author and a user live through: ``flow plugins new`` → ``uv build`` →
install next to a flow-core wheel → ``flow plugins list`` shows it ``loaded`` and its own
smoke test passes; then a broken release (``failed``, everything else still works), then a
fork claiming the same plugin and codec names (both ``conflict``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flow.testing import require_binary

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
WORKSPACE_FLOW = Path(sys.executable).parent / "flow"


def clean_env() -> dict[str, str]:
    """The environment of a user's shell in CI: no workspace venv, no Flow controls, no TTY."""
    drop = {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV_PROJECT_ENVIRONMENT"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("FLOW_")}
    return env | {"CI": "true", "NO_COLOR": "1", "COLUMNS": "200"}


def run(
    *argv: str | Path, cwd: Path | None = None, check: bool = True, **env: str
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=clean_env() | env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    if check and done.returncode != 0:
        pytest.fail(
            f"{' '.join(map(str, argv))} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        )
    return done


def build_wheel(uv: str, project: Path, out: Path) -> Path:
    before = set(out.glob("*.whl")) if out.exists() else set()
    run(uv, "build", "--wheel", "--quiet", "--out-dir", out, project, cwd=project)
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


@pytest.fixture(scope="session")
def uv() -> str:
    return require_binary("uv", "pip install uv (https://docs.astral.sh/uv/)")


@pytest.fixture(scope="session")
def core_wheel(uv: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """flow-core built once per session from packages/core."""
    return build_wheel(uv, ROOT / "packages" / "core", tmp_path_factory.mktemp("core-dist"))


@dataclass
class Env:
    """A fresh virtual environment with flow-core installed from its wheel."""

    uv: str
    root: Path
    core_wheel: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def flow(self) -> Path:
        return self.root / "bin" / "flow"

    def install(self, *wheels: Path, reinstall: str | None = None) -> None:
        extra = ["--reinstall-package", reinstall] if reinstall else []
        run(
            self.uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            self.python,
            *extra,
            self.core_wheel,
            *wheels,
        )

    def plugins(self) -> list[dict[str, Any]]:
        done = run(self.flow, "plugins", "list", "--json")
        listed: list[dict[str, Any]] = json.loads(done.stdout)
        return listed

    def assert_cli_works(self) -> None:
        assert "plugins" in run(self.flow, "--help").stdout
        table = run(self.flow, "plugins", "list")
        assert "flow-core" in table.stdout


@pytest.fixture
def venv(uv: str, core_wheel: Path, tmp_path: Path) -> Env:
    root = tmp_path / "venv"
    run(uv, "venv", "--quiet", "--python", sys.executable, root)
    return Env(uv, root, core_wheel)


def new_plugin(name: str, where: Path) -> Path:
    """Run the workspace's ``flow plugins new`` (the CLI a plugin author runs)."""
    done = run(WORKSPACE_FLOW, "plugins", "new", name, "--dir", where)
    project = where / f"flow-{name}"
    assert f"created {project}" in done.stdout
    return project


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def by_distribution(listed: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {p["distribution"]: p for p in listed}


def test_third_party_plugin_wheel_lifecycle(venv: Env, tmp_path: Path) -> None:
    authors = tmp_path / "authors"  # outside the workspace: pytest's tmp dir
    authors.mkdir()
    assert ROOT not in authors.parents
    dist = tmp_path / "dist"

    # 1. A fresh plugin from the template, built and installed with flow-core.
    acme = new_plugin("acme", authors)
    good = build_wheel(venv.uv, acme, dist)
    venv.install(good)
    run(venv.uv, "pip", "install", "--quiet", "--python", venv.python, "pytest>=8")
    plugins = by_distribution(venv.plugins())
    assert plugins["flow-acme"] == {
        "name": "acme",
        "distribution": "flow-acme",
        "version": "0.1.0",
        "status": "loaded",
        "error": None,
        "provides": {"codecs": ["acme"]},
    }
    assert plugins["flow-core"]["status"] == "loaded"
    venv.assert_cli_works()
    smoke = run(venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", cwd=acme)
    assert re.search(r"\b1 passed\b", smoke.stdout), smoke.stdout

    # 2. A broken release: the hook module fails to import. Flow keeps working.
    future = "from __future__ import annotations\n"
    broken = "\nraise ImportError('acme 0.1.1 is broken on purpose')\n"
    edit(acme / "src" / "flow_acme" / "plugin.py", future, future + broken)
    edit(acme / "pyproject.toml", 'version = "0.1.0"', 'version = "0.1.1"')
    venv.install(build_wheel(venv.uv, acme, dist))
    plugins = by_distribution(venv.plugins())
    assert plugins["flow-acme"]["version"] == "0.1.1"
    assert plugins["flow-acme"]["status"] == "failed"
    assert plugins["flow-acme"]["error"] == "ImportError: acme 0.1.1 is broken on purpose"
    assert plugins["flow-acme"]["provides"] == {}
    assert plugins["flow-core"]["status"] == "loaded"
    venv.assert_cli_works()
    table = run(venv.flow, "plugins", "list")
    assert "failed: ImportError: acme 0.1.1 is broken on purpose" in table.stdout
    strict = run(venv.flow, "plugins", "list", check=False, FLOW_STRICT_PLUGINS="1")
    assert strict.returncode != 0
    assert "PluginLoadError" in strict.stderr
    assert "acme 0.1.1 is broken on purpose" in strict.stderr
    disabled = by_distribution(json.loads(
        run(venv.flow, "plugins", "list", "--json", FLOW_DISABLE_PLUGINS="flow-acme").stdout
    ))  # fmt: skip
    assert disabled["flow-acme"]["status"] == "blocked"

    # 3. The good release again, plus a fork claiming the same plugin name and codec.
    venv.install(good, reinstall="flow-acme")
    fork = new_plugin("acme-fork", authors)
    edit(
        fork / "pyproject.toml",
        'acme-fork = "flow_acme_fork.plugin"',
        'acme = "flow_acme_fork.plugin"',
    )
    edit(fork / "src" / "flow_acme_fork" / "plugin.py", 'register("acme-fork"', 'register("acme"')
    venv.install(build_wheel(venv.uv, fork, dist))
    plugins = by_distribution(venv.plugins())
    assert (plugins["flow-acme"]["name"], plugins["flow-acme-fork"]["name"]) == ("acme", "acme")
    assert plugins["flow-acme"]["status"] == "conflict"
    assert plugins["flow-acme-fork"]["status"] == "conflict"
    assert "flow-acme-fork" in plugins["flow-acme"]["error"]
    assert "flow-acme" in plugins["flow-acme-fork"]["error"]
    assert plugins["flow-core"]["status"] == "loaded"
    venv.assert_cli_works()
    use = run(
        venv.python, "-c", "from flow.live.codecs import get_codec; get_codec('acme')", check=False
    )
    assert use.returncode != 0
    assert "PluginConflictError" in use.stderr
    assert "flow-acme, flow-acme-fork" in use.stderr
    assert "FLOW_DISABLE_PLUGINS=" in use.stderr
