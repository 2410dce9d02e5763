"""``Change``: one observation of a source."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Change"]


@dataclass(frozen=True, slots=True)
class Change:
    """The value a source held when observed (``None``: absent or deleted) and its revision."""

    value: bytes | None
    revision: str | None = None

    def __repr__(self) -> str:
        # Values can be large or secret: show their size, never their bytes.
        size = "None" if self.value is None else f"<{len(self.value)} bytes>"
        return f"Change(value={size}, revision={self.revision!r})"
