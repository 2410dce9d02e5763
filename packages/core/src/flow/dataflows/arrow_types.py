"""Arrow type names as users write them in ``column_types:``, for home and store plugins.

``int64``, ``float64``, ``string``, ``timestamp[us, tz=UTC]``, ``decimal128(10, 2)``,
pyarrow's own aliases, and a few short names people write in YAML (``int``,
``text``, ``datetime``, …). flow-core does not depend on pyarrow: a plugin
that calls :func:`parse_type` has it installed already (pyarrow is imported
on the first call).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["check_column_types", "parse_type"]

_DECIMAL = re.compile(r"^decimal(128|256)?\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$")
_TIMESTAMP = re.compile(r"^timestamp\[\s*(s|ms|us|ns)\s*(?:,\s*tz\s*=\s*([^\]]+?)\s*)?\]$")


@functools.cache
def _arrow() -> Any:
    """pyarrow, imported on first use: the calling plugin's dependency, not flow-core's."""
    import pyarrow  # type: ignore[import-untyped]

    return pyarrow


@functools.cache
def _short_names() -> dict[str, Any]:
    """Short names people write in YAML, beside pyarrow's own aliases."""
    pa = _arrow()
    string, int64, timestamp = pa.string(), pa.int64(), pa.timestamp("us")
    return {
        "str": string,
        "text": string,
        "int": int64,
        "integer": int64,
        "float": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": timestamp,
        "datetime": timestamp,
    }


def parse_type(name: str) -> Any:
    """The ``pyarrow.DataType`` called ``name``; ``ValueError`` listing the accepted forms."""
    pa = _arrow()
    text = name.strip().lower()
    short = _short_names().get(text)
    if short is not None:
        return short
    if match := _DECIMAL.match(text):
        width, precision, scale = match.groups()
        maker = pa.decimal256 if width == "256" else pa.decimal128
        return maker(int(precision), int(scale))
    if match := _TIMESTAMP.match(name.strip()):  # the time zone keeps its case
        unit, tz = match.groups()
        return pa.timestamp(unit, tz=tz)
    try:
        return pa.type_for_alias(text)
    except (ValueError, KeyError):
        raise ValueError(
            f"unknown column type {name!r}; use an Arrow type name such as int64, float64, "
            "string, bool, date32, timestamp[us], timestamp[us, tz=UTC] or decimal128(10, 2)"
        ) from None


def check_column_types(column_types: Mapping[str, str]) -> None:
    """Raise ``ValueError`` naming the first column whose type name :func:`parse_type` refuses.

    For a pydantic ``field_validator`` on a config's ``column_types``.
    """
    for column, name in column_types.items():
        try:
            parse_type(name)
        except ValueError as exc:
            raise ValueError(f"column_types.{column}: {exc}") from None
