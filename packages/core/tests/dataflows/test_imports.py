"""flow-core's data-flow code never imports pyarrow or a provider library."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
import flow.dataflows, flow.dataflows.runner, flow.dataflows.config, flow.cli.run_cmd
import flow.testing.home_contract, flow.testing.store_contract
banned = {"pyarrow", "polars", "pandas", "adbc_driver_manager", "connectorx"}
heavy = sorted(m for m in sys.modules if m.split(".")[0] in banned)
print(",".join(heavy))
"""


def test_no_pyarrow_import() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
