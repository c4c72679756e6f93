"""Writing one batch of validated import rows, inside the caller's transaction.

:func:`batch_writer` gives the writer of the database's dialect; its
``write(rows, positions)`` writes products, variants, stock, categories,
images, attribute values and the derived ``price_min`` of the batch, and
returns the ids of the batch's products (in file order).

Both writers upsert by product slug and SKU (in file order: new products
get their ids in the order of the file) and leave a row alone when nothing
in it changed (no dead tuples, index or full-text churn on
re-import); a field absent from the file keeps its stored value.

- SQLite: ``executemany`` of ``INSERT ... ON CONFLICT`` on the transaction's
  connection (one writer at a time; statements cost microseconds).
- PostgreSQL: every table's rows are ``COPY``-ed (asyncpg's binary
  ``copy_records_to_table``) into a temporary staging table dropped at commit,
  then written by one set-based ``INSERT ... SELECT ... ON CONFLICT``; lists
  are replaced and the derived data rebuilt by set-based statements over the
  batch's product ids (``= ANY($1)``), a handful of round trips per batch
  whatever its size.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable

from engine.db.sql import chunks, fetch, placeholders

PRODUCT_FIELDS = ("title", "description", "status", "seo_title", "seo_description", "tax_class")
#: ``price_min`` is written with a new product only (an existing one's is
#: corrected by ``refresh_price_min``): inserted right, the row is not
#: rewritten a moment later (its indexes and full-text vector with it).
PRODUCT_COLUMNS = ("slug", *PRODUCT_FIELDS, "currency", "created_at", "updated_at", "price_min")
NO_OPTIONS: dict[str, str] = {}
VARIANT_COLUMNS = ("product", "sku", "options", "price_amount", "currency", "weight_grams", "position")


def batch_writer(connection: Any, dialect: str, attribute_ids: dict[str, int],
                 warehouse_ids: dict[str, int]) -> "SqliteBatchWriter":
    """The writer for ``dialect`` on the transaction's ``connection``."""
    kind = PostgresBatchWriter if dialect == "postgres" else SqliteBatchWriter
    return kind(connection, attribute_ids, warehouse_ids)


class SqliteBatchWriter:
    """Writes a batch with ``executemany`` statements (see the module docs)."""

    distinct = "IS NOT"

    def __init__(self, connection: Any, attribute_ids: dict[str, int], warehouse_ids: dict[str, int]) -> None:
        self.connection = connection
        self.attribute_ids = attribute_ids
        self.warehouse_ids = warehouse_ids

    # ------------------------------------------------------------ primitives
    def compile(self, sql: str) -> str:
        return sql.replace("{}", "?")

    async def many(self, sql: str, rows: list[tuple]) -> None:
        if rows:
            await self.connection.executemany(self.compile(sql), rows)

    async def upsert(self, table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str) -> None:
        """``INSERT INTO table (columns) <rows> <conflict>``; ``conflict`` may
        name the new values as ``excluded.<column>``."""
        marks = ", ".join("{}" for _ in columns)
        await self.many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) {conflict}", rows)

    async def ids(self, table: str, key: str, values: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in chunks(values, 500):
            for row in await fetch(f"SELECT id, {key} FROM {table} WHERE {key} IN ({placeholders(chunk)})", *chunk):
                found[row[key]] = row["id"]
        return found

    async def delete_for(self, table: str, product_ids: list[int]) -> None:
        for chunk in chunks(product_ids, 500):
            await fetch(f"DELETE FROM {table} WHERE product IN ({placeholders(chunk)})", *chunk)

    async def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        await self.upsert(table, columns, rows, "")

    async def clear_attributes(self, pairs: list[tuple[int, int]]) -> None:
        await self.many("DELETE FROM catalog_product_attribute_values WHERE product = {} AND attribute = {}", pairs)

    def changed(self, table: str, columns: Iterable[str]) -> str:
        """An upsert guard true when a column differs."""
        return "(" + " OR ".join(f"{table}.{c} {self.distinct} excluded.{c}" for c in columns) + ")"

    # ------------------------------------------------------------ the batch
    async def write(self, rows: list[Any], positions: dict[str, int]) -> list[int]:
        """Write ``rows`` (validated import rows; ``positions`` maps each SKU
        to its place among its product's variants); the batch's product ids."""
        now = datetime.now(timezone.utc)
        defining: dict[str, Any] = {}
        for row in rows:
            if row.product is not None and row.slug not in defining:
                defining[row.slug] = row
        slugs = list(dict.fromkeys(row.slug for row in rows))
        lowest: dict[str, int] = {}
        for row in rows:
            price = row.variant["price_amount"]
            if row.slug not in lowest or price < lowest[row.slug]:
                lowest[row.slug] = price
        # products: one statement per set of present fields
        groups: dict[tuple[str, ...], list[tuple]] = {}
        for slug, row in defining.items():
            present = tuple(f for f in PRODUCT_FIELDS if f in row.product)
            values = [row.product.get("title"), row.product.get("description", ""),
                      row.product.get("status", "published"), row.product.get("seo_title", ""),
                      row.product.get("seo_description", ""), row.product.get("tax_class", "standard")]
            groups.setdefault(present, []).append((slug, *values, row.variant["currency"], now, now, lowest[slug]))
        for present, values in groups.items():
            columns = (*present, "currency")
            updates = ", ".join(f"{f} = excluded.{f}" for f in (*columns, "updated_at"))
            await self.upsert("catalog_products", PRODUCT_COLUMNS, values,
                              f"ON CONFLICT (slug) DO UPDATE SET {updates} "
                              f"WHERE {self.changed('catalog_products', columns)}")
        product_ids = await self.ids("catalog_products", "slug", slugs)
        # variants
        variant_groups: dict[tuple[bool, bool], list[tuple]] = {}
        encoded: dict[int, str] = {}  # rows share their options objects: each is encoded once
        for row in rows:
            has_options, has_weight = "options" in row.variant, "weight_grams" in row.variant
            options = row.variant.get("options", NO_OPTIONS)
            text = encoded.get(id(options))
            if text is None:
                text = encoded[id(options)] = json.dumps(options, sort_keys=True)
            variant_groups.setdefault((has_options, has_weight), []).append((
                product_ids[row.slug], row.sku, text,
                row.variant["price_amount"], row.variant["currency"], row.variant.get("weight_grams", 0),
                positions[row.sku]))
        for (has_options, has_weight), values in variant_groups.items():
            updates = ["price_amount = excluded.price_amount", "currency = excluded.currency"]
            if has_options:
                updates.append("options = excluded.options")
            if has_weight:
                updates.append("weight_grams = excluded.weight_grams")
            changed = self.changed("catalog_variants", [u.split(" = ")[0] for u in updates])
            await self.upsert("catalog_variants", VARIANT_COLUMNS, values,
                              f"ON CONFLICT (sku) DO UPDATE SET {', '.join(updates)} WHERE {changed}")
        variant_ids = await self.ids("catalog_variants", "sku", [row.sku for row in rows])
        # stock
        await self.upsert(
            "catalog_stock", ("variant", "warehouse", "on_hand", "reserved"),
            [(variant_ids[row.sku], self.warehouse_ids[code], quantity, 0)
             for row in rows for code, quantity in row.stock.items()],
            "ON CONFLICT (variant, warehouse) DO UPDATE SET on_hand = excluded.on_hand "
            "WHERE catalog_stock.on_hand <> excluded.on_hand")
        # product-level lists, for the products defined in this batch
        await self._replace_lists(defining, product_ids)
        touched = [product_ids[slug] for slug in slugs]
        await self.refresh_price_min(touched)
        return touched

    async def _replace_lists(self, defining: dict[str, Any], product_ids: dict[str, int]) -> None:
        with_categories = [product_ids[s] for s, r in defining.items() if "categories" in r.product]
        with_images = [product_ids[s] for s, r in defining.items() if "images" in r.product]
        if with_categories:
            category_ids = {row["slug"]: row["id"] for row in await fetch("SELECT id, slug FROM catalog_categories")}
            await self.delete_for("catalog_product_categories", with_categories)
            await self.insert("catalog_product_categories", ("product", "category", "position"),
                              [(product_ids[s], category_ids[c], i) for s, r in defining.items()
                               if "categories" in r.product for i, c in enumerate(r.product["categories"])])
        if with_images:
            await self.delete_for("catalog_product_images", with_images)
            await self.insert("catalog_product_images", ("product", "url", "alt", "position"),
                              [(product_ids[s], image["url"], image["alt"], i) for s, r in defining.items()
                               if "images" in r.product for i, image in enumerate(r.product["images"])])
        set_values, clear_values = [], []
        for slug, row in defining.items():
            for code, value in (row.product.get("attributes") or {}).items():
                attribute_id = self.attribute_ids[code]
                if value is None:
                    clear_values.append((product_ids[slug], attribute_id))
                else:
                    set_values.append((product_ids[slug], attribute_id, value))
        await self.clear_attributes(clear_values)
        await self.upsert("catalog_product_attribute_values", ("product", "attribute", "value"), set_values,
                          "ON CONFLICT (product, attribute) DO UPDATE SET value = excluded.value "
                          "WHERE catalog_product_attribute_values.value <> excluded.value")

    async def refresh_price_min(self, product_ids: list[int]) -> None:
        """Bring ``price_min`` in line with the variants (a value already
        right is left alone)."""
        for chunk in chunks(product_ids, 500):
            marks = placeholders(chunk)
            low = "(SELECT MIN(v.price_amount) FROM catalog_variants v WHERE v.product = catalog_products.id)"
            await fetch(f"UPDATE catalog_products SET price_min = {low} WHERE id IN ({marks}) "
                        f"AND price_min IS NOT {low}", *chunk)


class PostgresBatchWriter(SqliteBatchWriter):
    """Writes a batch with ``COPY`` and set-based statements (see the module docs)."""

    distinct = "IS DISTINCT FROM"

    def compile(self, sql: str) -> str:
        parts = sql.split("{}")
        return "".join(part + (f"${i + 1}" if i < len(parts) - 1 else "") for i, part in enumerate(parts))

    async def stage(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> str:
        """A temporary table with ``columns`` of ``table`` holding ``rows``
        (dropped at commit); its name."""
        name = f"import_stage_{table}"
        await self.connection.execute(f"DROP TABLE IF EXISTS {name}")
        await self.connection.execute(f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS "
                                      f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
        await self.connection.copy_records_to_table(name, records=rows, columns=list(columns))
        return name

    async def upsert(self, table: str, columns: tuple[str, ...], rows: list[tuple], conflict: str) -> None:
        if not rows:
            return
        staged = await self.stage(table, columns, rows)
        names = ", ".join(columns)
        await self.connection.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staged} {conflict}")

    async def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if rows:
            await self.connection.copy_records_to_table(table, records=rows, columns=list(columns))

    async def ids(self, table: str, key: str, values: list[str]) -> dict[str, int]:
        rows = await self.connection.fetch(f"SELECT id, {key} FROM {table} WHERE {key} = ANY($1::text[])", values)
        return {row[key]: row["id"] for row in rows}

    async def delete_for(self, table: str, product_ids: list[int]) -> None:
        await self.connection.execute(f"DELETE FROM {table} WHERE product = ANY($1::int[])", product_ids)

    async def clear_attributes(self, pairs: list[tuple[int, int]]) -> None:
        if pairs:
            await self.connection.execute(
                "DELETE FROM catalog_product_attribute_values WHERE (product, attribute) IN "
                "(SELECT * FROM unnest($1::int[], $2::int[]))", [p for p, _ in pairs], [a for _, a in pairs])

    async def refresh_price_min(self, product_ids: list[int]) -> None:
        """``price_min``, set-based; a value already right is left alone (a
        re-import rewrites nothing)."""
        await self.connection.execute(
            "UPDATE catalog_products p SET price_min = low.amount FROM ("
            "SELECT ids.id AS product, (SELECT MIN(v.price_amount) FROM catalog_variants v WHERE v.product = ids.id) "
            "AS amount FROM unnest($1::int[]) AS ids(id)) low "
            "WHERE p.id = low.product AND p.price_min IS DISTINCT FROM low.amount", product_ids)
