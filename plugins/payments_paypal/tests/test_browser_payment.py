"""A shopper pays with PayPal in a real browser (Chromium through Playwright)
on the default theme: the order page sends them to the stand-in PayPal's
approval page; they cancel, come back to the order page with the choice to
try again or pay another way, switch to the bank transfer and back to PayPal,
go back to PayPal, approve, and return to a paid order; one
confirmation e-mail (and one payment receipt) is sent.
Skipped without Playwright or Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.testing import fetch, fetchval
from engine.testing.checkout import add_product, chromium, place_order_in_browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
pytestmark = pytest.mark.timeout(180)


async def test_a_shopper_pays_with_paypal_in_a_browser(paypal, paypal_shop, sqlite_url, smtp_inbox):
    inbox = smtp_inbox
    settings = {"theme": "default", "store": {"name": "Mug Shop"},
                "mail": {"smtp_host": "127.0.0.1", "smtp_port": inbox.port}}
    async with paypal_shop(paypal, sqlite_url, settings=settings, brand_name="Mug Shop") as (app, base_url):
        await add_product(app.runtime, "MUG-BLUE", price=1450, stock=3, slug="blue-mug", title="Blue mug")
        async with chromium(ARTIFACTS) as browser:
            from playwright.async_api import expect
            page = await (await browser.new_context()).new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            number = await place_order_in_browser(page, base_url, re.compile("PayPal"))
            order_url = page.url

            # To PayPal, where the shopper changes their mind ...
            await page.get_by_role("link", name="Continue to payment").click()
            await expect(page.get_by_role("heading", name="Pay 33.90 EUR to Mug Shop")).to_be_visible()
            assert page.url.startswith(f"{paypal.url}/checkoutnow?token=")
            await page.get_by_role("button", name="Cancel and return to store").click()
            # ... is back on the order page, which still offers to pay ...
            await expect(page.get_by_role("heading", level=1, name=f"Order {number}")).to_be_visible()
            assert page.url.startswith(order_url)
            assert await fetchval("SELECT status FROM orders WHERE number = {}", number) == "pending_payment"
            # ... or to pay another way: they pick the bank transfer, then change their mind again ...
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.screenshot(path=str(ARTIFACTS / "paypal-cancelled-phone.png"), full_page=True)
            await page.set_viewport_size({"width": 1280, "height": 800})
            await page.get_by_label("Bank transfer or cash on delivery").check()
            await page.get_by_role("button", name="Use this payment method").click()
            await expect(page.get_by_role("link", name="Continue to payment")).to_have_count(0)
            assert await fetchval("SELECT payment_method FROM orders WHERE number = {}", number) == "manual"
            await page.get_by_label("PayPal").check()
            await page.get_by_role("button", name="Use this payment method").click()
            # ... and tries PayPal again.
            await page.get_by_role("link", name="Continue to payment").click()
            await page.screenshot(path=str(ARTIFACTS / "paypal-approval.png"))
            await page.get_by_role("button", name="Pay Now").click()

            await expect(page.locator('[aria-current="step"]')).to_have_text("Paid")
            assert re.search(rf"/orders/{number}\?token=", page.url)
            await expect(page.get_by_role("link", name="Continue to payment")).to_have_count(0)
            await page.screenshot(path=str(ARTIFACTS / "paypal-paid.png"))
        assert problems == [], problems

        assert await fetchval("SELECT status FROM orders WHERE number = {}", number) == "paid"
        rows = await fetch("SELECT kind, status, amount FROM payment_transactions ORDER BY id")
        assert [(r["kind"], r["status"], r["amount"]) for r in rows] == [("capture", "succeeded", 3390)]
        assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1

        await inbox.wait_for(2)
        await app.runtime.queue.drain()  # every job done: nothing more will be sent
        subjects = sorted(message["Subject"] for message in inbox.messages)
        assert subjects == [f"Payment received for order {number}", f"Your order {number} at Mug Shop"]
        assert [m["To"] for m in inbox.messages] == ["grace@example.test"] * 2
