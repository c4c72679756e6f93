"""Sales reports of the orders domain (reads only), for ``/admin/reports``
and their CSV export.

Every report covers the orders **placed** between two UTC days (both
included) in the shop's currency that count as sales
(:data:`engine.orders.reports.SOLD`: paid and after, refunded included).
Amounts are integer minor units. Each query is a range scan of the indexed
``orders.placed_at`` (and the order lines of the orders in range), grouped in
the database, so a report costs what its date range holds, not the table.

Reports (:data:`REPORTS`), each a :class:`Report` of column names and rows:

- ``sales``: per day, ISO week (starting Monday) or month — orders, goods
  subtotal, discounts (a positive amount, as in the API's order totals:
  ``total = subtotal − discounts + shipping + tax``), shipping, tax, total,
  refunded and net (total less refunded);
- ``products`` / ``categories``: units and line totals (after line
  discounts) per product, and per category (a product in two categories
  counts in both; "Uncategorised" for none);
- ``payment_methods`` / ``shipping_methods``: orders, total and refunded per
  method;
- ``refunds``: per period, the orders with a refund and the amount refunded
  (by the day the order was placed);
- ``taxes``: per period, the tax collected (``orders.tax_total``) with the
  net sales it was charged on.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from engine.catalog.product_categories import category_names
from engine.db.sql import dialect, fetch, placeholders
from engine.orders.reports import SOLD

GRAINS = ("day", "week", "month")
REPORTS = ("sales", "products", "categories", "payment_methods", "shipping_methods", "refunds", "taxes")
#: Longest range one report covers (days).
MAX_DAYS = 3 * 366
#: Rows of the product report (the best sellers first).
MAX_PRODUCTS = 1000


@dataclass(frozen=True)
class Report:
    """``columns`` and ``rows`` (tuples); ``money`` names the columns in minor units."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    money: frozenset[str] = frozenset()


def _start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _range_sql(currency: str, first: date, last: date) -> tuple[str, list[Any]]:
    where = (f"o.currency = {{}} AND o.status IN ({placeholders(SOLD)}) AND o.placed_at >= {{}} "
             "AND o.placed_at < {}")
    return where, [currency, *SOLD, _start(first), _start(last + timedelta(days=1))]


def _day_sql() -> str:
    return ("substr(o.placed_at, 1, 10)" if dialect() == "sqlite"  # stored as UTC ISO text
            else "to_char(o.placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')")


def period_of(day: date, grain: str) -> str:
    """The label of the period ``day`` falls in: ``2026-12-06`` (day),
    ``2026-11-30`` (the Monday of its week), ``2026-12`` (month)."""
    if grain == "week":
        return (day - timedelta(days=day.weekday())).isoformat()
    if grain == "month":
        return day.isoformat()[:7]
    return day.isoformat()


async def _per_period(currency: str, first: date, last: date, grain: str, sums: dict[str, str],
                      extra_where: str = "") -> dict[str, dict[str, int]]:
    """``{period: {name: sum}}``: the SQL sums grouped by day in the
    database, folded into ``grain`` here (at most a few hundred days)."""
    where, args = _range_sql(currency, first, last)
    day = _day_sql()
    columns = ", ".join(f"SUM({expression}) AS {name}" for name, expression in sums.items())
    rows = await fetch(f"SELECT {day} AS day, {columns} FROM orders o WHERE {where} {extra_where} GROUP BY {day}",
                       *args)
    periods: dict[str, dict[str, int]] = {}
    for row in rows:
        label = period_of(date.fromisoformat(str(row["day"])), grain)
        bucket = periods.setdefault(label, dict.fromkeys(sums, 0))
        for name in sums:
            bucket[name] += int(row[name] or 0)
    return dict(sorted(periods.items()))


async def sales(currency: str, first: date, last: date, grain: str = "day") -> Report:
    sums = {"orders": "1", "subtotal": "o.subtotal", "discounts": "-o.discount_total", "shipping": "o.shipping_total",
            "tax": "o.tax_total", "total": "o.total", "refunded": "o.refunded_amount",
            "net": "o.total - o.refunded_amount"}
    periods = await _per_period(currency, first, last, grain, sums)
    columns = ("period", *sums)
    return Report("sales", columns, [(label, *values.values()) for label, values in periods.items()],
                  frozenset(columns[2:]))


async def refunds(currency: str, first: date, last: date, grain: str = "day") -> Report:
    sums = {"orders": "CASE WHEN o.refunded_amount > 0 THEN 1 ELSE 0 END", "refunded": "o.refunded_amount"}
    periods = await _per_period(currency, first, last, grain, sums, extra_where="AND o.refunded_amount > 0")
    return Report("refunds", ("period", *sums), [(label, *values.values()) for label, values in periods.items()],
                  frozenset({"refunded"}))


async def taxes(currency: str, first: date, last: date, grain: str = "day") -> Report:
    sums = {"orders": "1", "net_sales": "o.total - o.tax_total", "tax": "o.tax_total"}
    periods = await _per_period(currency, first, last, grain, sums)
    return Report("taxes", ("period", *sums), [(label, *values.values()) for label, values in periods.items()],
                  frozenset({"net_sales", "tax"}))


async def _product_rows(currency: str, first: date, last: date, limit: int | None) -> list[dict[str, Any]]:
    where, args = _range_sql(currency, first, last)
    cap = "LIMIT {}" if limit else ""
    return await fetch(
        "SELECT l.product_id AS product_id, MAX(l.title) AS title, SUM(l.quantity) AS units, SUM(l.total) AS revenue "
        f"FROM orders o JOIN order_lines l ON l.order_id = o.id WHERE {where} "
        f"GROUP BY l.product_id ORDER BY revenue DESC, units DESC {cap}", *args, *([limit] if limit else []))


async def products(currency: str, first: date, last: date, grain: str = "day") -> Report:
    rows = await _product_rows(currency, first, last, MAX_PRODUCTS)
    return Report("products", ("product", "units", "revenue"),
                  [(row["title"], int(row["units"] or 0), int(row["revenue"] or 0)) for row in rows],
                  frozenset({"revenue"}))


async def categories(currency: str, first: date, last: date, grain: str = "day") -> Report:
    rows = await _product_rows(currency, first, last, None)
    names = await category_names(row["product_id"] for row in rows)
    totals: dict[str, list[int]] = {}
    for row in rows:
        for name in names.get(row["product_id"]) or ["Uncategorised"]:
            bucket = totals.setdefault(name, [0, 0])
            bucket[0] += int(row["units"] or 0)
            bucket[1] += int(row["revenue"] or 0)
    ordered = sorted(totals.items(), key=lambda item: (-item[1][1], item[0]))
    return Report("categories", ("category", "units", "revenue"), [(name, *values) for name, values in ordered],
                  frozenset({"revenue"}))


async def _by_column(name: str, column: str, currency: str, first: date, last: date) -> Report:
    where, args = _range_sql(currency, first, last)
    rows = await fetch(f"SELECT {column} AS method, COUNT(*) AS orders, SUM(o.total) AS total, "
                       f"SUM(o.refunded_amount) AS refunded FROM orders o WHERE {where} GROUP BY {column} "
                       "ORDER BY total DESC", *args)
    return Report(name, ("method", "orders", "total", "refunded"),
                  [(row["method"] or "–", int(row["orders"]), int(row["total"] or 0), int(row["refunded"] or 0))
                   for row in rows], frozenset({"total", "refunded"}))


async def payment_methods(currency: str, first: date, last: date, grain: str = "day") -> Report:
    return await _by_column("payment_methods", "o.payment_method", currency, first, last)


async def shipping_methods(currency: str, first: date, last: date, grain: str = "day") -> Report:
    return await _by_column("shipping_methods", "COALESCE(NULLIF(o.shipping_label, ''), o.shipping_method)",
                            currency, first, last)


_BUILDERS: dict[str, Callable[..., Any]] = {
    "sales": sales, "products": products, "categories": categories, "payment_methods": payment_methods,
    "shipping_methods": shipping_methods, "refunds": refunds, "taxes": taxes}


async def build(name: str, currency: str, first: date, last: date, grain: str = "day") -> Report:
    """The report ``name`` (one of :data:`REPORTS`); the caller checks the
    range (``first <= last``, at most :data:`MAX_DAYS`) and ``grain``."""
    return await _BUILDERS[name](currency, first, last, grain)
