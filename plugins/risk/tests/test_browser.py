"""Staff approving a held order on the admin order page in Chromium
(Playwright): the hold's score and reasons are shown, capture and shipping
are not offered, Approve releases it and shipping is offered again.
Screenshots at 1280 and 390 pixels wide go to ``test-artifacts/browser/``.
Skipped without Playwright or Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import sdk
from engine.testing.admin import PASSWORD, staff_client
from engine.testing.checkout import ADDRESS, add_product, cart_with, checkout, chromium, served_shop
from shopwright_risk import plugin

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
STAFF = "reviewer@example.test"
pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


async def test_staff_approve_a_held_order_in_a_browser(shopwright_settings):
    async with served_shop(shopwright_settings(), plugins=[plugin]) as (app, base_url):
        await app.runtime.host.enable("risk")
        await app.runtime.host.configure("risk", {"threshold": "60"})
        await add_product(app.runtime, "RISK-1", price=4000, stock=5)
        client = app.test_client()
        placed = await checkout(client, await cart_with(client, "RISK-1", 1), email="mule@mailinator.com",
                                billing_address=dict(ADDRESS, country="FR"))
        number = (await placed.get_json())["number"]
        await staff_client(app, email=STAFF)   # a staff account with the test password
        async with chromium(ARTIFACTS) as browser:
            from playwright.async_api import expect
            page = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(f"{message.text} {message.location.get('url')}")
                    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico")
                    else None)
            await page.goto(f"{base_url}/admin/login")
            await page.get_by_label("E-mail address").fill(STAFF)
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.goto(f"{base_url}/admin/orders/{number}")

            review = page.get_by_role("region", name="Held for review")
            await expect(review).to_be_visible()
            await expect(review.locator(".hold-score")).to_have_text("63")
            await expect(review.get_by_text("Disposable e-mail domain mailinator.com.")).to_be_visible()
            await expect(review.get_by_text("Billing country FR differs from shipping country DE.")).to_be_visible()
            await expect(page.locator("#form-mark-paid")).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "risk-held-order-laptop.png"), full_page=False)
            await page.set_viewport_size({"width": 390, "height": 844})
            await review.scroll_into_view_if_needed()
            await page.screenshot(path=str(ARTIFACTS / "risk-held-order-phone.png"))
            await page.set_viewport_size({"width": 1280, "height": 900})

            await page.locator("#form-mark-paid button[type=submit]").click()
            await expect(page.get_by_role("status").filter(has_text="Payment recorded.")).to_be_visible()
            await expect(page.locator("#form-fulfill")).to_have_count(0)

            await review.get_by_role("button", name="Approve").click()
            await expect(page.get_by_role("status").filter(has_text="Order approved.")).to_be_visible()
            reviews = page.get_by_role("region", name="Reviews")
            await expect(reviews.get_by_text("released", exact=True)).to_be_visible()
            await expect(page.locator("#form-fulfill")).to_be_visible()
            await reviews.scroll_into_view_if_needed()
            await page.screenshot(path=str(ARTIFACTS / "risk-approved-order-laptop.png"))
            await page.set_viewport_size({"width": 390, "height": 844})
            await reviews.scroll_into_view_if_needed()
            await page.screenshot(path=str(ARTIFACTS / "risk-approved-order-phone.png"))
            assert not problems, problems
        [hold] = await sdk.order_holds(app.runtime, number)
        assert hold.status == "released"
