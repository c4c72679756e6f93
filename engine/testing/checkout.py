"""Helpers for tests that buy things: the core's and payment/shipping plugins'.

They go through the real services and the real JSON API (a Quart test client
or an httpx client against a served app), e.g.::

    app = await make_app(plugins=[my_gateway])
    await add_product(app.runtime, "TEE-1", price=2500, stock=3)
    client = app.test_client()
    cart = await cart_with(client, "TEE-1", 2)
    response = await checkout(client, cart, payment_method="my_gateway")
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

from engine.catalog import services as catalog

#: A valid German shipping address.
ADDRESS: dict[str, Any] = {
    "first_name": "Ada", "last_name": "Lovelace", "line1": "Unter den Linden 1", "city": "Berlin",
    "postal_code": "10117", "country": "DE",
}


async def add_product(runtime, sku: str, price: int = 2500, stock: int = 5, slug: str | None = None,
                      title: str | None = None, categories: Iterable[str] = (), tax_class: str = "standard",
                      status: str = "published", weight_grams: int = 250) -> dict[str, Any]:
    """A published one-variant product through the catalog service."""
    slug = slug or sku.lower().replace("_", "-").replace(".", "-").replace("/", "-")
    return await catalog.save_product(runtime, {
        "slug": slug, "title": title or f"Product {sku}", "status": status, "tax_class": tax_class,
        "categories": list(categories),
        "variants": [{"sku": sku, "price_amount": price, "stock": stock, "weight_grams": weight_grams}],
    })


async def _json(response) -> Any:
    value = response.json  # httpx: a method; Quart: a property holding a coroutine
    if callable(value):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


async def cart_with(client, sku: str | None = None, quantity: int = 1) -> str:
    """A new cart (optionally holding ``quantity`` of ``sku``); returns its id."""
    response = await client.post("/api/v1/carts")
    assert response.status_code == 201, await _json(response)
    cart = (await _json(response))["id"]
    if sku is not None:
        added = await client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": quantity})
        assert added.status_code == 201, await _json(added)
    return cart


def checkout_body(**overrides: Any) -> dict[str, Any]:
    body = {"email": "ada@example.test", "shipping_address": dict(ADDRESS), "shipping_method": "flat_rate:standard",
            "payment_method": "manual"}
    body.update(overrides)
    return body


async def checkout(client, cart: str, key: str | None = None, **overrides: Any):
    """POST the checkout with a fresh Idempotency-Key (unless ``key``); returns the response."""
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return await client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(**overrides), headers=headers)


def checkout_view(**overrides: Any):
    """A :class:`engine.protocols.CheckoutView` (one line of 10.00 EUR to
    :data:`ADDRESS`, flat-rate shipping, manual payment), for testing a
    ``checkout_validate`` hook directly; ``overrides`` replace fields."""
    from engine.money import Money
    from engine.protocols import CheckoutView, PriceableLine

    price = Money(1000, "EUR")
    values: dict[str, Any] = {
        "email": "ada@example.test", "shipping_address": dict(ADDRESS), "billing_address": dict(ADDRESS),
        "shipping_method": "flat_rate:standard", "payment_method": "manual", "currency": "EUR",
        "lines": (PriceableLine("TEE-1", 1, price),), "subtotal": price, "discounts": Money(0, "EUR"),
        "shipping": Money(0, "EUR"), "tax": Money(0, "EUR"), "total": price,
    }
    values.update(overrides)
    return CheckoutView(**values)


def quote_request(**overrides: Any):
    """A :class:`engine.protocols.ShippingQuoteRequest` (one line of 10.00 EUR,
    250 g, to :data:`ADDRESS`), for testing a shipping provider's ``quotes``
    directly; ``overrides`` replace fields."""
    from engine.money import Money
    from engine.protocols import ShippingLine, ShippingQuoteRequest

    price = Money(1000, "EUR")
    values: dict[str, Any] = {
        "currency": "EUR", "subtotal": price, "goods_total": price, "lines": (ShippingLine("TEE-1", 1, price, 250),),
        "weight_grams": 250, "country": ADDRESS["country"], "postal_code": ADDRESS["postal_code"],
        "city": ADDRESS["city"], "address": dict(ADDRESS),
    }
    values.update(overrides)
    return ShippingQuoteRequest(**values)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def migrate(settings, plugins: Iterable[Any] = ()) -> None:
    """Create the schema for ``settings`` (what ``shopwright migrate`` does)."""
    from engine.runtime import Runtime

    runtime = Runtime(settings, plugins=list(plugins))
    await runtime.connect()
    try:
        await runtime.migrate(echo=lambda *_: None, only_enabled=False)
    finally:
        await runtime.database.close()


@contextlib.asynccontextmanager
async def served(app, timeout: float = 15.0) -> AsyncIterator[str]:
    """Serve ``app`` (not yet started) with Hypercorn on a free 127.0.0.1 port in
    this event loop; yields the base URL. Start-up and shutdown run through
    the ASGI lifespan, as under ``shopwright serve``."""
    import httpx
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    port = free_port()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.graceful_timeout = 2
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, config, shutdown_trigger=stop.wait))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            deadline = asyncio.get_running_loop().time() + timeout
            while True:
                if task.done():
                    task.result()
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(f"the app did not start serving on {base} within {timeout}s")
                await asyncio.sleep(0.05)
        yield base
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout)


@contextlib.asynccontextmanager
async def served_shop(settings, plugins: Iterable[Any] = ()) -> AsyncIterator[tuple[Any, str]]:
    """A shop for ``settings`` with ``plugins`` (migrated, not yet enabled)
    served by Hypercorn on a free 127.0.0.1 port; yields ``(app, base_url)``
    with ``store.base_url`` set to it, so the links the shop makes (a payment
    provider's return URL) reach it."""
    from engine.app import create_app

    plugins = list(plugins)
    await migrate(settings, plugins)
    app = create_app(settings, plugins=plugins)
    async with served(app) as base_url:
        app.runtime.settings.store.base_url = base_url
        yield app, base_url


@contextlib.asynccontextmanager
async def chromium(artifacts: Any = None) -> AsyncIterator[Any]:
    """Debian's Chromium (``SHOPWRIGHT_CHROMIUM``, default ``/usr/bin/chromium``)
    through Playwright's async API, for a browser test against
    :func:`served_shop`; yields the browser. Skips the test without Playwright
    or Chromium (fails it with ``SHOPWRIGHT_REQUIRE_SERVICES=1``). ``artifacts``:
    a folder for screenshots, created."""
    import os
    from pathlib import Path

    from engine.testing import service_missing

    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        service_missing("the playwright package", exc)
    executable = os.environ.get("SHOPWRIGHT_CHROMIUM", "/usr/bin/chromium")
    if not Path(executable).exists():
        service_missing(f"Chromium at {executable}", FileNotFoundError(executable))
    if artifacts is not None:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            yield browser
        finally:
            await browser.close()


async def place_order_in_browser(page: Any, base_url: str, payment: Any, *, product: str = "blue-mug",
                                 quantity: int = 2) -> str:
    """As a shopper in a Playwright ``page``: put ``quantity`` of ``/p/<product>``
    in the cart, check out as a guest in Amsterdam with the default shipping,
    choose the payment method whose label matches ``payment`` (text or
    compiled pattern) and place the order. Returns the order's number once its
    page shows it."""
    import re

    from playwright.async_api import expect

    await page.goto(f"{base_url}/p/{product}")
    await page.get_by_label("Quantity").fill(str(quantity))
    await page.get_by_role("button", name="Add to cart").click()
    await page.get_by_role("link", name="Go to checkout").click()
    await page.get_by_label("E-mail address").fill("grace@example.test")
    for label, value in [("First name", "Grace"), ("Last name", "Hopper"), ("Address", "Keizersgracht 123"),
                         ("Postal code", "1015 CJ"), ("City", "Amsterdam")]:
        await page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
    await page.get_by_label(re.compile("^Country")).select_option(label="Netherlands")
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_label(payment).check()
    await page.get_by_role("button", name="Continue").click()
    await page.get_by_role("button", name="Place order").click()
    heading = page.get_by_role("heading", level=1, name=re.compile(r"Order \S*\d"))
    await expect(heading).to_be_visible()
    return re.search(r"Order (\S*\d+)", await heading.inner_text()).group(1)
