"""Fixtures of the Razorpay plugin's tests: the stand-in Razorpay
(``razorpay_standin``) served on 127.0.0.1, and a served shop pointed at it."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.testing.checkout import served, served_shop

sys.path.insert(0, str(Path(__file__).parent))
from razorpay_standin import StandinRazorpay, razorpay_settings

PLUGIN = "payments_razorpay"


@pytest.fixture
async def razorpay() -> AsyncIterator[StandinRazorpay]:
    """A fresh stand-in Razorpay on a free 127.0.0.1 port."""
    server = StandinRazorpay()
    async with served(server.app) as url:
        server.url = url
        yield server
        server.release.set()


@pytest.fixture
def razorpay_shop(shopwright_settings):
    """``async with razorpay_shop(razorpay, database_url, capture=...) as (app, base_url)``:
    the shop served by Hypercorn with the Razorpay plugin enabled, configured
    and pointed at the stand-in."""
    from shopwright_payments_razorpay import plugin

    @contextlib.asynccontextmanager
    async def start(server: StandinRazorpay, database_url: str, settings: dict[str, Any] | None = None,
                    **overrides: Any):
        async with served_shop(shopwright_settings(database_url=database_url, **(settings or {})),
                               [plugin]) as (app, base_url):
            await app.runtime.host.enable(PLUGIN)
            await app.runtime.host.configure(PLUGIN, razorpay_settings(server.url, **overrides))
            yield app, base_url

    return start
