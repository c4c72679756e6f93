"""The import's second pass: validated rows written in batches, one transaction each.

:func:`write_batches` cuts the rows into batches of about ``batch_size`` rows
(a product's consecutive rows stay in one batch, up to twice that size) and
writes each with :mod:`engine.catalog.import_writer` in its own transaction.
A large file on PostgreSQL (more than :data:`REBUILD_AFTER_PRODUCTS`
products, whose facets are rebuilt at the end) is written :data:`WRITERS`
batches at a time over their own pooled connections: PostgreSQL's work for
one batch (index entries, foreign-key checks) then runs on one core while
the importer prepares or the server writes the next on another. A smaller
file is written one batch at a time: each of its batches refreshes the
shared facet counts chunk by chunk, and two such batches could each hold a
count row the other needs. Rules that keep concurrent batches correct:

- A batch whose rows inherit the fields of a product defined in an earlier
  batch (a product's rows split by a cut, or spread over the file) starts
  only when every earlier batch has committed, so the product exists.
- Batches written at once share no product: a batch with a product of the
  batch in flight waits for it to commit. So neither waits for a row the
  other holds (no deadlock). New products get their ids in file order
  within a batch; two batches written at once draw ids side by side.
- A failed batch stops the import: nothing more starts, the batch in
  flight beside it ends as it would (commits or fails whole), and the error
  propagates. Committed batches stay (importing the file again completes
  it, see :mod:`engine.catalog.importer`).

Each batch counts its change once (:func:`engine.cache.counters.counted_once`)
and writes one ``catalog_imported`` outbox event. The facet and listing rows
are refreshed per batch, or, when the file has more than
:data:`REBUILD_AFTER_PRODUCTS` products, rebuilt once at the end
(:func:`engine.catalog.facets.rebuild_all`).
"""
from __future__ import annotations

import asyncio
import inspect
from typing import Any, Callable, Iterable

from engine import outbox
from engine.cache.counters import bump, counted_once
from engine.catalog.facets import DERIVED_TABLES, REBUILD_AFTER_PRODUCTS, rebuild_all, refresh_products
from engine.catalog.import_writer import batch_writer
from engine.db.sql import engine, fetch

#: the planner's statistics are refreshed after the first this-many rows
#: written, then each time the rows written have doubled (see :func:`write_batches`)
ANALYZE_AFTER_ROWS = 1000
#: batches written at once on PostgreSQL (SQLite has one writer)
WRITERS = 2
CATALOG_TABLES = ("catalog_products", "catalog_variants", "catalog_stock", "catalog_product_categories",
                  "catalog_product_attribute_values", "catalog_product_images",
                  *DERIVED_TABLES)


async def analyze(dialect: str, *, vacuum: bool = False) -> None:
    """Refresh the planner's statistics after a bulk load (PostgreSQL plans the
    catalog queries with sequential scans until it knows the tables grew).

    ``vacuum`` (once, at the end of an import) vacuums the tables as well: the
    new rows' visibility is then recorded once, instead of by the first reads
    of every page, and index-only scans skip the heap at once (random filtered
    category pages right after a 100,000-product import: about 20 % faster,
    for about a second of vacuum). Inside a transaction, where PostgreSQL
    cannot vacuum, the statistics only."""
    if dialect == "postgres":
        command = "VACUUM (ANALYZE)" if vacuum and engine().current_transaction.get() is None else "ANALYZE"
        await fetch(f"{command} {', '.join(CATALOG_TABLES)}")


async def maybe_await(value: Any) -> Any:
    """``value``, awaited when it is awaitable (a callback may be sync or async)."""
    return await value if inspect.isawaitable(value) else value


def _batches(rows: Iterable[Any], batch_size: int) -> Iterable[tuple[list[Any], dict[str, int]]]:
    """``(rows, positions)`` per batch; ``positions`` maps each SKU to its place
    among its product's variants, in file order. A batch is cut at
    ``batch_size`` rows where the product changes, and at twice that size
    wherever it is."""
    per_product: dict[str, int] = {}
    batch: list[Any] = []
    positions: dict[str, int] = {}
    for row in rows:
        if batch and (len(batch) >= 2 * batch_size or (len(batch) >= batch_size and row.slug != batch[-1].slug)):
            yield batch, positions
            batch, positions = [], {}
        positions[row.sku] = per_product.get(row.slug, 0)
        per_product[row.slug] = positions[row.sku] + 1
        batch.append(row)
    if batch:
        yield batch, positions


def _needs_earlier_batches(batch: list[Any]) -> bool:
    """True when a row inherits the fields of a product this batch does not define."""
    defined = {row.slug for row in batch if row.product is not None}
    return any(row.product is None and row.slug not in defined for row in batch)


async def write_batches(runtime: Any, rows: Iterable[Any], *, attribute_ids: dict[str, int], products: int,
                        batch_size: int, progress: Callable[[int], Any] | None = None) -> int:
    """Write validated import ``rows`` (file order; ``products`` distinct
    products among them) in batches (see the module docs); ``progress(n)``
    after each committed batch with its row count. Returns the number of
    batches. ``progress`` is never called again before its previous call
    returned. On PostgreSQL the planner's statistics are refreshed after the
    first :data:`ANALYZE_AFTER_ROWS` rows and whenever the rows written have
    doubled since, so later batches are planned for the tables' real size, and
    once more at the end, with a vacuum (:func:`analyze`)."""
    database = runtime.database
    dialect = database.dialect
    warehouse_ids = {row["code"]: row["id"] for row in await fetch("SELECT id, code FROM catalog_warehouses")}
    rebuild = products > REBUILD_AFTER_PRODUCTS
    concurrent = rebuild and dialect == "postgres" and database.options.pool_max_size > WRITERS
    writers = WRITERS if concurrent else 1
    state = {"written": 0, "analyze_at": ANALYZE_AFTER_ROWS, "batches": 0}
    analyzing, reporting = asyncio.Lock(), asyncio.Lock()

    async def write(batch: list[Any], positions: dict[str, int]) -> None:
        async with database.transaction() as transaction, counted_once(database.engine, "catalog", "stock"):
            writer = batch_writer(transaction.connection, dialect, attribute_ids, warehouse_ids)
            product_ids = await writer.write(batch, positions)
            if not rebuild:
                await refresh_products(product_ids)
            await outbox.emit("catalog_imported", {"product_ids": product_ids, "variants": len(batch)})
        runtime.events_committed()
        state["batches"] += 1
        state["written"] += len(batch)
        if state["written"] >= state["analyze_at"]:
            async with analyzing:
                if state["written"] >= state["analyze_at"]:
                    await analyze(dialect)
                    state["analyze_at"] = state["written"] * 2
        if progress:
            async with reporting:  # one call at a time: a callback's own updates stay in order
                await maybe_await(progress(len(batch)))

    in_flight: dict[asyncio.Task, set[str]] = {}  # each batch in flight and its products

    async def settle(until: int) -> None:
        """Wait until at most ``until`` batches are in flight; a failure raises."""
        while len(in_flight) > until:
            done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                del in_flight[task]
            for task in done:
                task.result()

    try:
        for batch, positions in _batches(rows, batch_size):
            slugs = {row.slug for row in batch}
            alone = _needs_earlier_batches(batch) or any(slugs & other for other in in_flight.values())
            await settle(0 if alone else writers - 1)
            in_flight[asyncio.ensure_future(write(batch, positions))] = slugs
        await settle(0)
    except Exception:
        await asyncio.gather(*in_flight, return_exceptions=True)  # the others end as they would
        raise
    except BaseException:  # cancelled: the batches in flight roll back
        for task in in_flight:
            task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        raise
    if rebuild:
        # One pass over the catalog; the counter bump drops whatever was cached
        # from the facets as they stood during the import.
        async with database.transaction():
            await rebuild_all()
            await bump(database.engine, "catalog")
    if state["written"] >= ANALYZE_AFTER_ROWS:
        await analyze(dialect, vacuum=True)
    return state["batches"]
