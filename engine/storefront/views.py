"""Storefront HTML routes: thin translations of requests into catalog service
calls and template names. Every page works without JavaScript.

Templates (looked up through the theme, see :mod:`engine.themes.templating`):
``home.html``, ``category.html``, ``product.html``, ``search.html``,
``cart.html``, ``checkout.html``, ``order.html``,
``404.html`` and ``unavailable.html`` (501: behaviour that later releases add).
Every page gets ``categories`` (the category tree) for navigation. The
account pages (``/account/...``) live in :mod:`engine.storefront.account`.

Each page's data is read inside one ``browsing()`` block: on SQLite that is one
connection and one snapshot for the whole page.
"""
from __future__ import annotations

from dataclasses import replace

from urllib.parse import quote, urlencode

from quart import Blueprint, abort, current_app, redirect, request

from engine.web.caching import cached, response_will_be_kept
from engine.catalog import services as catalog
from engine.db.sql import browsing
from engine.errors import InvalidInput
from engine.storefront import listing
from engine.storefront.rendering import current_theme, format_money, render
from engine.storefront.seo import product_structured_data
from engine.storefront.variants import choose, posted_options, script_variants

blueprint = Blueprint("storefront", __name__)



def _featured_count(theme) -> int:
    """The theme setting ``featured_count`` (0: no featured products), else 8."""
    value = getattr(theme, "featured_count", None)
    return 8 if value is None else int(value)


# Catalog reads, cached per process while the change counters of what they
# read stand still (engine.web.caching.cached); treat the values as read-only.
async def _facets(slug: str) -> dict | None:
    return await cached("facets", slug, ("catalog",), lambda: catalog.facets(slug))


async def _category_tree() -> list[dict]:
    return await cached("category_tree", None, ("catalog",), catalog.category_tree)


async def _category(slug: str) -> dict | None:
    return await cached("category", slug, ("catalog",), lambda: catalog.get_category(slug))


async def _product(slug: str) -> dict | None:
    return await cached("product", slug, ("catalog", "stock"),
                        lambda: catalog.get_product(slug, runtime=current_app.runtime))


async def _search(query) -> tuple[list[dict], str | None]:
    async def load() -> dict:
        items, next_cursor = await catalog.search_products(current_app.runtime, query)
        return {"items": items, "next_cursor": next_cursor}

    key = (query.text, query.category, repr(sorted(query.filters.items())), query.sort, query.cursor, query.limit)
    # A listing the response cache keeps with its page is not kept as data
    # too: that page answers the URL again, and a second copy would double
    # the memory of every filtered page (and cost its size accounting).
    found = await cached("search", key, ("catalog", "stock", "plugins"), load, keep=not response_will_be_kept())
    return found["items"], found["next_cursor"]


async def _listing_page(template: str, category: dict | None, text: str, path: str, **context):
    facets = await _facets(category["slug"]) if category else None
    parsed = listing.parse(request.args, facets, current_app.settings.store.currency, text=text,
                           category=category["slug"] if category else None)
    try:
        items, next_cursor = await _search(parsed.query)
    except InvalidInput as exc:
        parsed.problems.append(str(exc))
        items, next_cursor = await _search(replace(parsed.query, cursor=None, filters={}))
    return await render(
        template,
        category=category,
        facets=facets,
        listing=parsed,
        products=items,
        sorts=listing.SORTS,
        next_url=listing.page_url(path, request.args, cursor=next_cursor) if next_cursor else None,
        first_url=listing.page_url(path, request.args) if parsed.query.cursor else None,
        categories=await _category_tree(),
        **context,
    )


@blueprint.get("/")
async def home():
    theme = (await current_theme()).settings
    async with browsing():
        count = _featured_count(theme)
        featured = await cached("featured", count, ("catalog", "stock"),
                                lambda: catalog.featured_products(count)) if count else []
        categories = await _category_tree()
    return await render("home.html", featured=featured, categories=categories)


@blueprint.get("/c/<slug>")
async def category(slug: str):
    await current_theme()
    async with browsing():
        found = await _category(slug)
        if found is None:
            abort(404)
        return await _listing_page("category.html", found, "", f"/c/{slug}")


@blueprint.get("/search")
async def search():
    await current_theme()
    text = (request.args.get("q") or "").strip()[: listing.MAX_TEXT]
    async with browsing():
        if not text and request.args.get("sort"):
            # "/search?sort=newest": every product in that order (the home page's call to action)
            return await _listing_page("search.html", None, "", "/search", query="")
        if not text:
            return await render("search.html", query="", products=[], listing=None, next_url=None,
                                first_url=None, sorts=listing.SORTS, categories=await _category_tree())
        return await _listing_page("search.html", None, text, "/search", query=text)


@blueprint.get("/p/<slug>")
async def product(slug: str):
    await current_theme()
    async with browsing():
        found = await _product(slug)
        if found is None:
            abort(404)
        categories = await _category_tree()
    choice = choose(found, request.args)
    choice.script = script_variants(found, format_money)
    return await render("product.html", product=found, choice=choice, variant=choice.variant,
                        categories=categories, structured_data=product_structured_data(found))


@blueprint.post("/p/<slug>/choose")
async def product_choice(slug: str):
    """"Show this selection" without JavaScript: the add-to-cart form posted
    here comes back as the product page of the chosen options."""
    form = await request.form
    query = urlencode(posted_options(form))
    return redirect(f"/p/{quote(slug, safe='')}" + (f"?{query}" if query else ""), 303)


async def _simple(template: str, status: int = 200, **context):
    await current_theme()
    return await render(template, status=status, categories=await _category_tree(), **context)


async def not_found_page():
    """The themed 404 page (the app's 404 handler calls this for HTML paths)."""
    return await _simple("404.html", 404)
