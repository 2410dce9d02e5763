"""The SELECT a sql home runs: table or query, columns, where, and the watermark bound."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["Select", "build_select"]


@dataclass(frozen=True)
class Select:
    """SQL text and whether it binds the watermark (as the one parameter)."""

    sql: str
    binds_after: bool


def build_select(
    *,
    quote: Callable[[str], str],
    placeholder: str,
    table: str | None,
    query: str | None,
    where: str | None,
    columns: Sequence[str] | None,
    timestamp: str | None,
    after_given: bool,
) -> Select:
    """``SELECT cols FROM source [WHERE (where) AND ts > :after]``.

    Identifiers are quoted by the dialect's rules (``quote``); ``where`` is
    wrapped in parentheses; the watermark is a bound parameter, never text.
    A ``query`` becomes a subquery so that columns and the bound apply to it.
    """
    select = "*" if columns is None else ", ".join(quote(c) for c in columns)
    if table is not None:
        source = ".".join(quote(part) for part in table.split("."))
    else:
        source = f"({query}) AS flow_query"
    conditions = [f"({where})"] if where else []
    if after_given and timestamp is not None:
        conditions.append(f"{quote(timestamp)} > {placeholder}")
    sql = f"SELECT {select} FROM {source}"
    if conditions:
        sql += " WHERE " + " AND ".join(conditions)
    return Select(sql=sql, binds_after=after_given and timestamp is not None)
