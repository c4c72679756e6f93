"""The merchant's store journey in headless Chromium against a real server:
staff find a customer by e-mail and export their data (a JSON download);
create a voucher (an ambiguous "0.1" refused at its field first) that the
shopper's next order uses; mark that order paid; and the reports page shows
it (one sale, its discount). axe-core finds no violation on the pages. Pages photographed at 1280 and 390 pixels wide
(test-artifacts/browser/admin-customer*.png, admin-promotion*.png,
admin-reports-*.png, admin-settings-*.png)."""
from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).parent))  # the order journey's sign-in and photographs
from test_admin_orders_journey import PASSWORD, accessibility_violations, photograph, sign_in  # noqa: E402

pytestmark = pytest.mark.browser

OWNER = "store-owner@shop.example"
SHOPPER = "katherine.johnson@example.test"
SHOPPER_PASSWORD = "a shopper passphrase for the journey"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def shop(own_server):
    own_server.cli("staff", "create", "--email", OWNER, "--password-stdin", "--role", "owner", stdin=PASSWORD + "\n")
    return own_server


def _post_form(client: httpx.Client, path: str, form: dict) -> httpx.Response:
    token = _TOKEN.search(client.get(path).text).group(1)
    return client.post(path, data={**form, "csrf_token": token})


def shopper_account(shop) -> httpx.Client:
    """The shopper signs up and signs in through the storefront's forms."""
    client = httpx.Client(base_url=shop.base_url, timeout=30)
    signed_up = _post_form(client, "/account/signup", {"email": SHOPPER, "password": SHOPPER_PASSWORD,
                                                        "name": "Katherine Johnson"})
    assert signed_up.status_code == 303, signed_up.text
    assert _post_form(client, "/account/login", {"email": SHOPPER, "password": SHOPPER_PASSWORD}).status_code == 303
    return client


def order_with_voucher(client: httpx.Client, sku: str, code: str | None) -> dict:
    """The signed-in shopper orders 2 × ``sku`` (69.00 each) by bank transfer, with the voucher ``code``."""
    cart = client.post("/api/v1/carts").json()["id"]
    added = client.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": 2})
    assert added.status_code == 201, added.text
    if code:
        applied = client.post(f"/api/v1/carts/{cart}/vouchers", json={"code": code})
        assert applied.status_code in (200, 201), applied.text
    body = {"email": SHOPPER, "shipping_address": {"first_name": "Katherine", "last_name": "Johnson",
                                                   "line1": "Unter den Linden 1", "city": "Berlin",
                                                   "postal_code": "10117", "country": "DE"},
            "shipping_method": "flat_rate:standard", "payment_method": "manual"}
    response = client.post(f"/api/v1/carts/{cart}/checkout", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    return response.json()


def test_staff_find_a_customer_export_their_data_create_a_voucher_and_report_its_order(browser, shop, screenshot):
    from playwright.sync_api import expect

    shopper = shopper_account(shop)
    first = order_with_voucher(shopper, "CHINO-30", None)
    page = sign_in(browser, shop, OWNER)

    # find the customer and export their data
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Customers").click()
    page.get_by_label("Search").fill("katherine")
    page.get_by_role("button", name="Find customers").click()
    rows = page.locator("#customer-list tr[data-customer]")
    expect(rows).to_have_count(1)
    photograph(page, screenshot, "customers")
    rows.first.get_by_role("link", name=SHOPPER).click()
    expect(page.locator("#customer-orders")).to_contain_text(first["number"])
    photograph(page, screenshot, "customer")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export this customer's data (JSON)").click()
    exported = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert exported["account"]["email"] == SHOPPER
    assert [o["number"] for o in exported["orders"]] == [first["number"]]

    # create a voucher; an ambiguous percentage is refused at its field
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Promotions").click()
    page.get_by_role("link", name="New promotion or voucher").click()
    page.get_by_label("Name").fill("Spring welcome")
    page.get_by_label("Voucher code").fill("SPRING10")
    page.get_by_label("Kind").select_option("percentage")
    page.get_by_label("Discount").fill("0.1")
    page.get_by_label("Minimum subtotal (EUR)").fill("100.00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator('[data-field="value"] .field-error')).to_contain_text("10 % or 0.1 %")
    expect(page.get_by_label("Minimum subtotal (EUR)")).to_have_value("100.00")
    photograph(page, screenshot, "promotion-error")
    page.get_by_label("Discount").fill("10 %")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Promotion saved.")
    row = page.locator("#promotion-list tr[data-promotion]").first
    expect(row).to_contain_text("SPRING10")
    expect(row).to_contain_text("10 % off")
    photograph(page, screenshot, "promotions")

    # the shopper's next order uses it; staff mark it paid
    second = order_with_voucher(shopper, "CHINO-32", "spring10")
    discount = second["totals"]["discounts"]
    assert discount == 1380, second["totals"]  # 10 % of 2 × 69.00
    page.goto(f"{shop.base_url}/admin/orders/{second['number']}")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.locator("#order-status")).to_have_text("paid")
    page.goto(f"{shop.base_url}/admin/promotions")
    expect(page.locator("#promotion-list tr[data-promotion]").first.locator('td[data-label="Used"]')).to_have_text("1")

    # the reports page shows the sale with its discount
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Reports").click()
    today = datetime.now(timezone.utc).date().isoformat()
    sale = page.locator("#report-table tr", has_text=today)
    expect(sale).to_have_count(1)
    expect(sale.locator('td[data-label="orders"]')).to_have_text("1")
    expect(sale.locator('td[data-label="discounts"]')).to_have_text("€13.80")
    expect(sale.locator('td[data-label="total"]')).to_have_text(f"€{second['totals']['total'] / 100:,.2f}")
    photograph(page, screenshot, "reports-sales")
    page.get_by_role("link", name="By payment method").click()
    expect(page.locator("#report-table")).to_contain_text("manual")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    lines = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert lines[0] == "method,orders,total (EUR),refunded (EUR)" and lines[1].startswith("manual,1,")

    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Settings").click()
    photograph(page, screenshot, "settings")
    customer = exported["account"]["id"]
    assert accessibility_violations(page, ["/admin/customers", f"/admin/customers/{customer}",
                                           f"/admin/customers/{customer}/delete", "/admin/promotions/new",
                                           "/admin/reports", "/admin/settings"]) == {}
    page.context.close()
    shopper.close()
