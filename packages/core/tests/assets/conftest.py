"""Asset tests: each declares into registries of its own (fixtures in ../conftest.py)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(registry: object) -> None:
    """Every test here gets ``registry``: a fresh default asset registry."""
