"""Small parts: interpolation, watermark encoding, transient/permanent classification, pump."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flow.dataflows import is_transient
from flow.dataflows._interpolate import InterpolationError, interpolate
from flow.dataflows._pump import Counter, pump
from flow.dataflows.watermarks import decode_watermark, encode_watermark, format_watermark
from flow.errors import DataFlowError, StoreBusyError

from .conftest import provider


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("${A}", "1"),
        ("x${A}y${B}", "x1y2"),
        ("${EMPTY:-d}", "d"),
        ("${EMPTY}", ""),
        ("${MISSING:-}", ""),
        ("${MISSING:-a:b}", "a:b"),
        ("$${A}", "${A}"),
        ("$A", "$A"),
        ("cost: $5", "cost: $5"),
    ],
)
def test_interpolate(text: str, expected: str) -> None:
    assert interpolate(text, {"A": "1", "B": "2", "EMPTY": ""}) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING}", "MISSING is not set"),
        ("${unclosed", "unclosed"),
        ("${1BAD}", "not a variable reference"),
        ("${}", "not a variable reference"),
    ],
)
def test_interpolate_errors(text: str, message: str) -> None:
    with pytest.raises(InterpolationError, match=message):
        interpolate(text, {})


@pytest.mark.parametrize(
    "value",
    [
        7,
        -3,
        "2026-01-01",
        1.25,
        Decimal("10.50"),
        date(2026, 1, 2),
        datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5),
    ],
)
def test_watermark_round_trip_keeps_type(value: Any) -> None:
    back = decode_watermark(encode_watermark(value))
    assert back == value
    assert type(back) is type(value)


def test_watermark_errors() -> None:
    with pytest.raises(DataFlowError, match="timestamp column must hold"):
        encode_watermark(b"bytes")
    with pytest.raises(DataFlowError, match="--full-refresh"):
        decode_watermark("q:nonsense")
    assert format_watermark(None) == "-"
    assert format_watermark(encode_watermark(date(2026, 1, 2))) == "2026-01-02"


def test_transient_classification() -> None:
    assert is_transient(OSError("network"))
    assert is_transient(ConnectionResetError())
    assert is_transient(TimeoutError())
    assert not is_transient(ValueError("bad"))
    assert not is_transient(FileNotFoundError())
    assert not is_transient(StoreBusyError("x"))  # a FlowError: permanent by default
    flagged = ValueError("retry me")
    flagged.transient = True  # type: ignore[attr-defined]
    assert is_transient(flagged)


async def _batches(n: int, fail_at: int | None = None) -> AsyncIterator[Any]:
    for i in range(n):
        if i == fail_at:
            raise OSError("read failed")
        yield provider.Rows([{"i": i}])


async def test_pump_raises_the_readers_error_after_the_write_in_hand() -> None:
    writes: list[int] = []

    async def write(batch: Any) -> None:
        await asyncio.sleep(0)
        writes.append(batch.rows[0]["i"])

    counter = Counter()
    with pytest.raises(OSError, match="read failed"):
        await pump(_batches(10, fail_at=5), write, counter, maxsize=2)
    assert writes == list(range(len(writes)))  # in order, none lost in the middle
    assert counter.rows == len(writes)


async def test_pump_raises_the_writers_error_and_closes_the_reader() -> None:
    closed = asyncio.Event()

    async def batches() -> AsyncIterator[Any]:
        try:
            for i in range(100):
                yield provider.Rows([{"i": i}])
        finally:
            closed.set()

    async def write(batch: Any) -> None:
        if batch.rows[0]["i"] == 3:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        await pump(batches(), write, Counter(), maxsize=2)
    assert closed.is_set()


async def test_pump_counts_rows() -> None:
    async def write(batch: Any) -> None:
        return None

    counter = Counter()
    await pump(_batches(7), write, counter, maxsize=1)
    assert (counter.rows, counter.batches) == (7, 7)


def test_spec_gives_the_provider_its_own_config_or_says_what_it_got() -> None:
    from flow.dataflows.protocols import EntitySpec, HomeConfig, StoreConfig

    class MineHome(HomeConfig):
        type: str = "mine"

    class MineStore(StoreConfig):
        type: str = "mine"

    class OtherStore(StoreConfig):
        type: str = "other"

    class MineError(DataFlowError):
        pass

    spec = EntitySpec(flow="f", name="orders", home=MineHome(), store=OtherStore())
    assert spec.home_as(MineHome, MineError) is spec.home
    with pytest.raises(MineError, match="entity 'orders': this store needs a MineStore, got Other"):
        spec.store_as(MineStore, MineError)
