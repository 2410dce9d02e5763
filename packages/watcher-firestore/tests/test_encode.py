"""Firestore types to bytes, read back through a real watch on the emulator."""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

import pytest
from flow.live.change import Change
from flow.testing.watcher_contract import next_value
from flow_watcher_firestore.watcher import FirestoreWatcher
from google.cloud.firestore_v1 import GeoPoint

from .conftest import Emulator, new_doc


async def first_value(emulator: Emulator, doc: str, query: str = "") -> Change:
    """The first Change of a watcher on ``flow/<doc>``."""
    watcher = FirestoreWatcher(emulator.uri(doc, query))
    try:
        return await next_value(watcher.changes(), lambda c: True, timeout=15.0)
    finally:
        await watcher.aclose()


async def test_whole_document_maps_every_type_deterministically(emulator: Emulator) -> None:
    doc = new_doc("types")
    stamp = datetime.datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    data: dict[str, Any] = {
        "zeta": {"b": 1, "a": [True, None, "é"]},
        "alpha": 2**62 + 1,
        "double": 2.5,
        "nan": float("nan"),
        "inf": float("-inf"),
        "bytes": b"\x00\xffbin",
        "when": stamp,
        "where": GeoPoint(1.5, -2.25),
        "ref": emulator.writer.document("users/alice"),
    }
    await emulator.set(doc, data)
    change = await first_value(emulator, doc)
    assert (
        change.value
        == (
            '{"alpha":4611686018427387905,"bytes":"AP9iaW4=","double":2.5,"inf":"-Infinity",'
            '"nan":"NaN","ref":"users/alice","when":"2024-05-01T12:00:00.123456Z",'
            '"where":{"latitude":1.5,"longitude":-2.25},"zeta":{"a":[true,null,"é"],"b":1}}'
        ).encode()
    )
    assert change.revision is not None
    assert change.revision.endswith("Z")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain text é", "plain text é".encode()),
        (b"\x00raw\xff", b"\x00raw\xff"),
        (42, b"42"),
        (None, b"null"),
        ({"b": [1, 2], "a": "x"}, b'{"a":"x","b":[1,2]}'),
    ],
)
async def test_one_field_string_as_utf8_bytes_as_is_others_as_json(
    emulator: Emulator, value: Any, expected: bytes
) -> None:
    doc = new_doc("field")
    await emulator.set(doc, {"outer": {"inner": value}, "other": 1})
    change = await first_value(emulator, doc, "field=outer.inner")
    assert change.value == expected


async def test_a_missing_field_is_absent(emulator: Emulator) -> None:
    doc = new_doc("nofield")
    await emulator.set(doc, {"other": 1})
    assert (await first_value(emulator, doc, "field=missing")).value is None


async def test_a_whole_document_above_one_mebibyte(emulator: Emulator) -> None:
    doc = new_doc("large-json")
    payload = bytes(range(256)) * 3900  # 998,400 bytes: base64 in JSON makes it > 1 MiB
    await emulator.set(doc, {"blob": payload})
    change = await first_value(emulator, doc)
    assert change.value is not None
    assert len(change.value) > 1 << 20
    assert base64.b64decode(json.loads(change.value)["blob"]) == payload
