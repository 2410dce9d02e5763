"""Checks on the ``where:`` fragment of a ``table`` home.

``where`` is SQL written by the project's owner in flow.yml, with the same
trust as ``query:``: it is never built from end-user input, and Flow does not
try to sanitize it. What Flow does ensure is that the fragment stays one
condition: it is wrapped in parentheses and ANDed with the watermark bound,
so it cannot turn off the incremental filter (``1=1) OR (1=1`` is refused:
its parentheses do not balance), and it cannot end the statement or comment
out the rest (``;``, ``--`` and ``/*`` outside string literals are refused).
Values that change between runs belong in ``${VAR}`` interpolation or in the
watermark, which is always a bound parameter.
"""

from __future__ import annotations

__all__ = ["check_where"]


def check_where(text: str) -> str:
    """``text`` unchanged if it is one self-contained condition; else ``ValueError`` says why."""
    depth, quote, previous = 0, "", ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError("where has a ')' without its '('; write one condition")
        elif char == ";":
            raise ValueError("where must be one condition, without ';'")
        elif previous + char in ("--", "/*"):
            raise ValueError("where must not contain comments ('--' or '/*')")
        previous = "" if quote else char
    if quote:
        raise ValueError(f"where has an unterminated {quote}-quoted string")
    if depth:
        raise ValueError("where has a '(' without its ')'; write one condition")
    if not text.strip():
        raise ValueError("where is empty; remove it or write a condition")
    return text
