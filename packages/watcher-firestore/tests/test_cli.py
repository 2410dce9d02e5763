"""`flow watch firestore://…` end to end, as a subprocess against the real emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import Emulator, new_doc

MODEL = "import pydantic\n\nclass App(pydantic.BaseModel):\n    name: str\n    port: int\n"


def test_flow_watch_prints_each_applied_value(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    doc = new_doc("cli")
    emulator.document(doc).set({"name": "app", "port": 80})
    argv = [sys.executable, "-m", "flow", "watch", emulator.uri(doc)]
    argv += ["--model", "models:App", "--json", "--count", "2"]
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(tmp_path)}
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first == {"event": "applied", "value": {"name": "app", "port": 80}}
        emulator.document(doc).set({"name": "app", "port": 81})
        rest, errors = proc.communicate(timeout=60)
        assert proc.returncode == 0, errors
        events = [json.loads(line) for line in rest.splitlines() if line.strip()]
        applied = [e["value"] for e in events if e["event"] == "applied"]
        assert applied == [{"name": "app", "port": 81}]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
