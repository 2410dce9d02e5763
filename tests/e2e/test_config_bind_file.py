"""config.bind to a real file through flow-watcher-file (needs the workspace, not core alone)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from flow.errors import BoundPathError
from flow.live.health import Health
from flow.state import Flow


def test_sync_bind_to_a_file_follows_edits(tmp_path: Path) -> None:
    file = tmp_path / "features.json"
    file.write_text(json.dumps({"beta": False, "limit": 1}))
    flow = Flow()
    binding = flow.bind(f"file:{file}", at="features", timeout=10.0)
    try:
        assert flow.features.limit == 1
        assert flow.health("features") is Health.HEALTHY
        redacted = binding.label
        assert str(file) in redacted
        changed = threading.Event()
        flow.on_change("features.limit", lambda event: changed.set())
        file.write_text(json.dumps({"beta": True, "limit": 2}))
        assert changed.wait(10), "file change not applied in time"
        assert flow.features.limit == 2
        assert flow.features.beta is True
        with pytest.raises(BoundPathError, match=str(file)):
            flow.features.limit = 3
    finally:
        flow.unbind("features")
    assert not binding.capacitor.running
