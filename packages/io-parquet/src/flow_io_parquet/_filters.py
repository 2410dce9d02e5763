"""``where:`` filters: a safe, declarative syntax turned into a pyarrow expression.

A filter is a list of ``[column, op, value]`` triples that must all hold (AND);
a list of such lists is an OR of ANDs (pyarrow's DNF form). Values are cast to
the column's Arrow type, so YAML dates and strings compare with timestamp
columns. Nothing is ever evaluated as code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]

from ._errors import ParquetConfigError

__all__ = ["OPERATORS", "after_expression", "where_expression"]

#: The operators a ``where`` term may use.
OPERATORS = ("==", "=", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null")
_NO_VALUE = ("is null", "is not null")

Term = Sequence[Any]


def _cast(value: Any, field: pa.Field, where: str) -> pa.Scalar:
    try:
        return pa.scalar(value).cast(field.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ParquetConfigError(
            f"{where}: value {value!r} does not fit column {field.name!r} of type {field.type} "
            f"({exc}); give a value of that type"
        ) from None


def _field(schema: pa.Schema, name: str, where: str) -> pa.Field:
    index = schema.get_field_index(name)
    if index < 0:
        raise ParquetConfigError(
            f"{where}: no column {name!r}; the columns are {', '.join(schema.names) or '(none)'}"
        )
    return schema.field(index)


def _term(term: Term, schema: pa.Schema, where: str) -> ds.Expression:
    column, op = str(term[0]), str(term[1]).lower()
    field = _field(schema, column, where)
    ref = pc.field(column)
    if op in _NO_VALUE:
        return ref.is_null() if op == "is null" else ~ref.is_null()
    value = term[2]
    if op in ("in", "not in"):
        if not isinstance(value, list | tuple):
            raise ParquetConfigError(f"{where}: {op!r} needs a list of values, got {value!r}")
        values = pa.array([_cast(v, field, where).as_py() for v in value], type=field.type)
        found = ref.isin(values)
        return found if op == "in" else ~found
    scalar = _cast(value, field, where)
    comparisons = {
        "==": ref == scalar,
        "=": ref == scalar,
        "!=": ref != scalar,
        "<": ref < scalar,
        "<=": ref <= scalar,
        ">": ref > scalar,
        ">=": ref >= scalar,
    }
    return comparisons[op]


def check_where(where: Sequence[Any]) -> list[list[list[Any]]]:
    """``where`` in DNF form (a list of AND-lists of terms), or a clear error about its shape."""
    if not where:
        return []
    groups = [list(g) for g in where] if _is_group(where[0]) else [list(where)]
    for g_index, group in enumerate(groups):
        for t_index, term in enumerate(group):
            place = f"where[{g_index}][{t_index}]" if len(groups) > 1 else f"where[{t_index}]"
            if not isinstance(term, list | tuple) or len(term) not in (2, 3):
                raise ParquetConfigError(
                    f"{place}: a filter term is [column, op, value], got {term!r}"
                )
            op = str(term[1]).lower()
            if op not in OPERATORS:
                raise ParquetConfigError(
                    f"{place}: unknown operator {term[1]!r}; use one of {', '.join(OPERATORS)}"
                )
            if (len(term) == 2) != (op in _NO_VALUE):
                raise ParquetConfigError(
                    f"{place}: {op!r} takes {'no value' if op in _NO_VALUE else 'a value'}: "
                    f"{term!r}"
                )
    return [[list(t) for t in g] for g in groups]


def _is_group(item: Any) -> bool:
    return isinstance(item, list | tuple) and bool(item) and isinstance(item[0], list | tuple)


def where_expression(
    where: Sequence[Any] | None, schema: pa.Schema, source: str
) -> ds.Expression | None:
    """The pyarrow expression of a ``where`` filter checked against ``schema``."""
    if not where:
        return None
    result: ds.Expression | None = None
    for group in check_where(where):
        conj: ds.Expression | None = None
        for term in group:
            expr = _term(term, schema, f"{source} where {term!r}")
            conj = expr if conj is None else conj & expr
        if conj is not None:
            result = conj if result is None else result | conj
    return result


def after_expression(column: str, after: Any, schema: pa.Schema, source: str) -> ds.Expression:
    """``column > after`` with ``after`` cast to the column's type (the incremental filter)."""
    field = _field(schema, column, f"{source} timestamp")
    return pc.field(column) > _cast(after, field, f"{source} watermark")
