"""Fixtures of the PayPal plugin's tests: the stand-in PayPal server
(``paypal_standin``) served on 127.0.0.1, and a served shop pointed at it."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.testing.checkout import served, served_shop

sys.path.insert(0, str(Path(__file__).parent))
from paypal_standin import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID, StandinPayPal

PLUGIN = "payments_paypal"


@pytest.fixture
async def paypal() -> AsyncIterator[StandinPayPal]:
    """A fresh stand-in PayPal on a free 127.0.0.1 port."""
    server = StandinPayPal()
    async with served(server.app) as url:
        server.url = url
        yield server


def paypal_settings(api_base: str, **overrides: Any) -> dict[str, Any]:
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "webhook_id": WEBHOOK_ID,
            "api_base": api_base, **overrides}


@pytest.fixture
def paypal_shop(shopwright_settings):
    """``async with paypal_shop(paypal, database_url, intent=...) as (app, base_url)``:
    the shop served by Hypercorn with the PayPal plugin enabled and pointed
    at the stand-in."""
    from shopwright_payments_paypal import plugin

    @contextlib.asynccontextmanager
    async def start(server: StandinPayPal, database_url: str, settings: dict[str, Any] | None = None,
                    **overrides: Any):
        async with served_shop(shopwright_settings(database_url=database_url, **(settings or {})),
                               [plugin]) as (app, base_url):
            await app.runtime.host.enable(PLUGIN)
            await app.runtime.host.configure(PLUGIN, paypal_settings(server.url, **overrides))
            yield app, base_url

    return start
