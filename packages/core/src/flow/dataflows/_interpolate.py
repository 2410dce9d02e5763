"""``${VAR}`` / ``${VAR:-default}`` interpolation of strings in flow files.

Hand-written: ``string.Template`` has no ``:-default`` form and the
expandvars-style packages silently keep unknown variables, while a missing
variable here must be an error naming where it was used. ``$${`` writes a
literal ``${``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

__all__ = ["InterpolationError", "interpolate"]

_TOKEN = re.compile(r"\$\$\{|\$\{([^}]*)(\}?)")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A ``${...}`` reference could not be resolved (the caller adds file, key and line)."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """``text`` with every ``${VAR}`` / ``${VAR:-default}`` replaced from ``env``.

    ``${VAR:-default}`` uses ``default`` when ``VAR`` is unset or empty (as the
    shell does). A variable that is unset with no default, a bad name, or an
    unclosed ``${`` raises :class:`InterpolationError`.
    """
    if "$" not in text:  # the common case: nothing to do, no regex work
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        body, closed = match.group(1), match.group(2)
        if not closed:
            raise InterpolationError(f"unclosed '${{{body}': close it with '}}' or write '$${{'")
        name, has_default, default = body.partition(":-")
        if not _NAME.fullmatch(name):
            raise InterpolationError(
                f"'${{{body}}}' is not a variable reference: write ${{NAME}} or ${{NAME:-default}} "
                "(letters, digits, '_'), or '$${' for a literal '${'"
            )
        value = env.get(name)
        if value:
            return value
        if has_default:
            return default
        if value is not None:
            return value  # set but empty, and no default: keep the empty string
        raise InterpolationError(
            f"environment variable {name} is not set: set it, or give a default "
            f"with ${{{name}:-default}}"
        )

    return _TOKEN.sub(replace, text)
