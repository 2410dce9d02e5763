"""Turns a model (pydantic class or any TypeAdapter-able type) into a validator."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..errors import CodecError, ValidationFailed

__all__ = ["Validator", "describe_validation_error"]


def describe_validation_error(exc: Any, *, limit: int = 5) -> str:
    """A short message for a pydantic ``ValidationError``, never echoing input values."""
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for error in errors[:limit]:
        location = ".".join(str(part) for part in error.get("loc", ())) or "(root)"
        parts.append(f"{location}: {error.get('msg', 'invalid')}")
    more = f" (and {len(errors) - limit} more)" if len(errors) > limit else ""
    title = getattr(exc, "title", "value")
    return f"{title} is invalid: " + "; ".join(parts) + more


class Validator:
    """Validates decoded data against ``model``; ``None`` accepts anything unchanged."""

    def __init__(self, model: Any = None) -> None:
        self.model = model

    @cached_property
    def _adapter(self) -> Any:
        return TypeAdapter(self.model)

    @property
    def active(self) -> bool:
        """Whether there is a model to validate against."""
        return self.model is not None

    def prepare(self) -> None:
        """Build the adapter now (so a bad model fails at construction, not on first change)."""
        if self.model is not None:
            try:
                self._adapter  # noqa: B018 - building it is the point
            except Exception as exc:
                raise TypeError(f"cannot validate against {self.model!r}: {exc}") from exc

    def validate(self, data: object) -> Any:
        """The validated value; raises :class:`ValidationFailed`."""
        if self.model is None:
            return data
        try:
            return self._adapter.validate_python(data)
        except ValidationError as exc:
            raise ValidationFailed(describe_validation_error(exc)) from exc

    def validate_json(self, data: bytes) -> Any:
        """Decode and validate JSON in one pass (the fast path for ``json`` + a model).

        Raises :class:`CodecError` when the bytes are not JSON, :class:`ValidationFailed`
        when they do not fit the model.
        """
        try:
            return self._adapter.validate_json(data)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if errors and all(e.get("type") == "json_invalid" for e in errors):
                raise CodecError(f"json: {errors[0].get('msg', 'invalid JSON')}") from exc
            raise ValidationFailed(describe_validation_error(exc)) from exc
