"""Issue 7 point 3: SIGKILL a parquet → parquet incremental run at random points, rerun, compare.

A subprocess runs the flow (``flow run`` when this core has it, else the core
runner through ``run_flow.py``) while the test appends new rows and updates of
old keys to the source between runs, and kills it with SIGKILL after a random
delay (seeded) spread over a whole run: during start-up, reading, writing to
staging and publishing. After every kill the published store must be whole
(every file readable, no staging visible, no duplicate key, only rows the
source holds or held) and after every clean rerun it must equal the source.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

Sample = Callable[..., pa.Table]
ROUNDS = 8
FLOW_YML = """\
entities:
  events:
    home: {type: parquet, path: data/events}
    store: {type: parquet, path: out/events, row_group_size: 20000}
    key: id
    timestamp: ts
    batch_size: 2000
"""


def _command(root: Path) -> list[str]:
    probe = subprocess.run(
        [sys.executable, "-m", "flow", "run", "--help"], capture_output=True, text=True
    )
    if probe.returncode == 0:
        return [sys.executable, "-m", "flow", "run", "sk"]
    return [sys.executable, str(Path(__file__).with_name("run_flow.py")), str(root), "sk"]


def _start(command: list[str], root: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def _finish(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> str:
    out, _ = proc.communicate(timeout=timeout)
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"run failed ({proc.returncode}):\n{text}"
    return text


def _expected(root: Path) -> pa.Table:
    """The source as a table: the latest version (largest ts) of every key."""
    source = ds.dataset(root / "data" / "events", format="parquet").to_table()
    latest = source.group_by("id").aggregate([("ts", "max")])
    keep = source.join(latest, keys=["id", "ts"], right_keys=["id", "ts_max"], join_type="inner")
    return keep.select(source.column_names).sort_by("id")


def _published(root: Path) -> pa.Table | None:
    target = root / "out" / "events"
    if not target.is_symlink():
        assert not target.exists(), "the store path must only ever be Flow's symlink"
        return None
    version = Path(os.path.realpath(target))
    assert version.name.startswith("v-"), f"a non-version directory is visible: {version}"
    for part in version.glob("*.parquet"):
        pq.read_metadata(part)  # every visible file is complete
    return ds.dataset(version, format="parquet").to_table().sort_by("id")


def _check_whole(root: Path) -> None:
    table = _published(root)
    if table is None:
        return
    ids = table["id"]
    assert pc.count_distinct(ids).as_py() == len(ids), "duplicate keys in the store"
    source = ds.dataset(root / "data" / "events", format="parquet").to_table()
    unknown = table.join(source, keys=table.column_names, join_type="left anti")
    assert unknown.num_rows == 0, f"rows the source never held: {unknown.slice(0, 3)}"


@pytest.mark.slow
def test_sigkill_during_incremental_runs_never_loses_or_duplicates(
    tmp_path: Path, sample: Sample
) -> None:
    rng = random.Random(7)
    root = tmp_path
    (root / "flows" / "sk").mkdir(parents=True)
    (root / "flows" / "sk" / "flow.yml").write_text(FLOW_YML)
    source = root / "data" / "events"
    source.mkdir(parents=True)
    command = _command(root)
    next_id, file_no, kills = 0, 0, 0

    def append(count: int) -> None:
        nonlocal next_id, file_no
        new = sample(next_id, count, version=f"r{file_no}")
        # Updates of older keys too, with later timestamps than anything before them.
        if next_id:
            old = sorted(rng.sample(range(next_id), min(50, next_id)))
            updated = sample(next_id, len(old), version=f"u{file_no}").set_column(
                0, "id", pa.array(old, pa.int64())
            )
            new = pa.concat_tables([new, updated])
        pq.write_table(new, source / f"f{file_no:04d}.parquet", row_group_size=5000)
        next_id += count
        file_no += 1

    append(40_000)
    started = time.monotonic()
    _finish(_start(command, root))
    duration = time.monotonic() - started
    assert _published(root) == _expected(root)
    for _ in range(ROUNDS):
        append(rng.randint(10_000, 40_000))
        proc = _start(command, root)
        try:
            try:
                # Spread kills over the whole run: start-up, reading, writing, publishing.
                proc.wait(timeout=rng.uniform(0.3, 1.1) * duration)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        _check_whole(root)
        if rng.random() < 0.5:  # sometimes kill again before the clean rerun
            continue
        _finish(_start(command, root))
        assert _published(root) == _expected(root)
    _finish(_start(command, root))
    assert _published(root) == _expected(root)
    hidden = root / "out" / ".events.flow"
    assert not list(hidden.glob("staging-*")), "staging leftovers after a clean run"
    assert len(list(hidden.glob("v-*"))) <= 2
    assert kills >= ROUNDS // 3, f"only {kills} runs were killed: the delays are off"
