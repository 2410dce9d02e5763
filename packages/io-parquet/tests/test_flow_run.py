"""End to end: a parquet → parquet data flow run by the core runner and by ``flow run``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from flow.dataflows.config import load_flows
from flow.dataflows.runner import Runner
from flow.store import MetadataStore

Sample = Callable[..., pa.Table]

FLOW_YML = """\
entities:
  orders:
    home: {type: parquet, path: data/orders, where: [[amount, ">=", 0]]}
    store: {type: parquet, path: out/orders, row_group_size: 5000}
    key: id
    timestamp: ts
    batch_size: 1000
"""


def project(tmp_path: Path, sample: Sample) -> Path:
    (tmp_path / "flows" / "shop").mkdir(parents=True)
    (tmp_path / "flows" / "shop" / "flow.yml").write_text(FLOW_YML)
    (tmp_path / "data" / "orders").mkdir(parents=True)
    pq.write_table(sample(0, 3000), tmp_path / "data" / "orders" / "a.parquet")
    return tmp_path


def store_table(root: Path) -> pa.Table:
    return ds.dataset(root / "out" / "orders", format="parquet").to_table().sort_by("id")


async def test_runner_moves_incrementally_and_records_lineage(
    tmp_path: Path, sample: Sample
) -> None:
    root = project(tmp_path, sample)
    flows = load_flows(["shop"], project_dir=root)
    with MetadataStore.open(project_dir=root) as metadata:
        first = await Runner(flows, metadata).run()
        assert first.ok, first
        assert first.rows == 3000
        assert store_table(root).equals(sample(0, 3000))
        again = await Runner(flows, metadata).run()
        assert again.ok
        assert again.rows == 0, "a rerun with nothing new must move nothing"
        pq.write_table(sample(3000, 500), root / "data" / "orders" / "b.parquet")
        third = await Runner(flows, metadata).run()
        assert third.rows == 500
        assert store_table(root).equals(sample(0, 3500))
        upstream = metadata.upstream("shop/orders")
        assert any("parquet:data/orders" in str(node) for node in upstream), upstream


def _has_run_command() -> bool:
    out = subprocess.run(
        [sys.executable, "-m", "flow", "run", "--help"], capture_output=True, text=True
    )
    return out.returncode == 0


@pytest.mark.skipif(not _has_run_command(), reason="this flow-core has no `flow run` command yet")
def test_flow_run_cli_and_lineage(tmp_path: Path, sample: Sample) -> None:
    root = project(tmp_path, sample)

    def flow(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flow", *args], cwd=root, capture_output=True, text=True
        )

    ran = flow("run", "shop")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert store_table(root).equals(sample(0, 3000))
    lineage = flow("lineage", "upstream", "shop/orders")
    assert lineage.returncode == 0, lineage.stderr
    assert "parquet:data/orders" in lineage.stdout
    broken = root / "flows" / "shop" / "flow.yml"
    broken.write_text(FLOW_YML.replace("row_group_size", "row_groups"))
    failed = flow("run", "shop")
    assert failed.returncode != 0
    assert "row_groups" in failed.stdout + failed.stderr
