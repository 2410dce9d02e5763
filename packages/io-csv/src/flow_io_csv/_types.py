"""Arrow type names as written in ``column_types:`` (``int64``, ``timestamp[us, tz=UTC]``, …)."""

from __future__ import annotations

import re

import pyarrow as pa  # type: ignore[import-untyped]

__all__ = ["parse_type"]

_DECIMAL = re.compile(r"^decimal(128|256)?\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$")
_TIMESTAMP = re.compile(r"^timestamp\[\s*(s|ms|us|ns)\s*(?:,\s*tz\s*=\s*([^\]]+?)\s*)?\]$")
# Short names people write in YAML, beside pyarrow's own aliases.
_EXTRA = {
    "str": pa.string(),
    "text": pa.string(),
    "int": pa.int64(),
    "integer": pa.int64(),
    "float": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "datetime": pa.timestamp("us"),
}


def parse_type(name: str) -> pa.DataType:
    """The Arrow type called ``name``; raises ``ValueError`` with the accepted forms."""
    text = name.strip().lower()
    if text in _EXTRA:
        return _EXTRA[text]
    if match := _DECIMAL.match(text):
        width, precision, scale = match.groups()
        maker = pa.decimal256 if width == "256" else pa.decimal128
        return maker(int(precision), int(scale))
    if match := _TIMESTAMP.match(name.strip()):
        unit, tz = match.groups()
        return pa.timestamp(unit, tz=tz)
    try:
        return pa.type_for_alias(text)
    except (ValueError, KeyError):
        raise ValueError(
            f"unknown column type {name!r}; use an Arrow type name such as int64, float64, "
            "string, bool, date32, timestamp[us], timestamp[us, tz=UTC] or decimal128(10, 2)"
        ) from None
