"""Every storefront page runs a bounded number of SQL statements, however
many products, variants, images or categories it shows (no N+1 query)."""
from __future__ import annotations

import pytest

from engine.testing.themes import QueryCounter

#: Upper bounds per page served cold (nothing cached yet), including one read
#: of the theme settings (at most once per refresh interval). The change
#: counters read before each page (engine.cache.counters) go straight to the
#: driver and are not counted.
BOUNDS = {
    "/": 4,
    "/c/clothing": 10,
    "/c/shirts?material=cotton&size=M&sort=price_desc&min_price=10": 12,
    "/p/oxford-shirt": 7,
    "/p/oxford-shirt?size=L&colour=Red": 7,
    "/search?q=shirt": 4,
    "/search?q=shirt&material=cotton": 4,
    "/cart": 2,
    "/checkout": 2,
    "/account/login": 2,
    "/orders/SW-1": 2,
    "/no-such-page": 2,
}


def _more_products(count: int) -> list[dict]:
    products = []
    for n in range(count):
        products.append({
            "slug": f"extra-shirt-{n}", "title": f"Extra shirt {n}", "status": "published",
            "categories": ["shirts"], "attributes": {"material": "cotton"},
            "images": [{"url": f"/media/placeholder/extra-{n}-{i}.svg", "alt": f"Extra shirt {n}, view {i}"}
                       for i in range(3)],
            "variants": [{"sku": f"EXTRA-{n}-{size}", "options": {"size": size},
                          "price": {"amount": 1000 + n, "currency": "EUR"}, "stock": 2} for size in "SML"],
        })
    return products


async def _counts(app, settled: bool = False) -> dict[str, int]:
    """Statements per page; ``settled``: the theme settings were just read, so
    no page re-reads them (exact, comparable counts)."""
    client = app.test_client()
    counts = {}
    for path in BOUNDS:
        app.storefront_cache.clear()  # each page cold: its own statements, none saved by an earlier page
        if settled:
            await app.theme_state.refresh()
            app.theme_state._read_at += 3600
        with QueryCounter(app.runtime.database.engine) as queries:
            response = await client.get(path)
        assert response.status_code in (200, 404), path
        counts[path] = queries.count
    return counts


async def test_page_query_counts_are_bounded(shop):
    # Settled: on a slow machine the theme settings' refresh interval may run
    # out mid-test and add a read to whichever page comes next.
    counts = await _counts(shop, settled=True)
    over = {path: (count, BOUNDS[path]) for path, count in counts.items() if count > BOUNDS[path]}
    assert over == {}, over


async def test_query_counts_do_not_grow_with_the_catalog(sqlite_shop):
    from engine.catalog import services as catalog

    before = await _counts(sqlite_shop, settled=True)
    for product in _more_products(30):
        await catalog.save_product(sqlite_shop.runtime, product)
    await catalog.save_collection(sqlite_shop.runtime, {"slug": "featured", "title": "Featured",
                                                        "products": [f"extra-shirt-{n}" for n in range(8)]})
    after = await _counts(sqlite_shop, settled=True)
    assert after == before
    body = await (await sqlite_shop.test_client().get("/c/shirts")).get_data(as_text=True)
    assert body.count('class="product-card"') == 24  # a full page was rendered


async def test_the_counter_counts(sqlite_shop):
    from engine.system.tables import SiteSetting

    original = type(sqlite_shop.runtime.database.engine).run_querystring
    with QueryCounter(sqlite_shop.runtime.database.engine) as queries:
        await SiteSetting.select().run()
        await SiteSetting.count().run()
    assert queries.count == 2 and "site_settings" in queries.statements[0]
    with pytest.raises(ZeroDivisionError):
        with QueryCounter(sqlite_shop.runtime.database.engine):
            1 / 0
    assert type(sqlite_shop.runtime.database.engine).run_querystring is original


async def test_cached_pages_run_no_statement(shop):
    """A page asked for again, unchanged, comes from the cache: no SQL at all."""
    client = shop.test_client()
    cacheable = ["/", "/c/clothing", "/p/oxford-shirt", "/search?q=shirt", "/api/v1/products",
                 "/api/v1/products/oxford-shirt", "/api/v1/categories"]
    for path in cacheable:
        assert (await client.get(path)).status_code == 200, path
    with QueryCounter(shop.runtime.database.engine) as queries:
        for path in cacheable:
            response = await client.get(path)
            assert response.status_code == 200 and response.headers["X-Cache"] == "hit", path
    assert queries.statements == []


async def _fill_cart(client, skus: list[str]) -> None:
    import re

    page = await (await client.get("/p/oxford-shirt")).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for sku in skus:
        added = await client.post("/cart", form={"sku": sku, "quantity": "1", "csrf_token": token})
        assert added.status_code in (302, 303), added.status_code


async def test_the_cart_page_runs_the_same_statements_for_any_number_of_lines(shop):
    """Rendered: session, cart revision, cart, lines, variants, categories,
    promotions — a fixed number of statements whether the cart holds one
    line or three. Shown again from the cart page cache: session and cart
    revision only."""
    counts = []
    for skus in (["OXFORD-SHIRT-S-B"], ["OXFORD-SHIRT-S-B", "OXFORD-SHIRT-M-B", "OXFORD-SHIRT-L-R"]):
        client = shop.test_client()
        await _fill_cart(client, skus)
        assert (await client.get("/cart")).status_code == 200  # settles the prices seen and the messages
        shop.cart_pages.clear()  # the page rendered again, the shared catalog reads kept
        await shop.theme_state.refresh()  # no theme settings read in the counted views (exact counts)
        shop.theme_state._read_at += 3600
        with QueryCounter(shop.runtime.database.engine) as queries:
            page = await client.get("/cart")
        assert page.status_code == 200 and "Oxford" in await page.get_data(as_text=True)
        assert page.headers["X-Cache"] == "miss"
        counts.append(queries.count)
        with QueryCounter(shop.runtime.database.engine) as cached:
            again = await client.get("/cart")
        assert again.headers["X-Cache"] == "hit" and cached.count == 2, cached.statements
    assert counts[0] == counts[1] <= 7, "\n".join(queries.statements)
