"""Stock never oversells: concurrent checkouts through a served app, on SQLite
and PostgreSQL (several pooled connections there)."""
from __future__ import annotations

import asyncio
import uuid

import httpx

from engine.catalog import services as catalog
from engine.db.sql import fetchone
from engine.testing.checkout import add_product, cart_with, checkout_body

BUYERS = 50
STOCK = 5


async def test_fifty_concurrent_checkouts_sell_exactly_the_stock(database_url, serve_shop):
    async with serve_shop(database_url=database_url) as (app, base_url):
        await add_product(app.runtime, "LAST-5", price=1500, stock=STOCK)
        limits = httpx.Limits(max_connections=BUYERS, max_keepalive_connections=BUYERS)
        async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:
            carts = await asyncio.gather(*(cart_with(client, "LAST-5", 1) for _ in range(BUYERS)))
            responses = await asyncio.gather(*(
                client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(email=f"buyer{i}@example.test"),
                            headers={"Idempotency-Key": uuid.uuid4().hex})
                for i, cart in enumerate(carts)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] * STOCK + [409] * (BUYERS - STOCK), statuses
        refused = [r for r in responses if r.status_code == 409]
        for response in refused:
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["title"] == "Out of stock"
            assert "LAST-5" in problem["detail"] and "out of stock" in problem["detail"]
        numbers = {r.json()["number"] for r in responses if r.status_code == 201}
        assert len(numbers) == STOCK
        variant = (await catalog.get_variants(["LAST-5"]))["LAST-5"]
        assert variant["quantity_available"] == 0
        stock = await fetchone("SELECT on_hand, reserved FROM catalog_stock s JOIN catalog_variants v "
                               "ON v.id = s.variant WHERE v.sku = {}", "LAST-5")
        assert (stock["on_hand"], stock["reserved"]) == (STOCK, STOCK)
        orders = await fetchone("SELECT COUNT(*) AS n FROM orders WHERE number IS NOT NULL")
        held = await fetchone("SELECT SUM(quantity) AS n FROM stock_reservations WHERE state = 'held'")
        assert int(orders["n"]) == STOCK and int(held["n"]) == STOCK


async def test_concurrent_replays_of_one_key_make_one_order(database_url, serve_shop):
    async with serve_shop(database_url=database_url) as (app, base_url):
        await add_product(app.runtime, "ONE-KEY", price=1000, stock=10)
        async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
            cart = await cart_with(client, "ONE-KEY", 2)
            key = uuid.uuid4().hex
            responses = await asyncio.gather(*(
                client.post(f"/api/v1/carts/{cart}/checkout", json=checkout_body(), headers={"Idempotency-Key": key})
                for _ in range(8)))
        assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
        assert sorted(r.status_code for r in responses).count(201) == 1
        assert len({r.json()["number"] for r in responses}) == 1
        assert (await catalog.get_variants(["ONE-KEY"]))["ONE-KEY"]["quantity_available"] == 8


async def test_orders_for_the_same_products_in_any_line_order_never_deadlock(database_url, serve_shop):
    """Carts holding A then B and B then A, checked out at once: stock rows are
    locked in one order, so every order goes through (PostgreSQL would fail one
    of two transactions waiting for each other's rows)."""
    pairs = 12
    async with serve_shop(database_url=database_url) as (app, base_url):
        await add_product(app.runtime, "PAIR-A", price=1000, stock=1000)
        await add_product(app.runtime, "PAIR-B", price=2000, stock=1000)
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
            async def cart(first: str, second: str) -> str:
                token = await cart_with(client, first, 1)
                added = await client.post(f"/api/v1/carts/{token}/lines", json={"sku": second, "quantity": 1})
                assert added.status_code == 201
                return token

            carts = [await cart(*(("PAIR-A", "PAIR-B") if n % 2 else ("PAIR-B", "PAIR-A"))) for n in range(2 * pairs)]
            responses = await asyncio.gather(*(
                client.post(f"/api/v1/carts/{token}/checkout", json=checkout_body(),
                            headers={"Idempotency-Key": uuid.uuid4().hex}) for token in carts))
        assert [r.status_code for r in responses] == [201] * (2 * pairs), [r.text[:200] for r in responses]
        rows = await fetchone("SELECT COUNT(*) AS n FROM stock_reservations WHERE state = 'held'")
        assert int(rows["n"]) == 4 * pairs
