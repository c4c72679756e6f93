"""The admin's reports over a date range — sales by day/week/month, by
product, category, payment and shipping method, refunds and taxes — as a
page and as CSV (money in major units, formulas defused), on SQLite and
PostgreSQL; unreadable ranges come back at their fields."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from engine.catalog.manage import create_category
from engine.payments.actions import mark_paid
from engine.testing import fetch
from engine.testing.admin import staff_client
from engine.testing.checkout import add_product, cart_with, checkout


async def _paid_order(app, sku: str, quantity: int) -> str:
    client = app.test_client()
    response = await checkout(client, await cart_with(client, sku, quantity))
    assert response.status_code == 201, await response.get_json()
    number = (await response.get_json())["number"]
    await mark_paid(app.runtime, number, actor="test")
    return number


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


async def test_reports_page_and_csv_over_a_date_range(make_app, database_url):
    app = await make_app(database_url=database_url)
    await create_category(app.runtime, {"slug": "shirts", "name": "Shirts"})
    await add_product(app.runtime, "TEE-1", price=2500, stock=10, categories=["shirts"])
    await add_product(app.runtime, "CAP-1", price=1000, stock=10, title="=HYPERLINK(\"x\")")
    tee = await _paid_order(app, "TEE-1", 2)
    cap = await _paid_order(app, "CAP-1", 1)
    unpaid = await checkout(app.test_client(), await cart_with(app.test_client(), "TEE-1", 1))
    assert unpaid.status_code == 201
    today = datetime.now(timezone.utc).date()
    earlier = today - timedelta(days=40)
    await fetch("UPDATE orders SET placed_at = {} WHERE number = {}",
                datetime(earlier.year, earlier.month, earlier.day, 12, tzinfo=timezone.utc), cap)
    await fetch("UPDATE orders SET refunded_amount = 500, status = 'partially_refunded' WHERE number = {}", tee)
    staff = await staff_client(app, role="support")
    span = f"from={earlier.isoformat()}&to={today.isoformat()}"

    page = await staff.get(f"/admin/reports?{span}")
    html = await page.get_data(as_text=True)
    assert page.status_code == 200 and today.isoformat() in html and earlier.isoformat() in html
    sales = _rows(await (await staff.get(f"/admin/reports/sales.csv?{span}")).get_data(as_text=True))
    assert sales[0] == ["period", "orders", "subtotal (EUR)", "discounts (EUR)", "shipping (EUR)", "tax (EUR)",
                        "total (EUR)", "refunded (EUR)", "net (EUR)"]
    assert [row[:2] for row in sales[1:]] == [[earlier.isoformat(), "1"], [today.isoformat(), "1"]]
    assert sales[2][2] == "50.00" and sales[2][7] == "5.00"
    monthly = _rows(await (await staff.get(f"/admin/reports/sales.csv?{span}&grain=month")).get_data(as_text=True))
    assert [row[0] for row in monthly[1:]] == sorted({earlier.isoformat()[:7], today.isoformat()[:7]})
    weekly = _rows(await (await staff.get(f"/admin/reports/sales.csv?{span}&grain=week")).get_data(as_text=True))
    assert all(datetime.fromisoformat(row[0]).weekday() == 0 for row in weekly[1:])
    recent = _rows(await (await staff.get(f"/admin/reports/sales.csv?from={today}&to={today}")).get_data(
        as_text=True))
    assert len(recent) == 2, "the range bounds the report"

    products = _rows(await (await staff.get(f"/admin/reports/products.csv?{span}")).get_data(as_text=True))
    assert products[1:] == [["Product TEE-1", "2", "50.00"], ["'=HYPERLINK(\"x\")", "1", "10.00"]]
    categories = _rows(await (await staff.get(f"/admin/reports/categories.csv?{span}")).get_data(as_text=True))
    assert categories[1:] == [["Shirts", "2", "50.00"], ["Uncategorised", "1", "10.00"]]
    payments = _rows(await (await staff.get(f"/admin/reports/payment_methods.csv?{span}")).get_data(as_text=True))
    assert [row[:2] for row in payments[1:]] == [["manual", "2"]]
    shipping = _rows(await (await staff.get(f"/admin/reports/shipping_methods.csv?{span}")).get_data(as_text=True))
    assert len(shipping) == 2 and shipping[1][1] == "2"
    refunds = _rows(await (await staff.get(f"/admin/reports/refunds.csv?{span}")).get_data(as_text=True))
    assert refunds[1:] == [[today.isoformat(), "1", "5.00"]]
    taxes = _rows(await (await staff.get(f"/admin/reports/taxes.csv?{span}")).get_data(as_text=True))
    assert taxes[0] == ["period", "orders", "net_sales (EUR)", "tax (EUR)"] and len(taxes) == 3
    by_method = await (await staff.get(f"/admin/reports?report=payment_methods&{span}")).get_data(as_text=True)
    assert "manual" in by_method

    for query, field in (("from=2026-13-01", "from"), (f"from={today}&to={earlier}", "to"), ("report=bogus", "report"),
                         ("grain=year", "grain"), ("from=2000-01-01&to=2020-01-01", "to")):
        refused = await staff.get(f"/admin/reports?{query}")
        assert refused.status_code == 422 and f'id="{field}-error"' in await refused.get_data(as_text=True), query
    assert (await staff.get("/admin/reports/bogus.csv")).status_code == 422
    outsider = await staff_client(app, permissions=["customers:read"])
    assert (await outsider.get("/admin/reports")).status_code == 403
    assert (await outsider.get("/admin/reports/sales.csv")).status_code == 403
