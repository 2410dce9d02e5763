from __future__ import annotations

import pydantic
import pytest


class AppConfig(pydantic.BaseModel):
    """The model most capacitor tests validate against."""

    name: str
    port: int = pydantic.Field(gt=0, lt=65536)
    debug: bool = False


@pytest.fixture
def model() -> type[AppConfig]:
    return AppConfig


def doc(name: str = "app", port: int = 8000, **extra: object) -> bytes:
    """JSON bytes for an AppConfig."""
    import json

    return json.dumps({"name": name, "port": port, **extra}).encode()
