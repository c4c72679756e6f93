"""The merchant's order journey in headless Chromium against a real server: a
shopper orders by bank transfer; staff find the order by the shopper's e-mail,
mark it paid, refund part of it (a mistyped amount refused at its field first)
and ship it with a tracking number; the dashboard and the report by product
count it; a support member sees the order but no form. The list and the order page have no axe-core violations and are photographed at 1280 and 390 pixels
wide (test-artifacts/browser/admin-order*.png)."""
from __future__ import annotations

import re
import uuid

import httpx
import pytest
from browser_checks import accessibility_violations

pytestmark = pytest.mark.browser

OWNER = "orders-owner@shop.example"
SUPPORT = "orders-support@shop.example"
PASSWORD = "an admin passphrase for the order journey"
SHOPPER = "margaret.hamilton@example.test"
WIDTHS = {"wide": 1280, "phone": 390}


@pytest.fixture(scope="module")
def shop(own_server):
    own_server.cli("staff", "create", "--email", OWNER, "--password-stdin", "--role", "owner", stdin=PASSWORD + "\n")
    own_server.cli("staff", "create", "--email", SUPPORT, "--password-stdin", "--role", "support",
                   stdin=PASSWORD + "\n")
    return own_server


def place_order(shop, email: str, first_name: str, last_name: str, sku: str = "CHINO-32") -> dict:
    """A shopper's order through the public API: 2 × ``sku`` (69.00), manual payment."""
    with httpx.Client(base_url=shop.base_url, timeout=30) as api:
        cart = api.post("/api/v1/carts").json()["id"]
        assert api.post(f"/api/v1/carts/{cart}/lines", json={"sku": sku, "quantity": 2}).status_code == 201
        body = {"email": email, "shipping_address": {"first_name": first_name, "last_name": last_name,
                                                     "line1": "Unter den Linden 1", "city": "Berlin",
                                                     "postal_code": "10117", "country": "DE"},
                "shipping_method": "flat_rate:standard", "payment_method": "manual"}
        response = api.post(f"/api/v1/carts/{cart}/checkout", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201, response.text
        return response.json()


def sign_in(browser, shop, email: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(shop.base_url + "/admin/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(shop.base_url + "/admin")
    return page


def photograph(page, screenshot, name: str) -> None:
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"admin-{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_staff_find_an_order_by_email_mark_it_paid_refund_part_and_ship_it(browser, shop, screenshot):
    from playwright.sync_api import expect

    place_order(shop, "someone.else@example.test", "Ada", "Lovelace", sku="CHINO-30")
    order = place_order(shop, SHOPPER, "Margaret", "Hamilton")
    number = order["number"]
    total = order["totals"]["total"]  # 2 × 69.00 + shipping
    page = sign_in(browser, shop, OWNER)
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    expect(page.locator("#order-list tr[data-order]")).to_have_count(2)
    page.get_by_label("Search").fill(SHOPPER)
    page.get_by_role("button", name="Find orders").click()
    rows = page.locator("#order-list tr[data-order]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Margaret Hamilton")
    expect(rows.first).to_contain_text("pending payment")
    photograph(page, screenshot, "orders")

    page.get_by_role("link", name=f"#{number}").click()
    expect(page.locator("#order-status")).to_have_text("pending payment")
    expect(page.locator("#order-lines")).to_contain_text("waist: 32")
    photograph(page, screenshot, "order-unpaid")
    page.get_by_role("form", name="Mark paid").get_by_label("Note (optional)").fill("Bank transfer arrived")
    page.get_by_role("button", name="Mark paid").click()
    expect(page.get_by_role("status")).to_have_text("Payment recorded.")
    expect(page.locator("#order-status")).to_have_text("paid")
    expect(page.locator("#timeline")).to_contain_text("Bank transfer arrived")

    refund = page.get_by_role("form", name="Refund")
    refund.get_by_label("Amount to refund (EUR)").fill("20,00")
    refund.get_by_role("button", name="Refund").click()
    expect(page.locator('[data-field="amount"] .field-error')).to_contain_text("with a point for the decimals")
    photograph(page, screenshot, "order-refund-error")
    refund = page.get_by_role("form", name="Refund")
    refund.get_by_label("Amount to refund (EUR)").fill("20.00")
    refund.get_by_label("Reason (optional)").fill("One pair returned unworn, partly")
    refund.get_by_role("button", name="Refund").click()
    expect(page.get_by_role("status")).to_have_text("Refund made.")
    expect(page.locator("#order-status")).to_have_text("partially refunded")
    expect(page.locator("#total-refunded")).to_have_text("€20.00")
    expect(page.get_by_role("form", name="Refund").get_by_label("Amount to refund (EUR)")).to_have_value(
        f"{(total - 2000) / 100:.2f}")

    ship = page.get_by_role("form", name="Ship")
    ship.get_by_label("Tracking number").fill("JJD000390007")
    ship.get_by_label("Carrier").fill("DHL")
    ship.get_by_role("button", name="Ship").click()
    expect(page.get_by_role("status")).to_have_text("Shipment recorded.")
    expect(page.locator("#order-status")).to_have_text("fulfilled")
    expect(page.locator("#fulfillments")).to_contain_text("JJD000390007")
    photograph(page, screenshot, "order")
    assert accessibility_violations(page, [f"/admin/orders?q={SHOPPER}", f"/admin/orders/{number}"]) == {}

    # the dashboard and the report by product count the order
    title = page.locator('#order-lines tr[data-sku="CHINO-32"] td').first.inner_text().splitlines()[0].strip()
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Dashboard").click()
    today = page.locator("table.figures tbody tr").first
    expect(today.locator("th")).to_have_text("Today")
    expect(today.locator("td").nth(0)).to_have_text("2")        # placed today: this order and the other one
    expect(today.locator("td").nth(1)).to_have_text("1")        # paid: this one
    expect(page.get_by_role("cell", name=title, exact=True)).to_be_visible()   # among the top products
    photograph(page, screenshot, "dashboard")
    page.get_by_role("navigation", name="Admin").get_by_role("link", name="Reports").click()
    page.get_by_label("Report").select_option(label="By product")
    page.get_by_role("button", name=re.compile("Show")).click()
    row = page.locator("#report-table tr", has=page.get_by_role("cell", name=title, exact=True))
    expect(row.locator('[data-label="units"]')).to_have_text("2")
    photograph(page, screenshot, "report-products")
    page.context.close()

    with httpx.Client(base_url=shop.base_url, timeout=30) as api:
        shopper_view = api.get(f"/api/v1/orders/{number}", params={"token": order["access_token"]}).json()
    assert shopper_view["status"] == "fulfilled" and shopper_view["totals"]["refunded"] == 2000

    support = sign_in(browser, shop, SUPPORT)
    support.goto(f"{shop.base_url}/admin/orders/{number}")
    expect(support.locator("#order-status")).to_have_text("fulfilled")
    expect(support.locator(f'form[action^="/admin/orders/{number}/"]')).to_have_count(0)
    support.context.close()
