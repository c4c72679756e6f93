"""Fixtures of the Sentry plugin's tests: the local Sentry sink."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sentry_sink import SentrySink  # noqa: E402


@pytest.fixture
def sink() -> Iterator[SentrySink]:
    """A fresh local Sentry on a free 127.0.0.1 port."""
    with SentrySink() as server:
        yield server
