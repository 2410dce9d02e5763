"""Scheduler, sensor and approval tests (the shared fixtures are in ../conftest.py)."""

import pytest


@pytest.fixture(autouse=True)
def _isolated(registry: object) -> None:
    """Every test here gets ``registry``: fresh assets, and its schedules and sensors removed."""
