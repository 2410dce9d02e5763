"""Live configuration that is validated before it is applied.

Run from the repository root:  uv run python examples/live_config/main.py

It writes a config file, watches it through a Capacitor, then edits it three
times the way an operator might: a good change (applied), a bad one (rejected,
the last good value is kept, health DEGRADED), and a fix (HEALTHY again).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import flow
import pydantic


class Database(pydantic.BaseModel):
    host: str
    port: int = pydantic.Field(gt=0, lt=65536)
    password: pydantic.SecretStr


class AppConfig(pydantic.BaseModel):
    name: str
    workers: int = pydantic.Field(ge=1, le=64)
    database: Database


def save(path: Path, text: str) -> None:
    """Save the way editors do: write a temporary file, then rename it over the old one."""
    temp = path.with_suffix(".tmp")
    temp.write_text(text)
    os.replace(temp, path)


def on_change(previous: AppConfig | None, current: AppConfig) -> None:
    before = "-" if previous is None else previous.workers
    print(f"  applied: workers {before} -> {current.workers}, db {current.database.host}")


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.yaml"
        save(path, "name: shop\nworkers: 4\ndatabase: {host: db1, port: 5432, password: s3cret}\n")
        cap = flow.Capacitor(f"file:{path}", model=AppConfig, on_change=on_change)
        async with cap:
            print(f"started: health={cap.health.value}")

            print("edit 1: workers 4 -> 8")
            save(
                path,
                "name: shop\nworkers: 8\ndatabase: {host: db1, port: 5432, password: s3cret}\n",
            )
            await cap.wait_for(lambda c: c.current is not None and c.current.workers == 8)

            print("edit 2: a typo (workers: 0, port: 'x')")
            save(path, "name: shop\nworkers: 0\ndatabase: {host: db1, port: x, password: s3cret}\n")
            await cap.wait_for(lambda c: c.health is flow.Health.DEGRADED)
            assert cap.current is not None
            print(f"  rejected: {cap.errors[-1].message}")
            print(f"  still running on workers={cap.current.workers}, health={cap.health.value}")

            print("edit 3: fixed")
            save(
                path,
                "name: shop\nworkers: 6\ndatabase: {host: db2, port: 5432, password: s3cret}\n",
            )
            await cap.wait_for(lambda c: c.health is flow.Health.HEALTHY)
            print(
                f"done: health={cap.health.value}, workers={cap.current.workers}, "
                f"password shown as {cap.current.database.password}"
            )


if __name__ == "__main__":
    asyncio.run(main())
