"""Fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    """Throttle counts from one test must not refuse another's requests."""
    cache.clear()
    yield
