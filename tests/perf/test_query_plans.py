"""The hot queries use indexes, on SQLite and PostgreSQL.

The statements are the real ones: captured while the storefront and the
catalog API answer their hottest requests (caches cleared first), then
explained. SQLite's ``EXPLAIN QUERY PLAN`` must not ``SCAN`` a table;
PostgreSQL, with sequential scans priced out (``enable_seqscan = off``, so
the tiny test tables cannot hide a missing index), must not show a
``Seq Scan``. Tables that are read whole on purpose (the category tree,
attribute definitions, warehouses, settings, the change counters) and the
facet aggregates (computed once per catalog change, then cached) are left out.
"""
from __future__ import annotations

import contextvars
import re

from piccolo.querystring import QueryString


HOT = ["/c/shirts", "/c/clothing?sort=price_asc", "/p/oxford-shirt", "/search?q=oxford",
       "/api/v1/products", "/api/v1/products?category=clothing&sort=price_desc", "/api/v1/products/oxford-shirt"]
_CAPTURING: contextvars.ContextVar[bool] = contextvars.ContextVar("capturing", default=False)
#: read whole on purpose: a handful of rows each
SMALL = {"catalog_categories", "catalog_attributes", "catalog_warehouses", "site_settings", "plugin_state",
         "cache_generations"}


async def _hot_statements(app) -> list[QueryString]:
    """The SELECTs the hot requests run, as Piccolo query strings (SQL + arguments)."""
    client = app.test_client()
    engine = app.runtime.database.engine
    cls = type(engine)
    original = cls.run_querystring
    captured: list[QueryString] = []

    async def capture(self, querystring, *args, **kwargs):
        if self is engine and _CAPTURING.get():  # the requests' own statements, not background loops'
            captured.append(querystring)
        return await original(self, querystring, *args, **kwargs)

    cls.run_querystring = capture
    token = _CAPTURING.set(True)
    try:
        for path in HOT:
            app.storefront_cache.clear()
            assert (await client.get(path)).status_code == 200, path
    finally:
        _CAPTURING.reset(token)
        cls.run_querystring = original
    unique: dict[str, QueryString] = {}
    for querystring in captured:
        sql = querystring.compile_string(engine_type=engine.engine_type)[0]
        if sql.lstrip().upper().startswith("SELECT") and "GROUP BY" not in sql.upper():
            unique.setdefault(str(querystring), querystring)
    return list(unique.values())


async def _explain(app, statement: QueryString | str) -> list[str]:
    database = app.runtime.database
    engine = database.engine
    query = statement if isinstance(statement, QueryString) else QueryString(statement.replace("{", "{{")
                                                                             .replace("}", "}}"))
    if database.dialect == "sqlite":
        rows = await engine.run_querystring(QueryString("EXPLAIN QUERY PLAN {}", query))
        return [row["detail"] for row in rows]
    async with database.transaction():
        await engine.run_ddl("SET LOCAL enable_seqscan = off")
        rows = await engine.run_querystring(QueryString("EXPLAIN {}", query))
    return [row["QUERY PLAN"] for row in rows]


def _full_scans(plan: list[str], dialect: str) -> list[str]:
    pattern = r"^SCAN (\w+)" if dialect == "sqlite" else r"Seq Scan on (\w+)"
    # SQLite reads a subquery in FROM (one row here) through a co-routine or a
    # materialized copy, and shows that read as "SCAN <alias>": not a table scan
    subqueries = {match.group(2) for line in plan
                  if (match := re.search(r"^(CO-ROUTINE|MATERIALIZE) (\w+)", line.strip()))}
    found = []
    for line in plan:
        match = re.search(pattern, line.strip())
        if match and match.group(1) not in SMALL | subqueries and "VIRTUAL TABLE" not in line:
            found.append(line.strip())
    return found


async def test_hot_queries_use_indexes(shop):
    statements = await _hot_statements(shop)
    assert len(statements) >= 6
    problems = {}
    for statement in statements:
        plan = await _explain(shop, statement)
        scans = _full_scans(plan, shop.runtime.database.dialect)
        if scans:
            problems[str(statement)[:160]] = scans
    assert problems == {}


async def test_the_outbox_relay_and_cart_lookups_use_indexes(shop):
    plan = await _explain(shop, "SELECT id FROM outbox_events WHERE relayed_at IS NULL ORDER BY id LIMIT 200")
    assert _full_scans(plan, shop.runtime.database.dialect) == []
    plan = await _explain(shop, "SELECT v.id FROM catalog_variants v WHERE v.sku IN ('OXFORD-SHIRT-S-B', 'MUG-1')")
    assert _full_scans(plan, shop.runtime.database.dialect) == []


async def test_a_missing_index_would_be_caught(shop):
    """The check itself: a filter on an unindexed column is reported."""
    plan = await _explain(shop, "SELECT id FROM catalog_products WHERE description = 'x'")
    assert _full_scans(plan, shop.runtime.database.dialect)


async def test_a_category_walk_in_product_order_takes_the_category_index(shop):
    """The "newest" listing walk of a category reads ``(category, product)``
    backwards. On PostgreSQL no other index of ``catalog_listing`` may offer
    the rows in product order: with a B-tree on ``product`` alone the planner,
    trusting that column's physical order, walked every category's rows for a
    filtered page (40,000 rows instead of 800 at 100,000 products), so on
    PostgreSQL lookups by product use a hash index and ranges of products a
    BRIN index (migration catalog 2026-12-07T10:45)."""
    database = shop.runtime.database
    walk = "SELECT l.product FROM catalog_listing l WHERE l.category = 1 ORDER BY l.product DESC LIMIT 25"
    plan = " ".join(await _explain(shop, walk))
    assert "catalog_listing_category_product" in plan and "catalog_listing_product " not in plan + " "
    if database.dialect == "postgres":
        indexes = await database.engine.run_ddl(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'catalog_listing'")
        in_product_order = [row["indexname"] for row in indexes
                            if re.search(r"USING btree \(product[,)]", row["indexdef"])]
        assert in_product_order == []
    # the rebuild's product ranges and the writes' product lookups still use an index
    for statement in ("SELECT category, COUNT(*) AS n FROM catalog_listing WHERE product BETWEEN 1 AND 50 "
                      "GROUP BY category", "SELECT category FROM catalog_listing WHERE product IN (1, 2, 3)"):
        assert _full_scans(await _explain(shop, statement), database.dialect) == [], statement
