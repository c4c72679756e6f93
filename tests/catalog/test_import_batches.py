"""How the import's second pass cuts and schedules its batches (both
databases). On PostgreSQL a file of more than ``REBUILD_AFTER_PRODUCTS``
products is written two batches at a time; the tests lower that limit
(``concurrently``) so that small files take the same path."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from engine.catalog import import_batches, services
from engine.catalog.import_batches import _batches, _needs_earlier_batches
from engine.catalog.importer import import_source, records_source
from engine.db.sql import fetch, fetchval


@pytest.fixture
def concurrently(monkeypatch):
    """Files of more than one product are written as large ones are: facets
    rebuilt at the end, two batches at a time on PostgreSQL."""
    monkeypatch.setattr(import_batches, "REBUILD_AFTER_PRODUCTS", 1)


def _row(slug: str, sku: str, defined: bool = True) -> SimpleNamespace:
    return SimpleNamespace(slug=slug, sku=sku, product={"title": slug} if defined else None)


def test_batches_end_with_a_product_unless_it_is_too_long():
    rows = [_row("a", f"A{i}") for i in range(3)] + [_row("b", f"B{i}") for i in range(7)] + [_row("c", "C0")]
    cut = list(_batches(rows, 2))
    # a's three rows stay together; b runs past twice the size and is cut there
    assert [[row.sku for row in batch] for batch, _ in cut] == [
        ["A0", "A1", "A2"], ["B0", "B1", "B2", "B3"], ["B4", "B5", "B6"], ["C0"]]
    # positions count a product's variants across its batches
    assert [positions for _, positions in cut][1:3] == [{"B0": 0, "B1": 1, "B2": 2, "B3": 3},
                                                         {"B4": 4, "B5": 5, "B6": 6}]


def test_a_batch_that_inherits_a_product_from_an_earlier_one_waits_for_it():
    assert not _needs_earlier_batches([_row("a", "A0"), _row("a", "A1", defined=False)])
    assert _needs_earlier_batches([_row("a", "A2", defined=False), _row("b", "B0")])


def _rows(products: int, variants: int, *, fields_once: bool = False) -> list[dict]:
    rows = []
    for p in range(products):
        for v in range(variants):
            row = {"product_slug": f"split-{p}", "sku": f"SPLIT-{p}-{v}", "price": f"{10 + v}.00",
                   "options": {"size": f"S{v}"}, "stock": 3}
            if v == 0 or not fields_once:
                row.update(title=f"Split {p}", status="published", categories=["shirts"],
                           attributes={"material": "linen"})
            rows.append(row)
    return rows


async def test_a_product_longer_than_two_batches_is_written_whole(catalog_app, concurrently):
    """Its fields on its first row only, its 9 rows in batches of 2 (cut at 4):
    the later batches inherit it and wait for the batch that created it."""
    report = await import_source(catalog_app.runtime, records_source(_rows(3, 9, fields_once=True)), batch_size=2)
    assert report.ok and report.written, report
    assert report.batches == 8  # 4 + 4 rows of each product cut inside it, the rest where products end
    for p in range(3):
        product = await services.get_product(f"split-{p}")
        assert [v["sku"] for v in product["variants"]] == [f"SPLIT-{p}-{v}" for v in range(9)]
        assert product["price_from"]["amount"] == 1000
    listed = await fetchval("SELECT COUNT(*) FROM catalog_listing l JOIN catalog_products p ON p.id = l.product "
                            "WHERE p.slug LIKE 'split-%' AND l.category = 0")
    assert listed == 3


async def test_a_failed_batch_stops_the_import_and_leaves_whole_batches(catalog_app, concurrently):
    """A batch the database refuses (a trigger refuses one SKU): the error
    comes out of the import, the batches committed before it stay whole, and
    no batch is half-written (on PostgreSQL another batch was in flight)."""
    runtime = catalog_app.runtime
    engine = runtime.database.engine
    if runtime.database.dialect == "sqlite":
        await engine.run_ddl("CREATE TRIGGER refuse_one BEFORE INSERT ON catalog_variants "
                             "WHEN NEW.sku = 'SPLIT-2-0' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
    else:
        await engine.run_ddl("CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                             "IF NEW.sku = 'SPLIT-2-0' THEN RAISE EXCEPTION 'refused by the test'; END IF; "
                             "RETURN NEW; END $$")
        await engine.run_ddl("CREATE TRIGGER refuse_one BEFORE INSERT ON catalog_variants "
                             "FOR EACH ROW EXECUTE FUNCTION refuse_one()")
    with pytest.raises(Exception, match="refused by the test"):
        await import_source(runtime, records_source(_rows(6, 2)), batch_size=2)
    written = [await fetchval("SELECT COUNT(*) FROM catalog_variants v JOIN catalog_products p "
                              "ON p.id = v.product WHERE p.slug = {}", f"split-{p}") for p in range(6)]
    assert written[:3] == [2, 2, 0], written  # the two batches before it; nothing of the refused one
    assert all(count in (0, 2) for count in written), written  # whole batches only
    assert sum(written) < 12  # the import stopped


async def test_progress_is_reported_one_call_at_a_time(catalog_app, concurrently):
    """A callback that awaits (the admin's import job writes ``done`` to the
    database) is never entered again before it returned, so what it records
    stays in order while two batches are written at once."""
    active, overlapped, reported = 0, 0, []
    concurrent = catalog_app.runtime.database.dialect == "postgres"

    async def progress(rows: int) -> None:
        nonlocal active, overlapped
        active += 1
        overlapped += active > 1
        if concurrent and not reported:
            # hold the first report until the batch beside it has committed too
            for _ in range(2000):
                if await fetchval("SELECT COUNT(*) FROM catalog_variants WHERE sku LIKE 'SPLIT-%'") >= 4:
                    break
                await asyncio.sleep(0.005)
        reported.append(rows)
        active -= 1

    report = await import_source(catalog_app.runtime, records_source(_rows(12, 2)), batch_size=2,
                                 progress=progress)
    assert report.written and overlapped == 0
    assert reported == [2] * 12


async def test_batches_that_share_products_in_another_order_do_not_deadlock(catalog_app, concurrently):
    """The first variants of 150 products, then their second variants in the
    reverse order: two consecutive batches share all 150 products, one
    meeting them from the first, the other from the last. Written at once,
    each could hold a product the other waits for (PostgreSQL would abort
    one of them with a deadlock): the second waits for the first."""
    rows = []
    for group in range(4):
        slugs = [f"shared-{group}-{n:03}" for n in range(150)]
        for variant, order in enumerate((slugs, slugs[::-1])):
            for slug in order:
                rows.append({"product_slug": slug, "sku": f"{slug.upper()}-{variant}", "title": slug.title(),
                             "status": "published", "categories": ["shirts"], "price": "10.00", "stock": 1})
    report = await import_source(catalog_app.runtime, records_source(rows), batch_size=150)
    assert report.ok and report.written and report.batches == 8, report
    counts = await fetchval("SELECT COUNT(*) FROM catalog_variants v JOIN catalog_products p ON p.id = v.product "
                            "WHERE p.slug LIKE 'shared-%'")
    assert counts == 1200


async def test_a_large_import_leaves_the_catalog_tables_vacuumed_and_analyzed(catalog_app, monkeypatch):
    """After the last batch (PostgreSQL): ``VACUUM (ANALYZE)`` of every catalog
    table, so the first shoppers' reads neither mark the new rows visible page
    by page nor fetch heap rows in index-only scans."""
    if catalog_app.runtime.database.dialect == "sqlite":
        pytest.skip("PostgreSQL keeps its planner statistics and visibility map itself")
    monkeypatch.setattr(import_batches, "ANALYZE_AFTER_ROWS", 10)
    report = await import_source(catalog_app.runtime, records_source(_rows(4, 3)), batch_size=4)
    assert report.ok and report.written, report
    for table in import_batches.CATALOG_TABLES:
        vacuumed = await fetchval("SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
                                  "FROM pg_stat_user_tables WHERE relname = {}", table)
        assert vacuumed, table


async def _count_product_updates(engine, dialect: str) -> None:
    """From here on, every UPDATE of a ``catalog_products`` row adds a row to
    ``product_updates``."""
    await engine.run_ddl("CREATE TABLE product_updates (product INTEGER)")
    if dialect == "sqlite":
        await engine.run_ddl("CREATE TRIGGER count_updates AFTER UPDATE ON catalog_products "
                             "BEGIN INSERT INTO product_updates VALUES (NEW.id); END")
    else:
        await engine.run_ddl("CREATE FUNCTION count_updates() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                             "INSERT INTO product_updates VALUES (NEW.id); RETURN NEW; END $$")
        await engine.run_ddl("CREATE TRIGGER count_updates AFTER UPDATE ON catalog_products "
                             "FOR EACH ROW EXECUTE FUNCTION count_updates()")


async def test_a_new_products_row_is_written_once_with_its_lowest_price(catalog_app, concurrently):
    """A new product is inserted with the lowest price of its variants in the
    batch: its row (its indexes and full-text vector with it) is not
    rewritten by the ``price_min`` refresh. A product whose later batch
    brings a lower price is corrected by that batch."""
    runtime = catalog_app.runtime
    await _count_product_updates(runtime.database.engine, runtime.database.dialect)
    rows = _rows(3, 2)
    falling = _rows(1, 9, fields_once=True)
    for v, row in enumerate(falling):
        row.update(product_slug="falling", sku=f"FALL-{v}", price=f"{20 - v}.00")
    falling[0]["title"] = "Falling"
    report = await import_source(runtime, records_source(rows + falling), batch_size=2)
    assert report.ok and report.written, report
    for p in range(3):
        assert (await services.get_product(f"split-{p}"))["price_from"]["amount"] == 1000
    assert (await services.get_product("falling"))["price_from"]["amount"] == 1200
    updated = [row["product"] for row in await fetch("SELECT product FROM product_updates")]
    falling_id = await fetchval("SELECT id FROM catalog_products WHERE slug = 'falling'")
    assert set(updated) <= {falling_id}, "split-* rows were written twice"
    assert updated, "the lower prices of the later batches reach price_min"
