"""Cold-process start-up: `import flow` and `flow plugins list --json` vs `import pydantic`.

Every command runs as a fresh process, the commands interleaved round-robin so
that load from other processes on the machine hits them alike. Run it with
every in-repo plugin installed (the workspace venv has them all)::

    uv run python -m benchmarks.startup [--runs 30]

Goal (issue 2): ``flow plugins list --json`` costs at most 2x a bare
``python -c "import pydantic"`` process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from benchmarks.harness import Row, median, percentile, report

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
COMMANDS: dict[str, list[str]] = {
    "python (empty)": [sys.executable, "-c", "pass"],
    "import pydantic": [sys.executable, "-c", "import pydantic"],
    "import flow": [sys.executable, "-c", "import flow"],
    "flow plugins list --json": [str(BIN / "flow"), "plugins", "list", "--json"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="processes per command (>= 20)")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOW_")}
    plugins = check_plugins(env)
    samples = measure(max(args.runs, 20), env)
    base = samples["import pydantic"]
    rows = []
    for what in ("import flow", "flow plugins list --json"):
        goal = 2.0 if what.startswith("flow plugins") else None
        rows.append(
            Row(
                f"{what} (median)",
                median(samples[what]),
                median(base),
                "import pydantic",
                "ms",
                goal=goal,
            )
        )
        rows.append(
            Row(
                f"{what} (p90)",
                percentile(samples[what], 90),
                percentile(base, 90),
                "import pydantic",
                "ms",
            )
        )
    report(
        "Cold-process start-up",
        rows,
        notes=[
            f"{len(samples[what])} processes per command, interleaved; plugins installed: "
            f"{', '.join(plugins)}.",
            f"An empty `python -c pass` takes {median(samples['python (empty)']):.1f} ms (median): "
            "the floor every figure includes.",
        ],
    )


def check_plugins(env: dict[str, str]) -> list[str]:
    """The in-repo plugin distributions, after checking `flow plugins list` shows each loaded."""
    listed = json.loads(
        subprocess.run(
            COMMANDS["flow plugins list --json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    status = {p["distribution"]: p["status"] for p in listed}
    wanted = []
    for pyproject in sorted(ROOT.glob("packages/*/pyproject.toml")):
        name = tomllib.loads(pyproject.read_text())["project"]["name"]
        if name != "flow-core":
            wanted.append(name)
    missing = [d for d in wanted if status.get(d) != "loaded"]
    if missing:
        sys.exit(f"not installed or not loaded: {', '.join(missing)}; run `uv sync` first")
    return wanted


def measure(runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Milliseconds per cold process for each command; one warm-up round is discarded."""
    samples: dict[str, list[float]] = {what: [] for what in COMMANDS}
    for round_ in range(runs + 1):
        for what, argv in COMMANDS.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
            elapsed = (time.perf_counter() - start) * 1000
            if round_:
                samples[what].append(elapsed)
    return samples


if __name__ == "__main__":
    main()
