"""`flow watch` and `flow check` end to end, on real files through flow-watcher-file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

MODEL = """
import pydantic

class App(pydantic.BaseModel):
    name: str
    port: int
    password: pydantic.SecretStr = pydantic.SecretStr("")
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "models.py").write_text(MODEL)
    return tmp_path


def flow(project: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flow", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def atomic_write(path: Path, text: str) -> None:
    """Save as editors do (write a temp file, rename over): no half-written file is seen."""
    temp = path.with_suffix(".tmp")
    temp.write_text(text)
    os.replace(temp, path)


def test_check_accepts_a_valid_file(project: Path) -> None:
    (project / "app.yaml").write_text("name: app\nport: 80\n")
    result = flow(project, "check", "file:app.yaml", "--model", "models:App")
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_check_rejects_an_invalid_file_naming_field_and_source(project: Path) -> None:
    (project / "app.yaml").write_text("name: app\nport: eighty\n")
    result = flow(project, "check", "file:app.yaml", "--model", "models:App")
    assert result.returncode == 1
    assert "port" in result.stderr
    assert "file:app.yaml" in result.stderr


def test_check_reports_a_yaml_syntax_error_with_its_line(project: Path) -> None:
    (project / "app.yaml").write_text("name: app\nport: [80\n")
    result = flow(project, "check", "file:app.yaml", "--model", "models:App")
    assert result.returncode == 1
    assert "decode" in result.stderr
    assert "line" in result.stderr


def test_check_reports_a_missing_file(project: Path) -> None:
    result = flow(project, "check", "file:nope.yaml", "--model", "models:App")
    assert result.returncode == 1
    assert "absent" in result.stderr


def test_check_with_a_bad_model_spec_is_a_usage_error(project: Path) -> None:
    (project / "app.yaml").write_text("name: app\nport: 80\n")
    result = flow(project, "check", "file:app.yaml", "--model", "models:Nope")
    assert result.returncode == 2
    assert "cannot import model" in result.stderr


def test_watch_prints_applied_values_and_health_as_json_lines(project: Path) -> None:
    config = project / "app.yaml"
    config.write_text("name: app\nport: 80\npassword: hunter2\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flow",
            "watch",
            "file:app.yaml",
            "--model",
            "models:App",
            "--json",
            "--count",
            "2",
        ],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [json.loads(proc.stdout.readline()), json.loads(proc.stdout.readline())]
        assert lines[0] == {
            "event": "applied",
            "value": {"name": "app", "port": 80, "password": "**********"},
        }
        assert lines[1]["event"] == "health"
        assert lines[1]["health"] == "healthy"
        atomic_write(config, "name: app\nport: [broken\n")
        failed = json.loads(proc.stdout.readline())
        assert (failed["event"], failed["stage"]) == ("failed", "decode")
        assert "line" in failed["message"]
        degraded = json.loads(proc.stdout.readline())
        assert degraded["health"] == "degraded"
        assert degraded["error"]["stage"] == "decode"
        # Still degraded: no health line, but the second rejection is printed too.
        atomic_write(config, "name: app\nport: not-a-number\npassword: hunter2\n")
        again = json.loads(proc.stdout.readline())
        assert (again["event"], again["stage"]) == ("failed", "validate")
        assert "port" in again["message"]
        atomic_write(config, "name: app\nport: 81\npassword: hunter2\n")
        rest = proc.stdout.read()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    events = [json.loads(line) for line in rest.splitlines()]
    assert {
        "event": "applied",
        "value": {"name": "app", "port": 81, "password": "**********"},
    } in events
    assert "hunter2" not in rest


def test_watch_prints_every_rejection_while_degraded(project: Path) -> None:
    config = project / "app.yaml"
    config.write_text("name: app\nport: 80\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "flow", "watch", "file:app.yaml", "--model", "models:App",
         "--count", "2"],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        assert proc.stderr.readline().strip() == "health healthy"
        atomic_write(config, "name: app\nport: [broken\n")
        assert proc.stderr.readline().startswith("rejected (decode): ")
        assert proc.stderr.readline().strip() == "health degraded"
        atomic_write(config, "name: app\nport: eighty\n")
        second = proc.stderr.readline()  # no health line: it stayed degraded
        assert second.startswith("rejected (validate): "), second
        assert "port" in second
        atomic_write(config, "name: app\nport: 81\n")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err.strip() == "health healthy"
    assert out.count("applied") == 2
