"""Helpers for testing themes and storefront pages (used by the core's tests and
by theme packages' own tests).

- :func:`seed_sample_catalog`: a small, fixed catalog that exercises every
  storefront feature (category levels, filterable attributes, variants with
  options, sold-out variants, several images, a featured collection).
- :class:`QueryCounter`: counts the SQL statements a block of code runs, so a
  test can assert an upper bound per page (an N+1 query cannot slip in).
- :func:`check_page_html`: structural accessibility checks every storefront
  page must pass (landmarks, one ``h1``, heading levels in order, ``alt`` on
  every image, a label for every form field).
- :func:`installed_themes`, :func:`theme_chain`, :func:`resolve_target` (a
  theme by name or folder), :func:`check_theme` (what ``shopwright themes
  check`` reports), :func:`activate_theme` and
  :func:`configure_theme`: a theme package's tests use these, never the
  engine's internals.
"""
from __future__ import annotations

import contextlib
import contextvars
from html.parser import HTMLParser
from typing import Any, Iterator

from engine.catalog.placeholders import placeholder_url
from engine.themes.check import check_theme, resolve_target
from engine.themes.registry import discover_themes as installed_themes
from engine.themes.registry import set_active_theme as activate_theme
from engine.themes.registry import theme_chain
from engine.themes.registry import update_theme_settings as configure_theme

__all__ = ["QueryCounter", "activate_theme", "check_page_html", "check_theme", "configure_theme",
           "installed_themes", "resolve_target", "seed_sample_catalog", "theme_chain"]

SAMPLE_CATEGORIES = [
    {"slug": "clothing", "name": "Clothing", "position": 1},
    {"slug": "shirts", "name": "Shirts", "parent": "clothing", "position": 1},
    {"slug": "trousers", "name": "Trousers", "parent": "clothing", "position": 2},
    {"slug": "home", "name": "Home", "position": 2},
    {"slug": "mugs", "name": "Mugs", "parent": "home", "position": 1},
]
SAMPLE_ATTRIBUTES = [
    {"code": "material", "name": "Material", "type": "choice", "choices": ["cotton", "linen", "ceramic"]},
    {"code": "organic", "name": "Organic", "type": "boolean"},
]


def _shirt(slug: str, title: str, material: str, price: int, stock: dict[str, int], organic: bool) -> dict:
    variants = []
    for size in ("S", "M", "L"):
        for colour in ("Blue", "Red"):
            sku = f"{slug.upper()}-{size}-{colour[0]}"
            variants.append({"sku": sku, "options": {"size": size, "colour": colour},
                             "price": {"amount": price + (200 if size == "L" else 0), "currency": "EUR"},
                             "weight_grams": 250, "stock": stock.get(sku, 5)})
    return {
        "slug": slug, "title": title, "status": "published", "categories": ["shirts"],
        "description": f"{title}: soft, durable and made to be worn often.",
        "attributes": {"material": material, "organic": organic},
        "images": [{"url": placeholder_url(f"{slug}-front"), "alt": f"{title}, front"},
                   {"url": placeholder_url(f"{slug}-back"), "alt": f"{title}, back"}],
        "variants": variants,
    }


def sample_products() -> list[dict[str, Any]]:
    products = [
        _shirt("oxford-shirt", "Oxford shirt", "cotton", 4900, {"OXFORD-SHIRT-M-R": 0}, True),
        _shirt("linen-shirt", "Linen shirt", "linen", 5900, {}, False),
        _shirt("sold-out-shirt", "Sold-out shirt", "cotton", 3900,
               {f"SOLD-OUT-SHIRT-{s}-{c}": 0 for s in "SML" for c in "BR"}, False),
        {
            "slug": "chino-trousers", "title": "Chino trousers", "status": "published", "categories": ["trousers"],
            "attributes": {"material": "cotton", "organic": False},
            "images": [{"url": placeholder_url("chino-trousers"), "alt": "Chino trousers in sand"}],
            "variants": [{"sku": f"CHINO-{w}", "options": {"waist": w}, "price": {"amount": 6900, "currency": "EUR"},
                          "stock": 3} for w in ("30", "32", "34")],
        },
        {
            "slug": "stoneware-mug", "title": "Stoneware mug", "status": "published", "categories": ["mugs"],
            "attributes": {"material": "ceramic"},
            "images": [{"url": placeholder_url("stoneware-mug"), "alt": "A grey stoneware mug"}],
            "variants": [{"sku": "MUG-1", "options": {}, "price": {"amount": 1500, "currency": "EUR"}, "stock": 2}],
        },
        {
            "slug": "draft-mug", "title": "Draft mug", "status": "draft", "categories": ["mugs"],
            "images": [{"url": placeholder_url("draft-mug"), "alt": "A mug not yet for sale"}],
            "variants": [{"sku": "MUG-DRAFT", "options": {}, "price": {"amount": 1200, "currency": "EUR"}, "stock": 1}],
        },
    ]
    return products


async def seed_sample_catalog(runtime, extra_products: list[dict[str, Any]] = ()) -> list[str]:
    """Create the sample catalog (plus ``extra_products``); returns the product slugs."""
    from engine.catalog import services as catalog

    if not any(w["is_default"] for w in await catalog.list_warehouses()):
        await catalog.save_warehouse(runtime, "default", "Main warehouse", is_default=True)
    for category in SAMPLE_CATEGORIES:
        await catalog.save_category(runtime, category)
    for attribute in SAMPLE_ATTRIBUTES:
        await catalog.save_attribute(runtime, attribute)
    slugs = []
    for product in [*sample_products(), *extra_products]:
        await catalog.save_product(runtime, product)
        slugs.append(product["slug"])
    await catalog.save_collection(runtime, {"slug": "featured", "title": "Featured",
                                            "products": ["linen-shirt", "oxford-shirt", "stoneware-mug"]})
    return slugs


_counting: contextvars.ContextVar["QueryCounter | None"] = contextvars.ContextVar("query_counter", default=None)


class QueryCounter:
    """Counts statements run through a Piccolo engine while active.

    ``with QueryCounter(runtime.database.engine) as queries: ...`` then
    ``queries.count`` and ``queries.statements``. Wraps the engine's
    ``run_querystring`` and ``run_ddl`` (every Piccolo query and every raw
    statement of the catalog passes through one of them). Only statements of
    the code inside the block (and of tasks it starts, such as a test client's
    request) are counted, not those of background loops started before.
    """

    def __init__(self, engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def __enter__(self) -> "QueryCounter":
        # Piccolo engines use __slots__: the class methods are wrapped, and only
        # calls on this engine are counted.
        cls, target, statements = type(self.engine), self.engine, self.statements
        self._originals = {name: cls.__dict__.get(name) for name in ("run_querystring", "run_ddl")}
        querystring, ddl = cls.run_querystring, cls.run_ddl

        counter = self

        async def run_querystring(engine, qs, *args, **kwargs):
            if engine is target and _counting.get() is counter:
                statements.append(str(qs))
            return await querystring(engine, qs, *args, **kwargs)

        async def run_ddl(engine, sql, *args, **kwargs):
            if engine is target and _counting.get() is counter:
                statements.append(str(sql))
            return await ddl(engine, sql, *args, **kwargs)

        cls.run_querystring = run_querystring
        cls.run_ddl = run_ddl
        self._token = _counting.set(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        _counting.reset(self._token)
        cls = type(self.engine)
        for name, original in self._originals.items():
            if original is None:
                delattr(cls, name)
            else:
                setattr(cls, name, original)

    def reset(self) -> None:
        self.statements.clear()


@contextlib.contextmanager
def count_queries(engine) -> Iterator[QueryCounter]:
    with QueryCounter(engine) as counter:
        yield counter


# ------------------------------------------------------------------ accessibility checks
_LANDMARKS = {"header", "nav", "main", "footer"}
_FIELDS = {"input", "select", "textarea"}
_UNLABELLED_TYPES = {"hidden", "submit", "button", "reset", "image"}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[int] = []
        self.label_for: set[str] = set()
        self.open_labels = 0
        self.wrapped_fields: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag == "label":
            self.open_labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"] or "")
        if tag in _FIELDS and self.open_labels:
            self.wrapped_fields.append(attributes.get("id") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self.open_labels:
            self.open_labels -= 1


def check_page_html(html: str) -> list[str]:
    """Problems found in a rendered page (empty list: it passes)."""
    page = _Page()
    page.feed(html)
    problems = []
    names = {tag for tag, _ in page.tags}
    for landmark in sorted(_LANDMARKS - names):
        problems.append(f"no <{landmark}> landmark")
    if sum(1 for tag, _ in page.tags if tag == "main") > 1:
        problems.append("more than one <main>")
    if page.headings.count(1) != 1:
        problems.append(f"expected one <h1>, found {page.headings.count(1)}")
    previous = 0
    for level in page.headings:
        if level > previous + 1:
            problems.append(f"heading level jumps from h{previous} to h{level}")
        previous = level
    ids: dict[str, int] = {}
    for tag, attributes in page.tags:
        if attributes.get("id"):
            ids[attributes["id"]] = ids.get(attributes["id"], 0) + 1
        if tag == "img" and "alt" not in attributes:
            problems.append(f"<img src={attributes.get('src')!r}> has no alt attribute")
        if tag in _FIELDS and (attributes.get("type") or "text") not in _UNLABELLED_TYPES:
            field_id = attributes.get("id") or ""
            labelled = (field_id and field_id in page.label_for) or attributes.get("aria-label") \
                or attributes.get("aria-labelledby") or (field_id in page.wrapped_fields and field_id)
            if not labelled:
                problems.append(f"<{tag} name={attributes.get('name')!r}> has no label")
    for duplicate in sorted(k for k, n in ids.items() if n > 1):
        problems.append(f"id {duplicate!r} is used more than once")
    return problems
