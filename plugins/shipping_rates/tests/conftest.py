"""Fixtures of the shipping rates plugin's tests: the stand-in carrier
(``carrier``) served on 127.0.0.1."""
from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from engine.testing.checkout import served

sys.path.insert(0, str(Path(__file__).parent))
from rate_api_standin import CarrierStandIn


@pytest.fixture
async def carrier() -> AsyncIterator[CarrierStandIn]:
    """A fresh stand-in carrier on a free 127.0.0.1 port."""
    standin = CarrierStandIn()
    async with served(standin.app) as url:
        standin.url = url
        yield standin
        standin.release.set()
