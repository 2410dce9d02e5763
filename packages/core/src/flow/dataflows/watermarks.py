"""Watermark values as text in the metadata store, with an exact round trip.

``str``, ``int``, ``date`` and ``datetime`` use the tagged partition encoding
(:func:`flow.assets.partitions.serialize_partition`), so a date never comes
back as a string; ``float`` (``f:``) and ``Decimal`` (``n:``) are added here
for numeric watermark columns.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ..assets.partitions import parse_partition, serialize_partition
from ..errors import DataFlowError, PartitionError

__all__ = ["decode_watermark", "encode_watermark", "format_watermark"]


def encode_watermark(value: Any) -> str:
    """The stored text of watermark ``value`` (str, int, float, Decimal, date, datetime)."""
    if isinstance(value, float):
        return "f:" + repr(value)
    if isinstance(value, Decimal):
        return "n:" + str(value)
    try:
        return serialize_partition(value)
    except PartitionError:
        raise DataFlowError(
            f"watermark value {value!r} has type {type(value).__name__}; a timestamp column must "
            "hold str, int, float, Decimal, date or datetime values"
        ) from None


def decode_watermark(text: str) -> Any:
    """The value whose stored text is ``text`` (see :func:`encode_watermark`)."""
    try:
        if text.startswith("f:"):
            return float(text[2:])
        if text.startswith("n:"):
            return Decimal(text[2:])
        return parse_partition(text)
    except (ValueError, InvalidOperation, PartitionError) as exc:
        raise DataFlowError(
            f"stored watermark {text!r} cannot be read ({exc}); run the entity with "
            "--full-refresh to rebuild it"
        ) from None


def format_watermark(text: str | None) -> str:
    """A stored watermark for people (``2026-03-01T00:09:00+00:00``); ``-`` when there is none."""
    if text is None:
        return "-"
    try:
        value = decode_watermark(text)
    except DataFlowError:
        return text
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
