"""Hot read ``config.database.host``: Flow against a frozen dataclass, dynaconf, pydantic-settings.

Run: ``uv run --group bench python -m benchmarks.config_read``
"""

from __future__ import annotations

import timeit
from dataclasses import dataclass
from typing import Any

from flow.state import Flow
from flow.state.config import config
from pydantic import BaseModel

from benchmarks.harness import Row, report


@dataclass(frozen=True)
class FrozenDb:
    host: str
    port: int


@dataclass(frozen=True)
class FrozenApp:
    database: FrozenDb


class Database(BaseModel):
    host: str = "db.internal"
    port: int = 5432


class AppSettings(BaseModel):
    debug: bool = False
    database: Database = Database()


def _targets() -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    frozen = FrozenApp(FrozenDb("db.internal", 5432))
    sealed = Flow(schema=AppSettings)
    config.use_schema(AppSettings)  # the process-wide instance, schema attached later
    open_flow = Flow({"database": {"host": "db.internal", "port": 5432}})
    # A Flow that has been updated since: its sections are published by swapping their dict,
    # which CPython reads through a dict-backed load (the cost the update fast path trades).
    updated = Flow(schema=AppSettings)
    for port in (5433, 5432):
        updated.update({"database": {"host": "db.internal", "port": port}})
    targets: dict[str, Any] = {
        "frozen": frozen,
        "sealed": sealed,
        "updated": updated,
        "config": config,
        "open": open_flow,
    }
    try:
        from dynaconf import Dynaconf

        dyn = Dynaconf(environments=False)
        dyn.set("database", {"host": "db.internal", "port": 5432})
        targets["dynaconf"] = dyn
    except ImportError:
        notes.append("dynaconf not installed: run with `uv run --group bench`.")
    try:
        from pydantic_settings import BaseSettings

        class PSettings(BaseSettings):
            debug: bool = False
            database: Database = Database()

        targets["pydantic_settings"] = PSettings()
    except ImportError:
        notes.append("pydantic-settings not installed: run with `uv run --group bench`.")
    notes.append(
        "vein and fastcfg: not measured. Both install from PyPI, but vein 0.1.0 only exports "
        "`hello` and fastcfg 0.1.0 ships an empty `__init__.py`: there is no config API to read."
    )
    return targets, notes


def measure(targets: dict[str, Any], rounds: int = 40, number: int = 100_000) -> dict[str, float]:
    """Best ns per read of ``<target>.database.host``, rounds interleaved to share the noise."""
    timers = {
        name: timeit.Timer(f"{name}.database.host", globals=targets) for name in list(targets)
    }
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(rounds):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(number) / number * 1e9)
    return best


def main() -> None:
    targets, notes = _targets()
    assert targets["sealed"].database.host == "db.internal"
    assert targets["config"].database.host == "db.internal"
    best = measure(targets)
    rows = [
        Row(
            "Flow(schema=…) read",
            best["sealed"],
            best["frozen"],
            "frozen dataclass",
            "ns",
            goal=1.5,
        ),
        Row(
            "Flow(schema=…) read after update()s",
            best["updated"],
            best["frozen"],
            "frozen dataclass",
            "ns",
            goal=1.5,
        ),
        Row(
            "flow.config + use_schema read",
            best["config"],
            best["frozen"],
            "frozen dataclass",
            "ns",
            goal=1.5,
        ),
        Row(
            "Flow without schema (auto-create) read",
            best["open"],
            best["frozen"],
            "frozen dataclass",
            "ns",
        ),
    ]
    if "dynaconf" in best:
        rows.append(
            Row(
                "Flow(schema=…) vs dynaconf",
                best["sealed"],
                best["dynaconf"],
                "dynaconf",
                "ns",
                goal=0.1,
            )
        )
        rows.append(
            Row(
                "Flow without schema vs dynaconf",
                best["open"],
                best["dynaconf"],
                "dynaconf",
                "ns",
                goal=0.1,
            )
        )
    if "pydantic_settings" in best:
        rows.append(
            Row(
                "Flow(schema=…) vs pydantic-settings",
                best["sealed"],
                best["pydantic_settings"],
                "pydantic-settings",
                "ns",
            )
        )
    notes.append(
        "A Flow without a schema creates namespaces on first touch (`config.a.b = 1`), which "
        "needs `__getattr__`; on CPython 3.11 any `__getattr__` disables specialised attribute "
        "loads, hence the slower open reads. Attach a schema (or `autocreate=False`) for "
        "plain-attribute speed."
    )
    report("config hot read: config.database.host", rows, notes=notes)


if __name__ == "__main__":
    main()
