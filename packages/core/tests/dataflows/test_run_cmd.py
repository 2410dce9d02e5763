"""``flow run`` in a real subprocess: tables, --json, --dry-run, --entity, errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from .conftest import provider

BOOT = Path(__file__).with_name("cli_bootstrap.py")
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def flow(root: Path, *args: str, project: str = "--project") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FLOW_DATABASE_URL"}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, str(BOOT), *args, project, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def project(root: Path, n: int = 12) -> Path:
    rows = [{"id": i, "name": f"n{i}", "updated_at": T0 + timedelta(minutes=i)} for i in range(n)]
    (root / "data").mkdir()
    (root / "data" / "orders.json").write_text(provider.dump(rows))
    (root / "data" / "items.json").write_text(provider.dump(rows[:5]))
    spec: dict[str, Any] = {
        "description": "test shop",
        "retry_delay": 0,
        "entities": {
            "orders": {
                "home": {"type": "jsonl", "path": "data/orders.json"},
                "store": {"type": "jsonl", "path": "out/orders.json"},
                "key": "id",
                "timestamp": "updated_at",
                "batch_size": 5,
            },
            "items": {
                "home": {"type": "jsonl", "path": "data/items.json"},
                "store": {"type": "jsonl", "path": "out/items.json"},
            },
        },
    }
    (root / "flows" / "shop").mkdir(parents=True)
    (root / "flows" / "shop" / "flow.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def test_run_prints_a_summary_and_reruns_move_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = flow(root, "run", "shop")
    assert first.returncode == 0, first.stderr
    assert "shop/orders" in first.stdout
    assert "jsonl:data/orders.json → jsonl:out/orders.json" in first.stdout
    assert "2 entities, 0 failed, 17 rows" in first.stdout
    assert "2026-03-01T00:11:00+00:00" in first.stdout  # the watermark, for people
    assert len(provider.read_rows(root / "out" / "orders.json")) == 12

    second = flow(root, "run", "--json")
    assert second.returncode == 0, second.stderr
    data = json.loads(second.stdout)
    by_name = {e["entity"]: e for e in data["entities"]}
    assert by_name["orders"]["rows"] == 0  # incremental: nothing new
    assert by_name["items"]["rows"] == 5  # no timestamp: a full read each time
    assert data["totals"]["ok"] is True
    assert data["totals"]["rows"] == 5
    assert by_name["orders"]["status"] == "success"
    assert by_name["orders"]["watermark_before"] == by_name["orders"]["watermark_after"]


def test_dry_run_moves_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = flow(root, "run", "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dry_run"] is True
    assert [(p["entity"], p["mode"]) for p in data["plan"]] == [
        ("orders", "initial"),
        ("items", "full"),
    ]
    assert not (root / "out").exists()
    table = flow(root, "run", "--dry-run")
    assert "nothing was moved" in table.stdout
    assert "jsonl:data/items.json → jsonl:out/items.json" in table.stdout


def test_entity_option_and_full_refresh(tmp_path: Path) -> None:
    root = project(tmp_path)
    result = flow(root, "run", "--entity", "items", "--json")
    assert result.returncode == 0, result.stderr
    assert [e["entity"] for e in json.loads(result.stdout)["entities"]] == ["items"]
    assert not (root / "out" / "orders.json").exists()
    flow(root, "run", "--json")
    refresh = flow(root, "run", "-e", "orders", "--full-refresh", "--json")
    assert json.loads(refresh.stdout)["entities"][0]["rows"] == 12


def test_failure_exits_non_zero_and_names_the_error(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "data" / "orders.json").write_text("[{not json")
    result = flow(root, "run")
    assert result.returncode == 1
    assert "shop/orders failed after 1 try: JSONDecodeError" in result.stderr
    assert len(provider.read_rows(root / "out" / "items.json")) == 5  # the other entity moved


def test_config_error_exits_2_with_file_and_line(tmp_path: Path) -> None:
    root = project(tmp_path)
    path = root / "flows" / "shop" / "flow.yml"
    path.write_text(path.read_text().replace("batch_size: 5", "batch_size: many"))
    result = flow(root, "run")
    assert result.returncode == 2
    assert "flows/shop/flow.yml:" in result.stderr
    assert "entities.orders.batch_size" in result.stderr
    as_json = flow(root, "run", "--json")
    assert as_json.returncode == 2
    assert "entities.orders.batch_size" in json.loads(as_json.stdout)["error"]


def test_no_flows_explains_how_to_create_one(tmp_path: Path) -> None:
    result = flow(tmp_path, "run")
    assert result.returncode == 2
    assert "create flows/<name>/flow.yml" in result.stderr


def test_unknown_entity(tmp_path: Path) -> None:
    result = flow(project(tmp_path), "run", "--entity", "nope")
    assert result.returncode == 2
    assert "no entity named nope" in result.stderr


def test_lineage_shows_the_entity(tmp_path: Path) -> None:
    root = project(tmp_path)
    assert flow(root, "run").returncode == 0
    result = flow(root, "lineage", "upstream", "shop/orders", "--json", project="--project-dir")
    assert result.returncode == 0, result.stderr
    assert "home:jsonl:data/orders.json" in result.stdout
