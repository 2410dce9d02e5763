"""Closing a store while another thread is inside a transaction waits for it (no crash)."""

from __future__ import annotations

import threading
from pathlib import Path

from flow.store import MetadataStore, Status


def test_close_waits_for_a_transaction_running_on_another_thread(tmp_path: Path) -> None:
    store = MetadataStore.open(project_dir=tmp_path)
    inside, release, done = threading.Event(), threading.Event(), threading.Event()
    outcome: list[object] = []

    def slow_transaction(conn: object) -> None:
        inside.set()
        release.wait(10)

    def worker() -> None:
        # Like a cancelled `asyncio.to_thread` call: still running when the owner closes.
        store._db.write(slow_transaction)  # type: ignore[arg-type]
        outcome.append(store.create_run(kind="test", target="t"))
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(10)
    closer = threading.Thread(target=store.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive(), "close() must wait for the running transaction"
    release.set()
    closer.join(10)
    assert not closer.is_alive()
    thread.join(10)
    assert done.is_set()
    with MetadataStore.open(project_dir=tmp_path) as again:
        (run_id,) = outcome
        run = again.get_run(str(run_id))
        assert run is not None
        assert run.status is Status.RUNNING
