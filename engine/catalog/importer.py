"""Bulk import of products, variants, prices and stock (CSV or JSON Lines).

One row per variant; the product's own fields may be repeated on each of its
rows or given on its first row only (later rows with an empty ``title``
inherit them; non-empty ones must match). Columns / keys are documented in
``docs/catalog.md``.

The all-or-nothing rule: the whole file is read and validated first (every
bad row is reported with its line number and the reason, nothing is written).
Only a file without errors is written, in batches of ``batch_size`` rows, each
batch in its own write transaction, so the store keeps taking orders during a
long import. A crash mid-way leaves whole batches behind, never half a batch;
importing the same file again completes it, because rows are upserts keyed by
product slug and SKU (re-importing a file changes nothing the second time).

Fields missing from the file (a column that is not there, a JSON key that is
absent) leave stored data alone; present but empty fields clear it. Variants
that are not in the file are kept.

The file is read once: the rows that pass validation wait in a temporary
file (:class:`SpilledRows`) for the second pass, which writes them with
:mod:`engine.catalog.import_writer` (``executemany`` on SQLite, ``COPY`` and
set-based upserts on PostgreSQL; figures in ``docs/catalog.md`` and
``docs/performance.md``).
Each batch writes one ``catalog_imported`` outbox event
``{"product_ids": [...], "variants": n}`` instead of one event per row.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import pickle
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from engine.catalog.import_batches import maybe_await, write_batches
from engine.db.sql import fetch, placeholders
from engine.errors import InvalidInput, ShopError
from engine.catalog.validation import (
    canonical_attribute_value,
    check_code,
    check_currency,
    check_int,
    check_options,
    check_sku,
    check_slug,
    check_status,
    check_text,
    fail,
    parse_price,
)

FORMATS = ("csv", "jsonl")
BASE_COLUMNS = (
    "product_slug", "title", "description", "status", "seo_title", "seo_description", "tax_class",
    "categories", "image_urls", "image_alts", "sku", "price", "currency", "weight_grams", "stock",
)
LIST_SEPARATOR = "|"
MAX_REPORTED_ERRORS = 1000

Source = Callable[[], Iterator[tuple[int, dict[str, Any]]]]


@dataclass
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ImportReport:
    """What an import did. ``errors`` holds the first 1,000 problems;
    ``error_count`` counts them all. ``written`` is False when the file was
    refused (nothing was written)."""

    rows: int = 0
    products: int = 0
    variants: int = 0
    batches: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    written: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def add_error(self, line: int, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, message))


@dataclass
class Row:
    """One validated row. ``product`` holds the product fields present in the
    row (None when it inherits them from an earlier row)."""

    line: int
    slug: str
    sku: str
    product: dict[str, Any] | None
    variant: dict[str, Any]
    stock: dict[str, int]


# ---------------------------------------------------------------- reading
def detect_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        if fmt not in FORMATS:
            raise InvalidInput(f"format: must be one of {', '.join(FORMATS)}", {"format": "unknown format"})
        return fmt
    return "jsonl" if str(path).lower().endswith((".jsonl", ".ndjson", ".json")) else "csv"


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(LIST_SEPARATOR) if part.strip()] if cell.strip() else []


class CsvLayout:
    """Maps the cells of a CSV record to the JSON Lines object it stands for
    (present columns only); the column plan is worked out once per header."""

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        self.plain: list[tuple[int, str]] = []
        self.attributes: list[tuple[int, str]] = []
        self.options: list[tuple[int, str]] = []
        self.stock: list[tuple[int, str]] = []
        self.categories: int | None = None
        self.image_urls: int | None = None
        self.image_alts: int | None = None
        for index, column in enumerate(header):
            prefix, _, rest = column.partition(":")
            if prefix == "attribute" and rest:
                self.attributes.append((index, rest))
            elif prefix == "option" and rest:
                self.options.append((index, rest))
            elif column == "stock":
                self.stock.append((index, "default"))
            elif prefix == "stock" and rest:
                self.stock.append((index, rest))
            elif column == "categories":
                self.categories = index
            elif column == "image_urls":
                self.image_urls = index
            elif column == "image_alts":
                self.image_alts = index
            else:
                self.plain.append((index, column))
        self.has_images = self.image_urls is not None or self.image_alts is not None
        # the cells the structured product fields come from, and what they gave
        # on the last record (a product's rows usually repeat them)
        self.structured = [i for i in (self.categories, self.image_urls, self.image_alts) if i is not None]
        self.structured += [index for index, _ in self.attributes]
        self._last_cells: list[str] | None = None
        self._last_fields: dict[str, Any] = {}

    def record(self, values: list[str]) -> dict[str, Any]:
        """The record of one row's cells. Rows that repeat the previous row's
        categories, images and attribute cells share its (never mutated)
        lists and dicts, so repeated product fields are compared by identity."""
        if len(values) != self.width:
            return {"__error__": f"has {len(values)} cells but the header has {self.width} columns"}
        raw: dict[str, Any] = {column: values[index] for index, column in self.plain}
        cells = [values[index] for index in self.structured]
        if cells != self._last_cells:
            self._last_cells, self._last_fields = cells, self._structured_fields(values)
        raw.update(self._last_fields)
        if self.options:
            raw["options"] = {name: values[index] for index, name in self.options}
        if self.stock:
            raw["stock"] = {code: values[index] for index, code in self.stock}
        return raw

    def _structured_fields(self, values: list[str]) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if self.categories is not None:
            fields["categories"] = _split(values[self.categories])
        if self.has_images:
            urls = _split(values[self.image_urls]) if self.image_urls is not None else []
            alts = _split(values[self.image_alts]) if self.image_alts is not None else []
            images = [{"url": url, "alt": alts[i] if i < len(alts) else ""} for i, url in enumerate(urls)]
            images.extend({"url": "", "alt": alt} for alt in alts[len(urls):])
            fields["images"] = images
        if self.attributes:
            fields["attributes"] = {code: values[index] for index, code in self.attributes}
        return fields


def check_csv_header(header: list[str]) -> list[str]:
    """Problems with a CSV header (reported as line 1)."""
    problems = []
    for required in ("product_slug", "sku", "price"):
        if required not in header:
            problems.append(f"missing column {required!r}")
    seen = set()
    for column in header:
        if column in seen:
            problems.append(f"duplicate column {column!r}")
        seen.add(column)
        prefix, _, rest = column.partition(":")
        if column in BASE_COLUMNS:
            continue
        if prefix in ("attribute", "option", "stock") and rest:
            continue
        problems.append(f"unknown column {column!r}")
    return problems


def read_records(handle: Iterable[str], fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, raw record)`` from an open text stream. Problems that
    make a record unreadable come back as ``{"__error__": reason}``."""
    if fmt == "jsonl":
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                record = json.loads(text)
            except ValueError as exc:
                yield number, {"__error__": f"not valid JSON ({exc.msg})"}
                continue
            yield number, record if isinstance(record, dict) else {"__error__": "each line must be a JSON object"}
        return
    reader = csv.reader(handle)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    problems = check_csv_header(header)
    if problems:
        yield 1, {"__error__": "; ".join(problems)}
        return
    layout = CsvLayout(header)
    start = reader.line_num + 1
    for values in reader:
        if any(v.strip() for v in values):
            yield start, layout.record(values)
        start = reader.line_num + 1


def file_source(path: str | Path, fmt: str) -> Source:
    """A re-iterable source of ``(line number, raw record)`` over a file, read
    as a stream (the file is never held in memory)."""
    path = Path(path)
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InvalidInput(f"file: cannot read {path}: {exc.strerror}", {"file": str(exc)}) from None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            yield from read_records(handle, fmt)

    return rows


def text_source(text: str, fmt: str) -> Source:
    """A source over file contents held in memory (tests, HTTP uploads)."""
    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        yield from read_records(io.StringIO(text, newline=""), fmt)

    return rows


def records_source(records: Iterable[dict[str, Any]]) -> Source:
    """A source over JSON-Lines-shaped records (line = position + 1), taken
    as they come: a generator is streamed, never held as a list (the importer
    reads its source once)."""

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        yield from enumerate(records, start=1)

    return rows


# ---------------------------------------------------------------- validation
class _Context:
    """What validation needs from the database, loaded once."""

    def __init__(self, currency: str, categories: set[str], attributes: dict[str, dict], warehouses: set[str],
                 default_warehouse: str) -> None:
        self.currency = currency
        self.categories = categories
        self.attributes = attributes
        self.warehouses = warehouses
        self.default_warehouse = default_warehouse


async def _load_context(currency: str) -> _Context:
    categories = {row["slug"] for row in await fetch("SELECT slug FROM catalog_categories")}
    attributes = {row["code"]: row for row in await fetch("SELECT id, code, type, choices FROM catalog_attributes")}
    warehouses = await fetch("SELECT code, is_default FROM catalog_warehouses")
    default = next((row["code"] for row in warehouses if row["is_default"]), "default")
    return _Context(currency, {*categories}, attributes, {row["code"] for row in warehouses}, default)


_KNOWN_KEYS = {"product_slug", "title", "description", "status", "seo_title", "seo_description", "tax_class",
               "categories", "attributes", "images", "sku", "options", "price", "price_amount", "currency",
               "weight_grams", "stock"}


PRODUCT_KEYS = ("title", "description", "status", "seo_title", "seo_description", "tax_class", "categories",
                "attributes", "images")


def parse_product(raw: dict[str, Any], ctx: _Context) -> dict[str, Any] | None:
    """The product fields of a record (None when its title is empty: it
    inherits its product's fields from an earlier row)."""
    title = raw.get("title")
    if title in (None, ""):
        for name in ("description", "seo_title", "seo_description", "categories", "images"):
            if raw.get(name) not in (None, "", []):
                fail("title", f"is empty but {name} is given (a row without a title inherits its product's fields)")
        if any(value not in (None, "") for value in (raw.get("attributes") or {}).values()):
            fail("title", "is empty but attributes are given (a row without a title inherits its product's fields)")
        return None
    product: dict[str, Any] = {"title": check_text(title, "title", required=True)}
    if "description" in raw:
        product["description"] = check_text(raw["description"], "description", max_length=100_000)
    if "status" in raw:
        product["status"] = check_status(raw["status"], default="published")
    for name, limit in (("seo_title", 300), ("seo_description", 1000)):
        if name in raw:
            product[name] = check_text(raw[name], name, max_length=limit)
    if "tax_class" in raw:
        product["tax_class"] = check_text(raw["tax_class"] or "standard", "tax_class", max_length=50)
    if "categories" in raw:
        categories = raw["categories"]
        if isinstance(categories, str):
            categories = _split(categories)
        if not isinstance(categories, list):
            fail("categories", "must be a list of category slugs")
        for slug in categories:
            if slug not in ctx.categories:
                fail("categories", f"no category {slug!r}")
        product["categories"] = list(dict.fromkeys(categories))
    if "attributes" in raw:
        attributes = raw["attributes"]
        if not isinstance(attributes, dict):
            fail("attributes", "must be an object of attribute code to value")
        values: dict[str, str | None] = {}
        for code, value in attributes.items():
            definition = ctx.attributes.get(code)
            if definition is None:
                check_code(code, f"attribute:{code}")
                fail(f"attribute:{code}", "no such attribute (create it first)")
            values[code] = None if value in (None, "") else canonical_attribute_value(
                definition, value, f"attribute:{code}")
        product["attributes"] = values
    if "images" in raw:
        images = raw["images"]
        if not isinstance(images, list):
            fail("images", "must be a list of {url, alt}")
        checked = []
        for index, image in enumerate(images):
            if not isinstance(image, dict):
                fail("images", "must be a list of {url, alt}")
            url = check_text(image.get("url"), "image_urls", required=True, max_length=1000)
            alt = check_text(image.get("alt"), "image_alts", max_length=500)
            if not alt:
                fail("image_alts", f"image {index + 1} ({url}) has no alt text")
            checked.append({"url": url, "alt": alt})
        product["images"] = checked
    return product


class RowParser:
    """Validates records one by one. Consecutive rows of one product usually
    repeat its fields: those are checked once and reused while they repeat."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self._last_key: tuple[Any, ...] | None = None
        self._last_product: dict[str, Any] | None = None
        # a file repeats a few currencies and option combinations on every row:
        # each distinct one is checked once (values are never mutated)
        self._currencies: dict[Any, str] = {}
        self._options: dict[tuple, dict[str, str]] = {}

    def __call__(self, line: int, raw: dict[str, Any]) -> Row:
        """Validate one raw record; raises :class:`InvalidInput` with the reason."""
        ctx = self.ctx
        if "__error__" in raw:
            raise InvalidInput(raw["__error__"])
        if not _KNOWN_KEYS.issuperset(raw):
            fail(sorted(key for key in raw if key not in _KNOWN_KEYS)[0], "unknown field")
        slug = check_slug(raw.get("product_slug"), "product_slug")
        sku = check_sku(raw.get("sku"))
        key = (slug, *map(raw.get, PRODUCT_KEYS))
        if key == self._last_key:
            product = self._last_product
        else:
            self._last_key = None
            product = parse_product(raw, ctx)
            self._last_key, self._last_product = key, product
        given = raw.get("currency") or ctx.currency
        currency = self._currencies.get(given) if isinstance(given, str) else None
        if currency is None:
            currency = check_currency(given, ctx.currency)
            if isinstance(given, str) and len(self._currencies) < 100:
                self._currencies[given] = currency
        if "price" in raw and raw["price"] not in (None, ""):
            amount = parse_price(raw["price"], currency)
        elif raw.get("price_amount") not in (None, ""):
            amount = check_int(raw["price_amount"], "price_amount")
        else:
            fail("price", "is required")
        variant: dict[str, Any] = {"price_amount": amount, "currency": currency}
        if "options" in raw:
            variant["options"] = self._checked_options(raw["options"])
        if "weight_grams" in raw:
            variant["weight_grams"] = check_int(raw["weight_grams"] or 0, "weight_grams", maximum=10**9)
        stock: dict[str, int] = {}
        raw_stock = raw.get("stock")
        if raw_stock not in (None, ""):
            if not isinstance(raw_stock, dict):
                raw_stock = {"default": raw_stock}
            for code, quantity in raw_stock.items():
                column = "stock" if code == "default" else f"stock:{code}"
                if quantity in (None, ""):
                    continue
                warehouse = ctx.default_warehouse if code == "default" else code
                if warehouse not in ctx.warehouses:
                    fail(column, f"no warehouse {code!r}")
                stock[warehouse] = check_int(quantity, column, maximum=10**9)
        return Row(line=line, slug=slug, sku=sku, product=product, variant=variant, stock=stock)

    def _checked_options(self, raw: Any) -> dict[str, str]:
        """``check_options(raw)``, remembered for up to 10,000 distinct flat
        objects of text (an option column set read from CSV or JSON)."""
        if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
            return check_options(raw)
        key = tuple(raw.items())
        checked = self._options.get(key)
        if checked is None:
            checked = check_options(raw)
            if len(self._options) < 10_000:
                self._options[key] = checked
        return checked


def _fingerprint(row: Row) -> bytes:
    return hashlib.blake2b(json.dumps(row.product, sort_keys=True).encode(), digest_size=12).digest()


class SpilledRows:
    """The rows validation accepted, kept on disk between the two passes so
    the file is read and parsed once: pickled in chunks to an anonymous
    temporary file (written and read back by this process only), so memory
    holds one chunk, not the file. Use as a context manager (closes the file)."""

    CHUNK_ROWS = 2000

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._chunk: list[tuple] = []

    def add(self, row: Row) -> None:
        self._chunk.append((row.line, row.slug, row.sku, row.product, row.variant, row.stock))
        if len(self._chunk) >= self.CHUNK_ROWS:
            self._dump()

    def _dump(self) -> None:
        if self._chunk:
            pickle.dump(self._chunk, self._file, protocol=pickle.HIGHEST_PROTOCOL)
            self._chunk = []

    def __iter__(self) -> Iterator[Row]:
        self._dump()
        self._file.seek(0)
        while True:
            try:
                chunk = pickle.load(self._file)
            except EOFError:
                return
            for values in chunk:
                yield Row(*values)

    def __enter__(self) -> "SpilledRows":
        return self

    def __exit__(self, *exc: object) -> None:
        self._file.close()


class FileRegister:
    """What the check pass has seen of the file, in a private temporary
    SQLite file (``sqlite3.connect("")``, deleted on close) with a small page
    cache, so validation needs bounded memory whatever the file's size: each
    SKU with the line it was first on (checked in chunks, :meth:`check_skus`)
    and each product's first line, field digest and currency
    (:meth:`product`, :meth:`add_product`; the last few are also kept in
    memory, as a product's rows usually follow each other)."""

    RECENT = 256

    def __init__(self) -> None:
        self._db = sqlite3.connect("")
        self._db.execute("PRAGMA cache_size = -4096")  # KiB
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("CREATE TABLE skus (sku TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID")
        self._db.execute("CREATE TABLE products (slug TEXT PRIMARY KEY, line INTEGER NOT NULL, digest BLOB NOT NULL, "
                         "currency TEXT NOT NULL) WITHOUT ROWID")
        self._recent: dict[str, tuple[int, bytes, str]] = {}
        self.skus = 0
        self.products = 0

    def product(self, slug: str) -> tuple[int, bytes, str] | None:
        """``(first line, digest, currency)`` of a product seen before, or None."""
        known = self._recent.get(slug)
        if known is None:
            known = self._db.execute("SELECT line, digest, currency FROM products WHERE slug = ?", (slug,)).fetchone()
        return known

    def add_product(self, slug: str, line: int, digest: bytes, currency: str) -> None:
        self._db.execute("INSERT INTO products (slug, line, digest, currency) VALUES (?, ?, ?, ?)",
                         (slug, line, digest, currency))
        if len(self._recent) >= self.RECENT:
            self._recent.pop(next(iter(self._recent)))
        self._recent[slug] = (line, digest, currency)
        self.products += 1

    def check_skus(self, chunk: list[tuple[str, int]]) -> list[tuple[int, str, int]]:
        """Register ``(sku, line)`` pairs in file order; returns
        ``(line, sku, first line)`` for each SKU already seen (here or in the
        chunk) and registers the others."""
        found: dict[str, int] = {}
        skus = list({sku for sku, _ in chunk})
        for part in range(0, len(skus), 500):
            keys = skus[part:part + 500]
            found.update(self._db.execute(
                f"SELECT sku, line FROM skus WHERE sku IN ({', '.join('?' * len(keys))})", keys).fetchall())
        duplicates, fresh = [], []
        for sku, line in chunk:
            if sku in found:
                duplicates.append((line, sku, found[sku]))
            else:
                found[sku] = line
                fresh.append((sku, line))
        self._db.executemany("INSERT INTO skus (sku, line) VALUES (?, ?)", fresh)
        self.skus += len(fresh)
        return duplicates

    def close(self) -> None:
        self._db.close()


async def validate(source: Source, ctx: _Context, report: ImportReport,
                   checking: Callable[[int], None] | None = None, accepted: SpilledRows | None = None) -> None:
    """Pass one: every row checked, cross-row rules included; fills ``report``
    (errors in line order) and adds each row that passed its own checks to
    ``accepted``. What it must remember of earlier rows (each product's first
    line, field digest and currency; each SKU's line) goes to a
    :class:`FileRegister`, so its memory does not grow with the file."""
    pending: list[tuple[str, str, int]] = []
    register = FileRegister()

    async def check_owners() -> None:
        skus = [sku for sku, _, _ in pending]
        owners = {row["sku"]: row["slug"] for row in await fetch(
            f"SELECT v.sku, p.slug FROM catalog_variants v JOIN catalog_products p ON p.id = v.product "
            f"WHERE v.sku IN ({placeholders(skus)})", *skus)}
        for sku, slug, line in pending:
            if sku in owners and owners[sku] != slug:
                report.add_error(line, f"sku: {sku!r} belongs to product {owners[sku]!r}")
        for line, sku, first in register.check_skus([(sku, line) for sku, _, line in pending]):
            report.add_error(line, f"sku: {sku!r} is already on line {first}")
        pending.clear()

    parse = RowParser(ctx)
    fingerprinted: tuple[Any, bytes] = (None, b"")
    try:
        for line, raw in source():
            report.rows += 1
            if checking and report.rows % CHECK_PROGRESS_ROWS == 0:
                await maybe_await(checking(report.rows))
            try:
                row = parse(line, raw)
            except ShopError as exc:
                report.add_error(line, str(exc))
                continue
            known = register.product(row.slug)
            if known is None:
                if row.product is None:
                    report.add_error(line, "title: is required on the first row of a product")
                    continue
                fingerprinted = (row.product, _fingerprint(row))
                register.add_product(row.slug, line, fingerprinted[1], row.variant["currency"])
            elif row.product is not None and row.product is not fingerprinted[0] and _fingerprint(row) != known[1]:
                report.add_error(line, f"product fields differ from line {known[0]} (same product_slug {row.slug!r})")
                continue
            elif row.variant["currency"] != known[2]:
                report.add_error(line, f"currency: differs from line {known[0]} (one currency per product)")
                continue
            pending.append((row.sku, row.slug, line))
            if accepted is not None:
                accepted.add(row)
            if len(pending) >= 500:
                await check_owners()
        if pending:
            await check_owners()
        report.products, report.variants = register.products, register.skus
    finally:
        register.close()
    report.errors.sort(key=lambda error: error.line)


# ---------------------------------------------------------------- writing
#: ``checking(rows)`` is called during validation after every this-many rows
CHECK_PROGRESS_ROWS = 10_000


async def import_source(runtime: Any, source: Source, *, batch_size: int = 5000,
                        progress: Callable[[int], None] | None = None,
                        on_validated: Callable[[ImportReport], None] | None = None,
                        checking: Callable[[int], None] | None = None) -> ImportReport:
    """Validate everything from ``source``, then write it in batches.

    ``checking(rows)`` is called during validation every
    :data:`CHECK_PROGRESS_ROWS` rows with the rows checked so far;
    ``on_validated(report)`` between the two passes; ``progress(n)`` after
    each written batch with its row count (each may return an awaitable,
    which is awaited). Returns the report; when it has errors nothing was
    written (``report.written`` is False).

    The source is read once, as a stream; the rows it accepted wait on disk
    (:class:`SpilledRows`) and are written in batches of about ``batch_size``
    rows, one transaction each, by
    :func:`engine.catalog.import_batches.write_batches` (memory follows the
    batch, not the file: what validation remembers of earlier rows is in a
    :class:`FileRegister`).
    """
    started = time.perf_counter()
    report = ImportReport()
    ctx = await _load_context(runtime.settings.store.currency)
    with SpilledRows() as accepted:
        await validate(source, ctx, report, checking, accepted)
        if on_validated:
            await maybe_await(on_validated(report))
        if report.error_count == 0 and report.rows:
            report.batches = await write_batches(
                runtime, accepted, attribute_ids={code: row["id"] for code, row in ctx.attributes.items()},
                products=report.products, batch_size=batch_size, progress=progress)
            report.written = True
    report.seconds = time.perf_counter() - started
    return report


async def import_products(runtime: Any, path: str | Path, fmt: str | None = None, *, batch_size: int = 5000,
                          progress: Callable[[int], None] | None = None,
                          on_validated: Callable[[ImportReport], None] | None = None,
                          checking: Callable[[int], None] | None = None) -> ImportReport:
    """Import a CSV or JSON Lines file (format from ``fmt`` or the extension:
    ``.jsonl``/``.ndjson`` → JSON Lines, anything else CSV). See
    :func:`import_source` for the rules."""
    fmt = detect_format(path, fmt)
    return await import_source(runtime, file_source(path, fmt), batch_size=batch_size, progress=progress,
                               on_validated=on_validated, checking=checking)
