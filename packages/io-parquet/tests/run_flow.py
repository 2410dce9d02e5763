"""Run data flows of a project: ``python run_flow.py PROJECT FLOW`` (used by the SIGKILL test).

It prefers the real ``flow run`` command (``python -m flow run``) and falls back to
the core runner when this flow-core has no ``run`` command yet.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path


async def main(project: Path, names: list[str]) -> int:
    from flow.dataflows.config import load_flows
    from flow.dataflows.runner import Runner
    from flow.store import MetadataStore

    flows = load_flows(names, project_dir=project)
    with MetadataStore.open(project_dir=project) as metadata:
        result = await Runner(flows, metadata).run()
    for entity in result.entities:
        print(entity.asset_key, entity.status.value, entity.rows, entity.error or "")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(Path(sys.argv[1]), sys.argv[2:])))
