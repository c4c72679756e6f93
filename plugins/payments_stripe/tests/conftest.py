"""Fixtures of the Stripe plugin's tests: ``localstripe`` on 127.0.0.1 (one
instance at a time on the machine: see ``stripe_support``) and a served shop
pointed at it."""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from engine.testing import service_missing
from engine.testing.checkout import free_port, served_shop

sys.path.insert(0, str(Path(__file__).parent))
from stripe_support import LOCK, PLUGIN, LocalStripe, stripe_settings, wait_listening


def _take_lock() -> Any:
    """Block until this process holds the machine-wide localstripe lock."""
    lock = LOCK.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock


@pytest.fixture
async def localstripe() -> AsyncIterator[LocalStripe]:
    """A fresh localstripe on a free port, held under the machine-wide lock."""
    try:
        import localstripe as _  # noqa: F401
    except ImportError as exc:
        service_missing("the localstripe package", exc)
    loop = asyncio.get_running_loop()
    lock = await loop.run_in_executor(None, _take_lock)
    try:
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        server = LocalStripe(f"http://127.0.0.1:{port}")
        try:
            await wait_listening(server.url, process)
            yield server
        finally:
            await server.http.aclose()
            process.terminate()
            await process.wait()
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


@pytest.fixture
def stripe_shop(shopwright_settings):
    """``async with stripe_shop(localstripe, database_url, capture=...) as (app, base_url)``:
    the shop served by Hypercorn on 127.0.0.1 with the Stripe plugin enabled
    and pointed at ``api_base`` (default: localstripe), localstripe's webhooks
    registered to it."""
    from shopwright_payments_stripe import plugin


    @contextlib.asynccontextmanager
    async def start(server: LocalStripe, database_url: str, api_base: str | None = None, webhooks: bool = True,
                    settings: dict[str, Any] | None = None, **stripe_overrides: Any):
        shop_settings = shopwright_settings(database_url=database_url, **(settings or {}))
        async with served_shop(shop_settings, [plugin]) as (app, base_url):
            await app.runtime.host.enable(PLUGIN)
            await app.runtime.host.configure(PLUGIN, stripe_settings(api_base or server.url, server.url,
                                                                     **stripe_overrides))
            if webhooks:
                await server.register_webhook(f"{base_url}/webhooks/{PLUGIN}")
            yield app, base_url


    return start
