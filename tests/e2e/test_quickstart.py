"""The README's quickstart command runs end to end and shows what it promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quickstart_applies_rejects_and_recovers() -> None:
    result = subprocess.run(
        [sys.executable, "examples/quickstart/main.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "started: health=healthy" in out
    assert "applied: workers 4 -> 8" in out
    assert "rejected:" in out
    assert "workers" in out
    assert "still running on workers=8, health=degraded" in out
    assert "done: health=healthy, workers=6" in out
    assert "s3cret" not in out + result.stderr
