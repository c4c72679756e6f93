"""Catalog search: query validation, the core default backend and
:func:`search_products`.

The backend is chosen through the ``catalog_search_backend`` hook; the core
default (:class:`DefaultSearchBackend`, registered by
``engine.catalog.search_default``) uses SQLite FTS5 on SQLite and PostgreSQL
full-text search (``tsvector`` + GIN) on PostgreSQL.

Filters (``SearchQuery.filters``):

- ``min_price`` / ``max_price``: whole minor units, compared with the
  product's "price from" (its lowest variant price).
- ``in_stock``: true keeps products with at least one variant available.
- any other name: an attribute code, or else a variant option name (e.g.
  ``colour``), with one value or a list (any of them matches). Several names
  must all match. A name that is neither an attribute nor an option in use is
  ignored.

Sorts: ``relevance`` (best text match first; with no text, the same as
``newest``), ``price_asc``, ``price_desc``, ``newest`` (creation order).
Every sort ends with the product id, and pages continue from an opaque keyset
cursor, never an OFFSET, so page 1,000 costs what page 1 costs.

Search text is reduced to its words (letters and digits) before it reaches
the database, each word quoted; the last word matches as a prefix. Text with
no words finds nothing. Nothing in the text can change the SQL.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, Mapping, Sequence

from engine.catalog.categories import descendant_ids
from engine.db.cursor import Amount, decode_cursor, encode_cursor
from engine.db.sql import fetch, placeholders
from engine.errors import InvalidInput, InvalidQuery
from engine.catalog.summaries import product_summaries
from engine.catalog.validation import canonical_attribute_value
from engine.protocols import SearchQuery, SearchResult

SORTS = ("relevance", "price_asc", "price_desc", "newest")
MAX_LIMIT = 100
MAX_TEXT = 200
MAX_WORDS = 12
MAX_FILTER_VALUES = 50
_WORD = re.compile(r"\w+", re.UNICODE)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _invalid(field: str, message: str) -> InvalidQuery:
    return InvalidQuery(f"{field}: {message}", {field: message})


def _whole_number(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise _invalid(field, "must be a whole number of minor units")
    if isinstance(value, str) and re.fullmatch(r"\s*\d{1,15}\s*", value):
        value = int(value)
    if not isinstance(value, int) or value < 0 or value > 10**15:
        raise _invalid(field, "must be a whole number of minor units")
    return value


def validate_query(query: SearchQuery) -> SearchQuery:
    """Check and normalise a query; raises :class:`InvalidQuery` naming the field."""
    if query.sort not in SORTS:
        raise _invalid("sort", f"must be one of {', '.join(SORTS)}")
    if isinstance(query.limit, bool) or not isinstance(query.limit, int) or not 1 <= query.limit <= MAX_LIMIT:
        raise _invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    text = query.text or ""
    if not isinstance(text, str):
        raise _invalid("q", "must be text")
    if len(text) > MAX_TEXT:
        raise _invalid("q", f"must be at most {MAX_TEXT} characters")
    filters: dict[str, Any] = {}
    for name, value in (query.filters or {}).items():
        if value is None or value == "" or value == []:
            continue
        if name in ("min_price", "max_price"):
            filters[name] = _whole_number(value, name)
        elif name == "in_stock":
            if isinstance(value, bool):
                filters[name] = value
            elif str(value).strip().lower() in _TRUE | _FALSE:
                filters[name] = str(value).strip().lower() in _TRUE
            else:
                raise _invalid(name, "must be true or false")
        else:
            values = value if isinstance(value, (list, tuple)) else [value]
            if len(values) > MAX_FILTER_VALUES or not all(isinstance(v, (str, int)) for v in values):
                raise _invalid(str(name), "must be a value or a short list of values")
            filters[str(name)] = [str(v) for v in values]
    if filters.get("min_price") is not None and filters.get("max_price") is not None \
            and filters["min_price"] > filters["max_price"]:
        raise _invalid("min_price", "must not be more than max_price")
    return replace(query, text=text.strip(), filters=filters)


def words(text: str) -> list[str]:
    """The searchable words of ``text`` (letters/digits only), at most 12."""
    return _WORD.findall(text.lower().replace("_", " "))[:MAX_WORDS]


class _Sql:
    """Collects SQL fragments and their arguments in order."""

    def __init__(self) -> None:
        self.where: list[str] = []
        self.args: list[Any] = []

    def add(self, fragment: str, *args: Any) -> None:
        self.where.append(fragment)
        self.args.extend(args)


class DefaultSearchBackend:
    """SQLite FTS5 / PostgreSQL full-text search over published products."""

    id = "core"

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    async def search(self, query: SearchQuery) -> SearchResult:
        query = validate_query(query)
        sql = _Sql()
        sql.add("p.status = 'published'")
        sql.add("p.price_min IS NOT NULL")
        terms = words(query.text)
        if query.text and not terms:
            return SearchResult(product_ids=[], next_cursor=None)
        if query.category:
            ids = await descendant_ids(query.category)
            if not ids:
                return SearchResult(product_ids=[], next_cursor=None)
            sql.add(f"EXISTS (SELECT 1 FROM catalog_product_categories pc WHERE pc.product = p.id "
                    f"AND pc.category IN ({placeholders(ids)}))", *ids)
        await self._filters(sql, query.filters)
        sort = query.sort
        if sort == "relevance" and not terms:
            sort = "newest"
        if sort == "relevance":
            return await self._by_relevance(sql, terms, query)
        if terms:
            self._text_condition(sql, terms)
        return await self._by_column(sql, sort, query)

    async def reindex(self, product_ids: Sequence[int] | None = None) -> None:
        """Rebuild the SQLite FTS index (PostgreSQL's is a generated column)."""
        if self.dialect == "sqlite":
            await fetch("INSERT INTO catalog_products_fts (catalog_products_fts) VALUES ('rebuild')")

    # ------------------------------------------------------------ filters
    async def _filters(self, sql: _Sql, filters: Mapping[str, Any]) -> None:
        if "min_price" in filters:
            sql.add("p.price_min >= {}", filters["min_price"])
        if "max_price" in filters:
            sql.add("p.price_min <= {}", filters["max_price"])
        if filters.get("in_stock"):
            sql.add("EXISTS (SELECT 1 FROM catalog_variants v JOIN catalog_stock s ON s.variant = v.id "
                    "WHERE v.product = p.id AND s.on_hand > s.reserved)")
        names = [name for name in filters if name not in ("min_price", "max_price", "in_stock")]
        if not names:
            return
        attributes = {row["code"]: row for row in await fetch(
            f"SELECT id, code, type, choices FROM catalog_attributes WHERE code IN ({placeholders(names)})", *names)}
        option_names = [name.lower() for name in names if name not in attributes]
        in_use = set()
        if option_names:
            in_use = {row["name"] for row in await fetch(
                f"SELECT DISTINCT name FROM catalog_product_option_values WHERE name IN ({placeholders(option_names)})",
                *option_names)}
        for name in names:
            values = filters[name]
            if name in attributes:
                attribute = attributes[name]
                canonical = []
                for value in values:
                    try:
                        canonical.append(canonical_attribute_value(attribute, value, name))
                    except InvalidInput as exc:
                        raise InvalidQuery(str(exc), exc.errors) from None
                sql.add(f"EXISTS (SELECT 1 FROM catalog_product_attribute_values av WHERE av.product = p.id "
                        f"AND av.attribute = {{}} AND av.value IN ({placeholders(canonical)}))",
                        attribute["id"], *canonical)
            elif name.lower() in in_use:
                sql.add(f"EXISTS (SELECT 1 FROM catalog_product_option_values o WHERE o.product = p.id "
                        f"AND o.name = {{}} AND o.value IN ({placeholders(values)}))", name.lower(), *values)

    # ------------------------------------------------------------ text
    def _match(self, terms: list[str]) -> str:
        if self.dialect == "sqlite":
            return " ".join(f'"{t}"' for t in terms[:-1]) + (" " if len(terms) > 1 else "") + f'"{terms[-1]}"*'
        return " & ".join(f"'{t}'" for t in terms[:-1]) + (" & " if len(terms) > 1 else "") + f"'{terms[-1]}':*"

    def _text_condition(self, sql: _Sql, terms: list[str]) -> None:
        if self.dialect == "sqlite":
            sql.add("p.id IN (SELECT rowid FROM catalog_products_fts WHERE catalog_products_fts MATCH {})",
                    self._match(terms))
        else:
            sql.add("p.search_vector @@ to_tsquery('english', {})", self._match(terms))

    # ------------------------------------------------------------ sorts
    async def _by_column(self, sql: _Sql, sort: str, query: SearchQuery) -> SearchResult:
        kinds: tuple[type, ...] = (int,) if sort == "newest" else (Amount, int)
        if query.cursor:
            key = decode_cursor(query.cursor, sort, kinds)
            if sort == "newest":
                sql.add("p.id < {}", key[0])
            elif sort == "price_asc":
                sql.add("(p.price_min, p.id) > ({}, {})", *key)
            else:
                sql.add("(p.price_min, p.id) < ({}, {})", *key)
        order = {
            "newest": "p.id DESC",
            "price_asc": "p.price_min, p.id",
            "price_desc": "p.price_min DESC, p.id DESC",
        }[sort]
        rows = await fetch(
            f"SELECT p.id, p.price_min FROM catalog_products p WHERE {' AND '.join(sql.where)} "
            f"ORDER BY {order} LIMIT {{}}", *sql.args, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        cursor = None
        if more and rows:
            last = rows[-1]
            cursor = encode_cursor(sort, [last["id"]] if sort == "newest" else [last["price_min"], last["id"]])
        return SearchResult(product_ids=[row["id"] for row in rows], next_cursor=cursor)

    async def _by_relevance(self, sql: _Sql, terms: list[str], query: SearchQuery) -> SearchResult:
        match = self._match(terms)
        if self.dialect == "sqlite":
            inner = ("SELECT p.id AS id, bm25(catalog_products_fts, 10.0, 1.0) AS score FROM catalog_products_fts "
                     "JOIN catalog_products p ON p.id = catalog_products_fts.rowid "
                     "WHERE catalog_products_fts MATCH {} AND " + " AND ".join(sql.where))
            args = [match, *sql.args]
        else:
            inner = ("SELECT p.id AS id, -ts_rank(p.search_vector, to_tsquery('english', {}))::float8 AS score "
                     "FROM catalog_products p WHERE p.search_vector @@ to_tsquery('english', {}) AND "
                     + " AND ".join(sql.where))
            args = [match, match, *sql.args]
        outer = ""
        if query.cursor:
            score, last_id = decode_cursor(query.cursor, "relevance", (float, int))
            outer = "WHERE (q.score, q.id) > ({}, {})"
            args += [score, last_id]
        rows = await fetch(f"SELECT q.id, q.score FROM ({inner}) q {outer} ORDER BY q.score, q.id LIMIT {{}}",
                           *args, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        cursor = encode_cursor("relevance", [float(rows[-1]["score"]), rows[-1]["id"]]) if more and rows else None
        return SearchResult(product_ids=[row["id"] for row in rows], next_cursor=cursor)


def default_backend(database: Any) -> DefaultSearchBackend:
    return DefaultSearchBackend(database.dialect)


async def search_products(runtime: Any, query: SearchQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Search published products: ``(summaries, next_cursor)``.

    Asks the ``catalog_search_backend`` hook for the backend (the core default
    when no plugin offers one), then loads the summaries of the ids it returns
    in one query. Raises :class:`InvalidQuery` / :class:`InvalidCursor` for a
    bad query; never an SQL error for odd search text.
    """
    query = validate_query(query)
    backend = await runtime.host.hook("catalog_search_backend", database=runtime.database)
    if backend is None:
        backend = default_backend(runtime.database)
    result = await backend.search(query)
    return await product_summaries(result.product_ids), result.next_cursor
