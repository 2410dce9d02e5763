"""``flow assets list|materialize|backfill|status|graph`` as a user runs them (subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROJECT_ASSETS = textwrap.dedent(
    """
    from flow.assets import asset, DailyPartitions, StaticPartitions

    @asset
    def raw():
        \"\"\"Raw numbers.\"\"\"
        return [1, 2, 3]

    @asset(deps=["raw"], io_manager="fs")
    def total(raw):
        return sum(raw)

    @asset(deps=["raw"])
    def broken(raw):
        raise RuntimeError("kaput")

    @asset(deps=["broken"], optional_deps=["total"])
    def after(broken, total):
        return broken

    @asset(partitions=DailyPartitions("2026-01-01"), io_manager="fs")
    def daily(context):
        return context.partition.day
    """
)


@pytest.fixture
def cli_project(project: Path) -> Path:
    (project / "proj_cli_assets.py").write_text(PROJECT_ASSETS)
    (project / "pyproject.toml").write_text('[tool.flow]\nassets = "proj_cli_assets"\n')
    return project


def flow(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("FLOW_DATABASE_URL", "FLOW_ASSETS_MODULE")
    }
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, "-m", "flow", "assets", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_list_table_and_json(cli_project: Path) -> None:
    table = flow(cli_project, "list")
    assert table.returncode == 0, table.stderr
    assert "raw" in table.stdout
    assert "Raw numbers." in table.stdout
    listed = json.loads(flow(cli_project, "list", "--json").stdout)
    keys = [a["key"] for a in listed]
    assert keys.index("raw") < keys.index("total") < keys.index("after")
    after = next(a for a in listed if a["key"] == "after")
    assert after["deps"] == ["broken"]
    assert after["optional_deps"] == ["total"]


def test_materialize_reports_and_exits_non_zero_on_failure(cli_project: Path) -> None:
    ok = flow(cli_project, "materialize", "total", "--json")
    assert ok.returncode == 0, ok.stderr
    run = json.loads(ok.stdout)
    assert run["status"] == "success"
    assert [m["asset"] for m in run["materializations"]] == ["raw", "total"]
    bad = flow(cli_project, "materialize", "after")
    assert bad.returncode == 1
    assert "kaput" in bad.stdout
    assert "skipped" in bad.stdout
    status = json.loads(flow(cli_project, "status", "--json").stdout)
    by_asset = {row["asset"]: row["status"] for row in status}
    assert by_asset["total"] == "success"
    assert by_asset["broken"] == "failed"
    assert by_asset["after"] == "skipped"
    assert by_asset["daily"] == "never"


def test_backfill_range_skip_and_force(cli_project: Path) -> None:
    first = flow(
        cli_project, "backfill", "daily", "--partitions", "2026-01-01..2026-01-03", "--json"
    )
    assert first.returncode == 0, first.stderr
    assert len(json.loads(first.stdout)["materializations"]) == 3
    again = flow(cli_project, "backfill", "daily", "--partitions", "2026-01-02,2026-01-04")
    assert again.returncode == 0, again.stderr
    assert "1 partition(s) already succeeded" in again.stdout
    forced = flow(
        cli_project,
        "backfill",
        "daily",
        "--partitions",
        "2026-01-01..2026-01-02",
        "--force",
        "--json",
    )
    assert len(json.loads(forced.stdout)["materializations"]) == 2
    status = json.loads(flow(cli_project, "status", "daily", "--json").stdout)
    assert [row["partition"] for row in status] == [f"d:2026-01-0{d}" for d in range(1, 5)]


def test_bad_input_exits_2_with_a_clear_message(cli_project: Path) -> None:
    bad_partition = flow(cli_project, "backfill", "daily", "--partitions", "2026-13-01..2026-13-02")
    assert bad_partition.returncode == 2
    assert "not a day" in bad_partition.stderr
    unknown = flow(cli_project, "materialize", "totl")
    assert unknown.returncode == 2
    assert "did you mean 'total'" in unknown.stderr
    missing = flow(cli_project, "materialize", "total", "--module", "no_such_module")
    assert missing.returncode == 2
    assert "no_such_module" in missing.stderr
    fmt = flow(cli_project, "graph", "--format", "png")
    assert fmt.returncode == 2


def test_graph_mermaid_and_dot(cli_project: Path) -> None:
    mermaid = flow(cli_project, "graph")
    assert mermaid.returncode == 0, mermaid.stderr
    assert mermaid.stdout.startswith("flowchart LR")
    assert "-.->" in mermaid.stdout  # the optional dependency
    dot = flow(cli_project, "graph", "--format", "dot")
    assert '"raw" -> "total";' in dot.stdout
    assert '"total" -> "after" [style=dashed];' in dot.stdout


def test_cycle_in_a_module_is_reported(project: Path) -> None:
    (project / "cyclic_assets.py").write_text(
        "from flow.assets import asset\n"
        "@asset(deps=['b'])\ndef a(b):\n    return b\n"
        "@asset(deps=['a'])\ndef b(a):\n    return a\n"
    )
    result = flow(project, "list", "--module", "cyclic_assets")
    assert result.returncode == 2
    assert "dependency cycle" in result.stderr
