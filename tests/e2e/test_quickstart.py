"""The README's quickstart command runs end to end, and its second run moves nothing new."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"


def run(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(project / "main.py"), "--project", str(project), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_quickstart_moves_materializes_and_is_incremental(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns("data", "out", ".flow"))

    first = run(project)
    assert "sample data: 120 new orders exported" in first
    assert "│ shop/orders" in first
    assert "│ 120" in first
    assert "catalog/customers" in first
    assert "catalog/products" in first
    for name in ("orders", "customers", "daily_revenue", "top_customers"):
        assert f"│ {name}" in first
    assert "incremental shop/orders: 120 new rows moved" in first
    assert "lineage: home:parquet:data/shop/orders -> shop/orders -> orders" in first
    assert "EUR" in first
    assert "top customers:" in first
    assert (project / ".flow" / "flow.db").exists()

    second = run(project)
    assert "incremental shop/orders: 0 new rows moved" in second
    assert "sample data" not in second

    third = run(project, "--new-orders", "25")
    assert "incremental shop/orders: 25 new rows moved" in third


def test_live_config_example_applies_rejects_and_recovers() -> None:
    result = subprocess.run(
        [sys.executable, "examples/live_config/main.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "started: health=healthy" in out
    assert "applied: workers 4 -> 8" in out
    assert "still running on workers=8, health=degraded" in out
    assert "done: health=healthy, workers=6" in out
    assert "s3cret" not in out + result.stderr
