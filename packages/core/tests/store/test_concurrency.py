"""Several threads and several processes writing one SQLite file: nothing lost, nothing locked."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from flow.store import MetadataStore, Status

WRITER = """
import sys
from flow.store import MetadataStore, Status, MaterializationRecord
from datetime import datetime, UTC
url, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with MetadataStore.open(url) as store:
    rid = store.create_run(kind="backfill", target=name, run_id=name)
    print("ready", flush=True)
    sys.stdin.readline()  # start together
    for i in range(n):
        mid = store.start_materialization(run_id=rid, asset_key=name, partition=f"p:{i}")
        store.add_lineage(mid, (name, f"p:{i}"), [("src", f"p:{i}")])
        store.finish_materialization(mid, status=Status.SUCCESS)
        if i % 10 == 0:
            now = datetime.now(UTC)
            store.record_materializations(
                [MaterializationRecord(rid, name + "_batch", f"p:{i}:{j}", Status.SUCCESS, now, now)
                 for j in range(20)]
            )
        store.audit("materialize", name)
    store.finish_run(rid, Status.SUCCESS)
"""


def test_two_processes_hammer_one_sqlite_file(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    n = 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, f"w{k}", str(n)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    try:
        for p in procs:
            assert p.stdout is not None
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outcomes = [p.communicate(timeout=240) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, (_, err) in zip(procs, outcomes, strict=True):
        assert p.returncode == 0, err
        assert "locked" not in err
    with MetadataStore.open(url) as store:
        for name in ("w0", "w1"):
            mats = store.list_materializations(asset_key=name, limit=10_000)
            assert len(mats) == n
            assert all(m.status is Status.SUCCESS for m in mats)
            assert len({m.partition for m in mats}) == n  # none recorded twice
            batch = store.list_materializations(asset_key=f"{name}_batch", limit=10_000)
            assert len(batch) == 20 * len(range(0, n, 10))
            assert len(store.audit_events(target=name, limit=10_000)) == n
            run = store.get_run(name)
            assert run is not None
            assert run.status is Status.SUCCESS
        assert len(store.upstream("w0", "p:3")) == 1


def test_threads_share_one_store(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize_all", target="*")
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for i in range(40):
                mid = store.start_materialization(run_id=rid, asset_key=f"t{k}", partition=f"p:{i}")
                store.finish_materialization(mid, status=Status.SUCCESS)
                store.set_watermark("threads", f"t{k}", str(i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(store.list_materializations(run_id=rid, limit=1000)) == 320
    assert all(store.get_watermark("threads", f"t{k}") == "39" for k in range(8))
    statuses = store.latest_statuses([f"t{k}" for k in range(8)])
    assert len(statuses) == 320
    assert all(m.status is Status.SUCCESS for m in statuses.values())
