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
``newest``), ``price_asc``, ``price_desc``, ``newest`` (creation order),
``name_asc`` (title, case-folded). Every sort ends with the product id, and
pages continue from an opaque keyset cursor, never an OFFSET, so page 1,000
costs what page 1 costs.

The default backend reads the listing index of :mod:`engine.catalog.facets`
(one row per listed product and category, with the sort keys): a category
page walks one index in its sort order and checks the filters per product,
never collecting and sorting every match. On PostgreSQL the filters are
checked inside the row (its ``facet_ids``), and when the category's facet counts
say the filters are selective (the walk would pass more than
:data:`WALK_ROWS` rows to fill a page) the page is driven from the filters
instead: the GIN index of the keys yields the few products that have them
all, which are then sorted. Relevance ranks only the newest
:data:`RELEVANCE_CANDIDATES` matches (in the category, after the filters): a
word that matches half the catalog costs what a word with that many matches
costs. Sorting by ``newest`` reaches every match.

What a query needs to know before its listing statement — the category's
id, the attribute definitions, the option names in use and, on PostgreSQL,
the category's facet counts with their key ids — is read once and kept while
the ``catalog`` counter stands still (:func:`engine.cache.reads.kept`; inside
a web request the process's cache): a filtered page of a category seen
before runs one statement, its listing with the page's summaries.

Search text is reduced to its words (letters and digits) before it reaches
the database, each word quoted; the last word matches as a prefix. Text with
no words finds nothing. Nothing in the text can change the SQL.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from engine.cache.reads import kept
from engine.catalog.facets import ALL_PRODUCTS, scoped_key
from engine.db.cursor import Amount, decode_cursor, encode_cursor
from engine.db.sql import fetch, placeholders
from engine.errors import InvalidInput, InvalidQuery
from engine.catalog.summaries import SUMMARY_COLUMNS, product_summaries, summary
from engine.catalog.validation import canonical_attribute_value
from engine.protocols import SearchQuery, SearchResult

SORTS = ("relevance", "price_asc", "price_desc", "newest", "name_asc")
#: Matches ranked by relevance at most (the newest ones; see the module docs).
RELEVANCE_CANDIDATES = 1000
#: Listing rows a filtered page may walk (by the facet counts' estimate)
#: before, on PostgreSQL, the filters' keys drive the page instead.
WALK_ROWS = 1000
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


@dataclass(frozen=True)
class ListedPage(SearchResult):
    """The core backend's page of a column sort: the ids with their
    summaries, read in the listing's own statement."""

    summaries: list[dict[str, Any]] = field(default_factory=list)


class _Sql:
    """Collects SQL fragments and their arguments in order: the rows read
    (``source``, a ``WITH`` prefix, with ``source_args``, and ``table``) and
    the ``WHERE`` conditions."""

    def __init__(self) -> None:
        self.source = ""
        self.source_args: list[Any] = []
        self.table = "catalog_listing l"
        self.where: list[str] = []
        self.args: list[Any] = []

    def add(self, fragment: str, *args: Any) -> None:
        self.where.append(fragment)
        self.args.extend(args)


_HAS_FACET = ("EXISTS (SELECT 1 FROM catalog_product_facets f WHERE f.product = l.product AND f.kind = {{}} "
              "AND f.name = {{}} AND f.value IN ({marks}))")


class DefaultSearchBackend:
    """SQLite FTS5 / PostgreSQL full-text search over published products."""

    id = "core"

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect

    async def search(self, query: SearchQuery) -> SearchResult:
        query = validate_query(query)
        sql = _Sql()
        terms = words(query.text)
        if query.text and not terms:
            return SearchResult(product_ids=[], next_cursor=None)
        named = any(name not in _PLAIN_FILTERS for name in query.filters)
        facts = await _facts(query.category, named) if query.category or named else _NOTHING_NAMED
        if facts is None:
            return SearchResult(product_ids=[], next_cursor=None)
        scope = facts["scope"]
        wanted = _facet_filters(query.filters, facts["attributes"], facts["options"])
        sort = query.sort
        if sort == "relevance" and not terms:
            sort = "newest"
        if self.dialect == "postgres" and wanted:
            keys = _keys_in_scope(await _counts(scope), wanted, query.limit)
            if keys is None:
                return SearchResult(product_ids=[], next_cursor=None)
            every, any_of, drive = keys
            groups = [("@>", every)] * bool(every) + [("&&", keys_of_one) for keys_of_one in any_of]
            if drive and sort != "relevance":
                # Few matches: collected from the GIN index of the keys scoped
                # to the category first, then filtered and sorted.
                condition = " AND ".join(f"l.keys {operator} {{}}::bigint[]" for operator, _ in groups)
                sql.source = ("WITH m AS MATERIALIZED (SELECT l.product, l.price_min, l.sort_name "
                              f"FROM catalog_listing l WHERE {condition}) ")
                sql.source_args = [[scoped_key(scope, key) for key in ids] for _, ids in groups]
                sql.table = "m l"
            else:
                # The walk checks the unscoped ids: the planner takes them as
                # independent of the category, which they nearly are (keys
                # scoped to it are not, and would mislead it into sorting the
                # whole category).
                sql.add("l.category = {}", scope)
                for operator, ids in groups:
                    sql.add(f"l.facet_ids {operator} {{}}::integer[]", ids)
        else:
            sql.add("l.category = {}", scope)
            for kind, name, values in wanted:
                sql.add(_HAS_FACET.format(marks=placeholders(values)), kind, name, *values)
        self._plain_filters(sql, query.filters)
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
    def _plain_filters(self, sql: _Sql, filters: Mapping[str, Any]) -> None:
        if "min_price" in filters:
            sql.add("l.price_min >= {}", filters["min_price"])
        if "max_price" in filters:
            sql.add("l.price_min <= {}", filters["max_price"])
        if filters.get("in_stock"):
            sql.add("EXISTS (SELECT 1 FROM catalog_variants v JOIN catalog_stock s ON s.variant = v.id "
                    "WHERE v.product = l.product AND s.on_hand > s.reserved)")

    # ------------------------------------------------------------ text
    def _match(self, terms: list[str]) -> str:
        if self.dialect == "sqlite":
            return " ".join(f'"{t}"' for t in terms[:-1]) + (" " if len(terms) > 1 else "") + f'"{terms[-1]}"*'
        return " & ".join(f"'{t}'" for t in terms[:-1]) + (" & " if len(terms) > 1 else "") + f"'{terms[-1]}':*"

    def _text_condition(self, sql: _Sql, terms: list[str]) -> None:
        if self.dialect == "sqlite":
            sql.add("l.product IN (SELECT rowid FROM catalog_products_fts WHERE catalog_products_fts MATCH {})",
                    self._match(terms))
        else:
            sql.add("l.product IN (SELECT t.id FROM catalog_products t "
                    "WHERE t.search_vector @@ to_tsquery('english', {}))", self._match(terms))

    # ------------------------------------------------------------ sorts
    async def _by_column(self, sql: _Sql, sort: str, query: SearchQuery) -> SearchResult:
        column = _SORT_KEYS[sort]
        kinds: tuple[type, ...] = (int,) if column is None else (_KEY_KINDS[column], int)
        descending = sort in ("newest", "price_desc")
        if query.cursor:
            key = decode_cursor(query.cursor, sort, kinds)
            operator = "<" if descending else ">"
            if column is None:
                sql.add(f"l.product {operator} {{}}", key[0])
            else:
                sql.add(f"(l.{column}, l.product) {operator} ({{}}, {{}})", *key)
        direction = " DESC" if descending else ""
        order = f"l.product{direction}" if column is None else f"l.{column}{direction}, l.product{direction}"
        # The page's summaries in the same statement: one round trip a page.
        rows = await fetch(
            f"{sql.source}SELECT page.product, page.sort_key, {SUMMARY_COLUMNS} FROM ("
            f"SELECT l.product, l.{column or 'product'} AS sort_key FROM {sql.table} "
            f"WHERE {' AND '.join(sql.where or ['1 = 1'])} ORDER BY {order} LIMIT {{}}"
            f") page JOIN catalog_products p ON p.id = page.product "
            f"ORDER BY page.sort_key{direction}, page.product{direction}",
            *sql.source_args, *sql.args, query.limit + 1)
        more = len(rows) > query.limit
        rows = rows[:query.limit]
        cursor = None
        if more and rows:
            last = rows[-1]
            cursor = encode_cursor(sort, [last["product"]] if column is None else [last["sort_key"], last["product"]])
        return ListedPage(product_ids=[row["product"] for row in rows], next_cursor=cursor,
                          summaries=[summary(row) for row in rows])

    def _candidates(self, sql: _Sql, terms: list[str]) -> tuple[str, list[Any]]:
        """The newest :data:`RELEVANCE_CANDIDATES` matches in scope, as SQL."""
        self._text_condition(sql, terms)
        return (f"SELECT l.product FROM catalog_listing l WHERE {' AND '.join(sql.where)} "
                f"ORDER BY l.product DESC LIMIT {RELEVANCE_CANDIDATES}"), list(sql.args)

    async def _by_relevance(self, sql: _Sql, terms: list[str], query: SearchQuery) -> SearchResult:
        match = self._match(terms)
        candidates, candidate_args = self._candidates(sql, terms)
        ids = [row["product"] for row in await fetch(candidates, *candidate_args)]
        if not ids:
            return SearchResult(product_ids=[], next_cursor=None)
        marks = placeholders(ids)
        if self.dialect == "sqlite":
            # ``+rowid``: FTS5 would otherwise run the match once per listed id;
            # the rowid range it does use keeps the match to the candidates' span.
            inner = ("SELECT catalog_products_fts.rowid AS id, bm25(catalog_products_fts, 10.0, 1.0) AS score "
                     "FROM catalog_products_fts WHERE catalog_products_fts MATCH {} "
                     f"AND catalog_products_fts.rowid >= {{}} AND +catalog_products_fts.rowid IN ({marks})")
            args: list[Any] = [match, min(ids), *ids]
        else:
            inner = ("SELECT p.id AS id, -ts_rank(p.search_vector, to_tsquery('english', {}))::float8 AS score "
                     f"FROM catalog_products p WHERE p.id IN ({marks})")
            args = [match, *ids]
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


_PLAIN_FILTERS = ("min_price", "max_price", "in_stock")
#: the facts of a query that names no category and no attribute or option
_NOTHING_NAMED: dict[str, Any] = {"scope": ALL_PRODUCTS, "attributes": {}, "options": {}}


async def _facts(category: str | None, named: bool) -> dict[str, Any] | None:
    """What turning a query in ``category`` (the whole catalog when None) into
    SQL needs to know, kept while the ``catalog`` counter stands still
    (:func:`engine.cache.reads.kept`): ``{"scope": category id,
    "attributes": {code: {"type", "choices"}}, "options": {name: True}}``
    (the variant option names, lower-cased, that some listed product uses),
    the last two only when the query ``named`` an attribute or option filter.
    None for an unknown category (not kept). One read."""
    return await kept("search_facts", (category or "", named), ("catalog",), lambda: _read_facts(category, named))


async def _read_facts(category: str | None, named: bool) -> dict[str, Any] | None:
    parts, args = [], []
    if category:
        parts.append("SELECT 'category' AS kind, slug AS name, CAST(NULL AS TEXT) AS value, "
                     "CAST(NULL AS TEXT) AS choices, id "
                     "FROM catalog_categories WHERE slug = {}")
        args.append(category)
    if named:
        parts.append("SELECT 'attribute' AS kind, code AS name, type AS value, choices, "
                     "CAST(NULL AS INTEGER) AS id FROM catalog_attributes")
        parts.append("SELECT DISTINCT 'option' AS kind, name, CAST(NULL AS TEXT) AS value, "
                     "CAST(NULL AS TEXT) AS choices, CAST(NULL AS INTEGER) AS id "
                     "FROM catalog_facet_counts "
                     f"WHERE category = {ALL_PRODUCTS} AND kind = 'option' AND products > 0")
    rows = await fetch(" UNION ALL ".join(parts), *args)
    scope = ALL_PRODUCTS
    if category:
        found = [row["id"] for row in rows if row["kind"] == "category"]
        if not found:
            return None
        scope = int(found[0])
    return {
        "scope": scope,
        "attributes": {row["name"]: {"type": row["value"], "choices": row["choices"]}
                       for row in rows if row["kind"] == "attribute"},
        "options": {row["name"]: True for row in rows if row["kind"] == "option"},
    }


async def _counts(scope: int) -> dict[str, Any]:
    """PostgreSQL: the facet counts of the category ``scope`` with the facet
    key ids, kept while the ``catalog`` counter stands still: ``{"listed":
    products in scope, "counts": {kind: {name: {value: [facet key id,
    products]}}}}``. One index-range read."""
    async def read() -> dict[str, Any]:
        counts: dict[str, dict[str, dict[str, list[int]]]] = {}
        listed = 0
        for row in await fetch(
                "SELECT c.kind, c.name, c.value, c.products, k.id FROM catalog_facet_counts c "
                "LEFT JOIN catalog_facet_keys k ON k.kind = c.kind AND k.name = c.name AND k.value = c.value "
                "WHERE c.category = {} AND c.products > 0", scope):
            if row["kind"] == "listed":
                listed = int(row["products"])
            elif row["id"] is not None:
                counts.setdefault(row["kind"], {}).setdefault(row["name"], {})[row["value"]] = [
                    int(row["id"]), int(row["products"])]
        return {"listed": listed, "counts": counts}

    return await kept("search_counts", scope, ("catalog",), read)


def _facet_filters(filters: Mapping[str, Any], attributes: Mapping[str, Any],
                   options: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """The attribute and option filters as ``(kind, name, values)``, the
    values canonical; names that are neither are left out."""
    wanted = []
    for name, values in filters.items():
        if name in _PLAIN_FILTERS:
            continue
        if name in attributes:
            canonical = []
            for value in values:
                try:
                    canonical.append(canonical_attribute_value(attributes[name], value, name))
                except InvalidInput as exc:
                    raise InvalidQuery(str(exc), exc.errors) from None
            wanted.append(("attribute", name, canonical))
        elif name.lower() in options:
            wanted.append(("option", name.lower(), list(values)))
    return wanted


def _keys_in_scope(counts: Mapping[str, Any], wanted: list[tuple[str, str, list[str]]],
                   limit: int) -> tuple[list[int], list[list[int]], bool] | None:
    """PostgreSQL: the facet key ids of the filters ``wanted`` and whether
    the page should be driven by them: ``(ids every match has, [ids of which
    a match has one, per filter with several values], drive)``; None when no
    product in scope can match. The estimate takes the filters as
    independent, from the scope's facet ``counts`` (:func:`_counts`)."""
    listed = counts["listed"]
    if listed <= 0:
        return None
    every: list[int] = []
    any_of: list[list[int]] = []
    expected = float(listed)
    for kind, name, values in wanted:
        known = counts["counts"].get(kind, {}).get(name, {})
        found = [known[value] for value in dict.fromkeys(values) if value in known]
        if not found:
            return None
        expected *= min(1.0, sum(products for _, products in found) / listed)
        ids = sorted(key for key, _ in found)
        if len(ids) == 1:
            every.append(ids[0])
        else:
            any_of.append(ids)
    walked = (limit + 1) * listed / max(expected, 1.0)
    return sorted(set(every)), any_of, walked > WALK_ROWS


#: The listing column each sort orders by (None: the product id alone).
_SORT_KEYS = {"newest": None, "price_asc": "price_min", "price_desc": "price_min", "name_asc": "sort_name"}
_KEY_KINDS: dict[str, type] = {"price_min": Amount, "sort_name": str}


def default_backend(database: Any) -> DefaultSearchBackend:
    return DefaultSearchBackend(database.dialect)


async def search_products(runtime: Any, query: SearchQuery) -> tuple[list[dict[str, Any]], str | None]:
    """Search published products: ``(summaries, next_cursor)``.

    Asks the ``catalog_search_backend`` hook for the backend (the core default
    when no plugin offers one), then loads the summaries of the ids it returns
    in one query (the core backend's column sorts read them with the listing:
    a :class:`ListedPage`). Raises :class:`InvalidQuery` / :class:`InvalidCursor` for a
    bad query; never an SQL error for odd search text.
    """
    query = validate_query(query)
    backend = await runtime.host.hook("catalog_search_backend", database=runtime.database)
    if backend is None:
        backend = default_backend(runtime.database)
    result = await backend.search(query)
    if isinstance(result, ListedPage):
        return result.summaries, result.next_cursor
    return await product_summaries(result.product_ids), result.next_cursor
