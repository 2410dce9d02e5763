"""The suites work in pytest-asyncio's strict mode, as third-party plugin authors may run them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[3]


def run_pytest(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_watcher_contract_passes_in_strict_mode() -> None:
    done = run_pytest(str(HERE / "test_watcher_contract.py"), "-o", "asyncio_mode=strict", cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "11 passed" in done.stdout


def test_a_subclass_without_watcher_source_is_told_what_to_add(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_mode = strict\nasyncio_default_fixture_loop_scope = function\n"
    )
    (tmp_path / "test_forgot.py").write_text(
        textwrap.dedent(
            """
            from flow.testing import WatcherContract

            class TestForgotTheFixture(WatcherContract):
                pass
            """
        )
    )
    done = run_pytest("-k", "initial_value", cwd=tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout
    assert "TestForgotTheFixture must define a `watcher_source` fixture" in done.stdout
