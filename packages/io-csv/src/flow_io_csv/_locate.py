"""Finding the line of a value pyarrow refused, so that an error can name it.

pyarrow's conversion errors name the column and the value but not the line;
this re-reads the file with the standard library's csv module (on the error
path only) to find the first line holding that value in that column.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

__all__ = ["bad_row_problem", "conversion_problem", "header_names", "line_of_value"]

# pyarrow's messages; "Row #N" (the line number) is there when parsing is single-threaded.
_CONVERSION = re.compile(
    r"In CSV column #(\d+): (?:Row #(\d+): )?CSV conversion error to ([^:]+): "
    r"invalid value '(.*)'",
    re.DOTALL,
)
_BAD_ROW = re.compile(
    r"CSV parse error: (?:Row #(\d+): )?Expected (\d+) columns, got (\d+): (.*)", re.DOTALL
)


def conversion_problem(message: str) -> tuple[int, int | None, str, str] | None:
    """``(column index, line, type, value)`` from a pyarrow conversion error, if it is one."""
    match = _CONVERSION.search(message)
    if match is None:
        return None
    line = int(match.group(2)) if match.group(2) else None
    return int(match.group(1)), line, match.group(3), match.group(4)


def bad_row_problem(message: str) -> tuple[int | None, int, int, str] | None:
    """``(line, expected fields, actual fields, row text)`` from a pyarrow parse error."""
    match = _BAD_ROW.search(message)
    if match is None:
        return None
    line = int(match.group(1)) if match.group(1) else None
    return line, int(match.group(2)), int(match.group(3)), match.group(4)


def line_of_value(
    path: Path,
    *,
    column: int,
    value: str,
    delimiter: str,
    quote_char: str | None,
    encoding: str,
    skip_header: bool,
) -> int | None:
    """The 1-based line number where ``value`` first appears in field ``column``."""
    try:
        with pa.input_stream(str(path), compression="detect") as raw:
            reader = _reader(raw, delimiter, quote_char, encoding)
            first_line = 1  # where the row about to be read starts (rows may span lines)
            for index, row in enumerate(reader):
                if not (skip_header and index == 0) and column < len(row) and row[column] == value:
                    return first_line
                first_line = reader.line_num + 1
    except (OSError, UnicodeDecodeError, csv.Error, LookupError):
        return None
    return None


def header_names(path: Path, *, delimiter: str, quote_char: str | None, encoding: str) -> list[str]:
    """The fields of the file's first row (empty when it cannot be read)."""
    try:
        with pa.input_stream(str(path), compression="detect") as raw:
            return next(_reader(raw, delimiter, quote_char, encoding), [])
    except (OSError, UnicodeDecodeError, csv.Error, LookupError):
        return []


def _reader(raw: Any, delimiter: str, quote_char: str | None, encoding: str) -> Any:
    # Any: the csv module's reader type (with .line_num) is private in typeshed.
    text = io.TextIOWrapper(raw, encoding=_python_encoding(encoding), newline="")
    return csv.reader(
        text,
        delimiter=delimiter,
        quotechar=quote_char or '"',
        quoting=csv.QUOTE_MINIMAL if quote_char else csv.QUOTE_NONE,
    )


def _python_encoding(name: str) -> str:
    return "utf-8" if name.lower().replace("-", "") == "utf8" else name
