"""Cached pages and API answers never outlive a change, in any process.

Two apps (two "processes": each its own runtime, engine and caches) share one
database. Pages are warmed in app B, the catalog is changed through app A (or
by plain SQL, as any other writer would), and the very next request to B must
show the change. On PostgreSQL the same runs with the shared Redis cache
layer too.
"""
from __future__ import annotations

import re
import secrets
import uuid

import pytest

from engine.cache.counters import SCOPES, TRACKED, counted_once, read_counters
from engine.catalog import services as catalog
from engine.themes import registry
from engine.testing.themes import sample_products, seed_sample_catalog

PAGES = ["/", "/c/shirts", "/p/oxford-shirt", "/search?q=oxford", "/api/v1/products?category=shirts",
         "/api/v1/products/oxford-shirt"]


async def _warm(client, paths=PAGES) -> None:
    for path in paths:
        assert (await client.get(path)).status_code == 200, path
        again = await client.get(path)
        assert again.headers.get("X-Cache") == "hit", path


async def _two_apps(make_app, database_url, **settings):
    """``(writer, reader)``. Tables are bound to one engine per process (the
    last app started), so the writer is started last and every write goes
    through its own engine and transactions; the reader has its own engine,
    counters and caches."""
    reader = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"}, **settings)
    writer = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"}, **settings)
    await seed_sample_catalog(writer.runtime)
    return writer, reader


def _oxford(price: int) -> dict:
    product = next(p for p in sample_products() if p["slug"] == "oxford-shirt")
    for variant in product["variants"]:
        variant["price"] = {"amount": price, "currency": "EUR"}
    return product


async def _variant(client, sku: str) -> dict:
    product = await (await client.get("/api/v1/products/oxford-shirt")).get_json()
    return next(v for v in product["variants"] if v["sku"] == sku)


async def _check_changes_show_at_once(first, second) -> None:
    client = second.test_client()
    await _warm(client)

    # a price change made in the other process
    await catalog.save_product(first.runtime, _oxford(5150))
    page = await client.get("/p/oxford-shirt")
    assert page.headers["X-Cache"] == "miss"
    assert "€51.50" in await page.get_data(as_text=True)
    assert "€51.50" in await (await client.get("/c/shirts")).get_data(as_text=True)
    assert (await _variant(client, "OXFORD-SHIRT-S-B"))["price"]["amount"] == 5150
    listing = await (await client.get("/api/v1/products?category=shirts")).get_json()
    assert {"amount": 5150, "currency": "EUR"} in [item["price_from"] for item in listing["items"]]

    # a stock change through the catalog service ...
    await _warm(client)
    await catalog.set_stock(first.runtime, "OXFORD-SHIRT-S-B", None, 0)
    assert (await _variant(client, "OXFORD-SHIRT-S-B"))["quantity_available"] == 0
    # ... and a reservation written with plain SQL, as an order would
    await _warm(client)
    async with first.runtime.database.transaction():
        await first.runtime.database.engine.run_ddl(
            "UPDATE catalog_stock SET reserved = on_hand WHERE variant = "
            "(SELECT id FROM catalog_variants WHERE sku = 'OXFORD-SHIRT-S-R')")
    assert (await _variant(client, "OXFORD-SHIRT-S-R"))["quantity_available"] == 0

    # a theme setting (site settings) changed elsewhere
    await _warm(client)
    text = f"Footer {uuid.uuid4().hex[:8]}"
    await registry.update_theme_settings("default", {"footer_text": text})
    assert text in await (await client.get("/c/shirts")).get_data(as_text=True)


async def test_a_change_in_one_process_shows_on_the_next_request_in_another(make_app, database_url):
    first, second = await _two_apps(make_app, database_url)
    await _check_changes_show_at_once(first, second)


@pytest.mark.postgres
@pytest.mark.redis
async def test_the_same_with_postgresql_and_the_shared_redis_cache(make_app, database_url, redis_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("the production pairing: PostgreSQL with Redis")
    prefix = f"swtest:cache:{uuid.uuid4().hex[:10]}"
    first, second = await _two_apps(make_app, database_url,
                                    cache={"backend": "redis", "redis_url": redis_url, "key_prefix": prefix})
    try:
        await _check_changes_show_at_once(first, second)
        # the second process found entries the first one made (shared layer)
        await _warm(first.test_client(), ["/c/trousers"])
        second.cache.clear()  # its own memory layer is empty: only Redis can answer
        found = await second.test_client().get("/c/trousers")
        assert found.headers["X-Cache"] == "hit"
    finally:
        from redis.asyncio import Redis

        client = Redis.from_url(redis_url)
        keys = [key async for key in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_every_tracked_table_moves_its_counter_in_the_same_transaction(make_app, database_url):
    app = await make_app(database_url=database_url)
    engine = app.runtime.database.engine
    before = await read_counters(engine)
    await seed_sample_catalog(app.runtime)
    after = await read_counters(engine)
    assert after["catalog"] > before["catalog"] and after["stock"] > before["stock"]

    # rolled back: nothing moves
    with pytest.raises(RuntimeError):
        async with app.runtime.database.transaction():
            await engine.run_ddl("UPDATE catalog_products SET title = title || ' x'")
            raise RuntimeError("abandon")
    assert await read_counters(engine) == after

    # every tracked table has its trigger, for every kind of change
    if app.runtime.database.dialect == "sqlite":
        rows = await engine.run_ddl("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                                    "AND name LIKE 'cache_bump_%'")
        found = {(row["tbl_name"], row["name"].rsplit("_", 1)[1]) for row in rows}
        assert found == {(table, op) for table in TRACKED for op in ("insert", "update", "delete")}
    else:
        rows = await engine.run_ddl("SELECT event_object_table AS t, event_manipulation AS op "
                                    "FROM information_schema.triggers WHERE trigger_name LIKE 'cache_bump_%'")
        found = {(row["t"], row["op"]) for row in rows}
        assert found >= {(table, op) for table in TRACKED for op in ("INSERT", "UPDATE", "DELETE")}
    assert set(TRACKED.values()) == set(SCOPES)


async def test_a_bulk_write_counts_its_change_once(make_app, database_url):
    """:func:`counted_once` (the import's batches): the change is counted when
    the block ends, not row by row; a rolled-back block moves nothing."""
    app = await make_app(database_url=database_url)
    await seed_sample_catalog(app.runtime)
    engine = app.runtime.database.engine
    postgres = app.runtime.database.dialect == "postgres"
    before = await read_counters(engine)
    async with app.runtime.database.transaction():
        async with counted_once(engine, "catalog", "stock"):
            await engine.run_ddl("UPDATE catalog_products SET title = title || ' x'")
            await engine.run_ddl("UPDATE catalog_stock SET on_hand = on_hand + 1")
        if postgres:
            # Forget that the scope was bumped: a row event queued in the block
            # would now bump it a second time at commit.
            await engine.run_ddl("SELECT set_config('shopwright.bumped_catalog', '', true)")
    after = await read_counters(engine)
    assert after["stock"] > before["stock"]
    if postgres:
        assert after["catalog"] == before["catalog"] + 1
        # and every tracked table's trigger stands down this way
        rows = await engine.run_ddl("SELECT c.relname AS t, pg_get_triggerdef(g.oid) AS definition "
                                    "FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid "
                                    "WHERE g.tgname LIKE 'cache_bump_%' AND g.tgconstraint <> 0")
        conditions = {row["t"]: row["definition"] for row in rows}
        for table, scope in TRACKED.items():
            assert f"shopwright.counting_{scope}" in conditions[table], table
    else:
        assert after["catalog"] > before["catalog"]

    with pytest.raises(RuntimeError):
        async with app.runtime.database.transaction():
            async with counted_once(engine, "catalog"):
                await engine.run_ddl("UPDATE catalog_products SET title = title || ' y'")
                raise RuntimeError("abandon")
    assert await read_counters(engine) == after
    with pytest.raises(ValueError):
        async with counted_once(engine, "nothing"):
            pass


async def test_personal_requests_are_never_served_from_the_cache(make_app, database_url):
    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    await _warm(client, ["/c/shirts"])
    for headers in ({"Authorization": "Bearer nothing"}, {"Cookie": "other=1"}):
        response = await client.get("/c/shirts", headers=headers)
        assert response.status_code == 200 and "X-Cache" not in response.headers, headers
    preview = await client.get("/c/shirts?preview_theme=default")
    assert "X-Cache" not in preview.headers


async def test_cached_pages_carry_fresh_secrets_for_each_visitor(make_app, database_url):
    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    nonces, tokens = set(), set()
    for _ in range(3):
        client = app.test_client()  # a new visitor each time (no cookie)
        response = await client.get("/p/oxford-shirt")
        body = await response.get_data(as_text=True)
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert set(re.findall(r'nonce="([^"]+)"', body)) == {nonce}  # the page's nonce is the policy's
        nonces.add(nonce)
        token = re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)
        tokens.add(token)
        assert "Set-Cookie" in response.headers  # the visitor gets the session that token belongs to
    assert response.headers["X-Cache"] == "hit"
    assert len(nonces) == 3 and len(tokens) == 3


async def test_the_fast_path_gives_a_new_visitor_a_working_csrf_token(make_app, database_url):
    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    for _ in range(2):  # a miss, then a hit through Quart that completes the entry
        await app.test_client().get("/p/oxford-shirt")
    [entry] = [value for (kind, _key), value in app.cache.memory.items() if kind == "response"]
    assert entry.complete(), "the product page is answered before Quart"

    seen = set()
    for _ in range(2):
        client = app.test_client()
        page = await client.get("/p/oxford-shirt")
        assert page.headers["X-Cache"] == "hit"
        cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "a." in cookie
        assert page.headers["Cache-Control"] == "private, no-store"
        token = re.search(r'name="csrf_token" value="([^"]+)"', await page.get_data(as_text=True)).group(1)
        seen.add((cookie, token))
        added = await client.post("/cart", form={"sku": "OXFORD-SHIRT-S-B", "quantity": "1", "csrf_token": token})
        assert added.status_code in (302, 303), added.status_code
        assert "Oxford" in await (await client.get("/cart")).get_data(as_text=True)
        # the token is worth nothing with another visitor's seed
        other = f"{cookie.split('=', 1)[0]}=a.{secrets.token_urlsafe(24)}"
        forged = await app.test_client().post("/cart", form={"sku": "OXFORD-SHIRT-S-B", "quantity": "1",
                                                             "csrf_token": token}, headers={"Cookie": other})
        assert forged.status_code == 403
    assert len(seen) == 2, "each visitor gets a seed and token of their own"


async def test_html_etags_let_clients_revalidate(make_app, database_url):
    app = await make_app(database_url=database_url, store={"currency": "EUR", "locale": "en"})
    await seed_sample_catalog(app.runtime)
    client = app.test_client()
    first = await client.get("/c/shirts")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    unchanged = await client.get("/c/shirts", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and await unchanged.get_data() == b""
    await catalog.save_product(app.runtime, _oxford(4990))
    changed = await client.get("/c/shirts", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
