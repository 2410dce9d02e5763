"""A small real home and store over JSON files, for core's data-flow tests (no pyarrow).

Batches are :class:`Rows` (a list of dicts with ``num_rows``). The store
stages into ``<path>.staging`` and publishes with ``os.replace`` (atomic),
upserting on the entity's key. A *probe* (config ``probe: NAME``, looked up
in :data:`PROBES`) counts calls and injects failures for in-process tests.
Loaded by file path (``conftest.py``, and the CLI tests' bootstrap).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from flow.dataflows import EntitySpec, HomeConfig, PublishResult, StoreConfig
from flow.plugins import Register, hookimpl


class Rows:
    """A batch: some rows."""

    __slots__ = ("rows",)

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def to_pylist(self) -> list[dict[str, Any]]:
        return list(self.rows)


@dataclass
class Probe:
    """Counters and fault injection shared by the home and store of the entities using it."""

    fail_tries: int = 0  # the first N tries fail ...
    fail_in: str = (
        "read"  # ... in "read" (after fail_at_batch batches), "write", "publish" or "begin"
    )
    fail_at_batch: int = 1
    error: Callable[[], Exception] = lambda: OSError("disk hiccup")
    slow_writes: int = 0  # loop turns each write gives away (a slower consumer)
    hold: asyncio.Event | None = None  # writes wait for it when set
    first_write: asyncio.Event = field(default_factory=asyncio.Event)
    tries: int = 0
    produced: int = 0
    written: int = 0
    max_ahead: int = 0
    active: int = 0
    max_active: int = 0
    log: list[str] = field(default_factory=list)

    def maybe_fail(self, where: str) -> None:
        if self.fail_in == where and self.tries <= self.fail_tries:
            raise self.error()


PROBES: dict[str, Probe] = {}
_NO_PROBE = Probe()


def dump(rows: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(rows), default=_encode)


def load(text: str) -> list[dict[str, Any]]:
    return list(json.loads(text, object_hook=_decode))


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    raise TypeError(f"cannot store {type(value).__name__}")


def _decode(obj: dict[str, Any]) -> Any:
    return datetime.fromisoformat(obj["$dt"]) if set(obj) == {"$dt"} else obj


class JsonHomeConfig(HomeConfig):
    path: str
    probe: str | None = None


class JsonStoreConfig(StoreConfig):
    path: str
    probe: str | None = None


class JsonHome:
    """Reads a JSON list of rows; ``after`` keeps rows whose timestamp is later."""

    config_model: ClassVar[type[HomeConfig]] = JsonHomeConfig

    def __init__(self, spec: EntitySpec) -> None:
        assert isinstance(spec.home, JsonHomeConfig)
        self.spec, self.config = spec, spec.home
        self.probe = PROBES[spec.home.probe] if spec.home.probe else _NO_PROBE

    async def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[Rows]:
        probe, size, ts = self.probe, self.spec.batch_size, self.spec.timestamp
        probe.tries += 1
        probe.log.append("read")
        rows = load(self.spec.resolve(self.config.path).read_text())
        if after is not None and ts is not None:
            rows = [r for r in rows if r[ts] > after]
        if columns is not None:
            rows = [{c: r[c] for c in columns} for r in rows]
        for start in range(0, len(rows), size):
            if start // size >= probe.fail_at_batch:
                probe.maybe_fail("read")
            probe.produced += 1
            probe.max_ahead = max(probe.max_ahead, probe.produced - probe.written)
            yield Rows(rows[start : start + size])

    def describe(self) -> str:
        return f"jsonl:{self.config.path}"


class JsonStore:
    """Writes a JSON list of rows through a staging file and an atomic replace."""

    config_model: ClassVar[type[StoreConfig]] = JsonStoreConfig

    def __init__(self, spec: EntitySpec) -> None:
        assert isinstance(spec.store, JsonStoreConfig)
        self.spec = spec
        self.path = spec.resolve(spec.store.path)
        self.staging = self.path.with_name(self.path.name + ".staging")
        self.probe = PROBES[spec.store.probe] if spec.store.probe else _NO_PROBE
        self.full_refresh = False
        self.open = False

    async def begin(self, *, full_refresh: bool) -> None:
        probe = self.probe
        probe.log.append("begin")
        probe.maybe_fail("begin")
        probe.active += 1
        probe.max_active = max(probe.max_active, probe.active)
        self.open, self.full_refresh = True, full_refresh
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.staging.write_text("")

    async def write(self, batch: Rows) -> None:
        probe = self.probe
        probe.first_write.set()
        if probe.hold is not None:
            await probe.hold.wait()
        for _ in range(probe.slow_writes):
            await asyncio.sleep(0)  # gives the loop away (no waiting on time)
        probe.maybe_fail("write")
        with self.staging.open("a") as f:
            f.write(dump(batch.rows) + "\n")
        probe.written += 1

    async def publish(self) -> PublishResult:
        probe = self.probe
        probe.maybe_fail("publish")
        staged = [r for line in self.staging.read_text().splitlines() for r in load(line)]
        key, ts = self.spec.key, self.spec.timestamp
        rows = staged
        if key and not self.full_refresh and self.path.exists():
            merged = {tuple(r[k] for k in key): r for r in load(self.path.read_text())}
            merged.update({tuple(r[k] for k in key): r for r in staged})
            rows = list(merged.values())
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(dump(rows))
        os.replace(tmp, self.path)
        self.staging.unlink()
        self._close()
        probe.log.append("publish")
        latest = max((r[ts] for r in staged), default=None) if ts else None
        return PublishResult(rows=len(staged), max_timestamp=latest, bytes=self.path.stat().st_size)

    async def abort(self) -> None:
        self.probe.log.append("abort")
        self.staging.unlink(missing_ok=True)
        self._close()

    def _close(self) -> None:
        if self.open:
            self.open = False
            self.probe.active -= 1

    def describe(self) -> str:
        return f"jsonl:{self.spec.store.path}"  # type: ignore[attr-defined]


def read_rows(path: Path) -> list[dict[str, Any]]:
    return load(path.read_text()) if path.exists() else []


@hookimpl
def flow_register_homes(register: Register) -> None:
    register("jsonl", JsonHome)


@hookimpl
def flow_register_stores(register: Register) -> None:
    register("jsonl", JsonStore)
