"""Sales figures of the orders domain (reads only), for the admin dashboard.

An order counts as a **sale** once paid: its status is one of :data:`SOLD`
(paid, being or been fulfilled, completed, or partly or wholly refunded).
**Revenue** is the sales' totals less what was refunded. Figures are for one
currency (the shop's); days are UTC calendar days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from engine.db.sql import dialect, fetch, placeholders

SOLD = ("paid", "partially_fulfilled", "fulfilled", "completed", "partially_refunded", "refunded")


@dataclass(frozen=True)
class Period:
    """Sales of one period: ``orders`` placed (any status but cancelled),
    ``sales`` among them, ``revenue`` (minor units) and the average order value."""

    days: int
    orders: int
    sales: int
    revenue: int

    @property
    def average(self) -> int:
        return self.revenue // self.sales if self.sales else 0


def _start_of_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


async def periods(currency: str, now: datetime, spans: tuple[int, ...] = (1, 7, 30)) -> list[Period]:
    """Sales of today and of the last ``n`` days for each span (today
    included), in one pass over the longest span (``orders.placed_at`` is indexed)."""
    today = now.astimezone(timezone.utc).date()
    starts = [_start_of_day(today - timedelta(days=days - 1)) for days in spans]
    sold = f"status IN ({placeholders(SOLD)})"
    columns, args = [], []
    for index, since in enumerate(starts):
        columns.append(f"SUM(CASE WHEN placed_at >= {{}} THEN 1 ELSE 0 END) AS orders_{index}, "
                       f"SUM(CASE WHEN placed_at >= {{}} AND {sold} THEN 1 ELSE 0 END) AS sales_{index}, "
                       f"SUM(CASE WHEN placed_at >= {{}} AND {sold} THEN total - refunded_amount ELSE 0 END) "
                       f"AS revenue_{index}")
        args += [since, since, *SOLD, since, *SOLD]
    row = (await fetch(f"SELECT {', '.join(columns)} FROM orders "
                       "WHERE placed_at >= {} AND currency = {} AND status <> 'cancelled'",
                       *args, min(starts), currency))[0]
    return [Period(days, int(row[f"orders_{i}"] or 0), int(row[f"sales_{i}"] or 0), int(row[f"revenue_{i}"] or 0))
            for i, days in enumerate(spans)]


async def daily_revenue(currency: str, now: datetime, days: int = 30) -> list[tuple[date, int]]:
    """Revenue per UTC day for the last ``days`` days, oldest first (days without sales: 0)."""
    today = now.astimezone(timezone.utc).date()
    first = today - timedelta(days=days - 1)
    day = ("substr(placed_at, 1, 10)" if dialect() == "sqlite"  # stored as UTC ISO text
           else "to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')")
    rows = await fetch(
        f"SELECT {day} AS day, SUM(total - refunded_amount) AS revenue FROM orders "
        f"WHERE currency = {{}} AND status IN ({placeholders(SOLD)}) AND placed_at >= {{}} GROUP BY {day}",
        currency, *SOLD, _start_of_day(first))
    totals = {first + timedelta(days=n): 0 for n in range(days)}
    for row in rows:
        when = date.fromisoformat(str(row["day"]))
        if when in totals:
            totals[when] += int(row["revenue"] or 0)
    return sorted(totals.items())


async def top_products(currency: str, now: datetime, days: int = 30, limit: int = 5) -> list[dict[str, Any]]:
    """Best-selling products of the last ``days`` days by revenue:
    ``[{product_id, title, units, revenue}]``."""
    since = _start_of_day(now.astimezone(timezone.utc).date() - timedelta(days=days - 1))
    rows = await fetch(
        f"SELECT l.product_id, MAX(l.title) AS title, SUM(l.quantity) AS units, SUM(l.total) AS revenue "
        f"FROM order_lines l JOIN orders o ON o.id = l.order_id "
        f"WHERE o.currency = {{}} AND o.status IN ({placeholders(SOLD)}) AND o.placed_at >= {{}} "
        "GROUP BY l.product_id ORDER BY revenue DESC, units DESC LIMIT {}",
        currency, *SOLD, since, limit)
    return [{"product_id": row["product_id"], "title": row["title"], "units": int(row["units"] or 0),
             "revenue": int(row["revenue"] or 0)} for row in rows]
