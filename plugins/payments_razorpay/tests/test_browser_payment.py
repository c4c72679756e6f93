"""A shopper pays with Razorpay in a real browser (Chromium through
Playwright) on the default theme: on the order page "Pay" opens the
stand-in's checkout.js window (its own pay page in a frame, as Razorpay
Checkout does); paying there hands the signed answer to the plugin's
handler, which returns the shopper to the shop. The stand-in also delivers
``payment.authorized`` to the shop's webhook, racing the return. The order
is paid once; one confirmation and one payment e-mail are sent.
Screenshots at laptop (1280×800) and phone (390×844) width.
Skipped without Playwright or Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.testing import fetch, fetchval, wait_until
from engine.testing.checkout import add_product, chromium, place_order_in_browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
LAPTOP, PHONE = {"width": 1280, "height": 800}, {"width": 390, "height": 844}
pytestmark = pytest.mark.timeout(180)


async def test_a_shopper_pays_with_razorpay_in_a_browser(razorpay, razorpay_shop, sqlite_url, smtp_inbox):
    inbox = smtp_inbox
    settings = {"theme": "default", "store": {"name": "Chai Shop"},
                "mail": {"smtp_host": "127.0.0.1", "smtp_port": inbox.port}}
    async with razorpay_shop(razorpay, sqlite_url, settings=settings) as (app, base_url):
        razorpay.webhook_url = f"{base_url}/webhooks/payments_razorpay"
        await add_product(app.runtime, "MUG-BLUE", price=1450, stock=3, slug="blue-mug", title="Blue mug")
        async with chromium(ARTIFACTS) as browser:
            from playwright.async_api import expect
            page = await (await browser.new_context(viewport=LAPTOP)).new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))

            async def shots(name: str) -> None:
                for width, size in (("laptop", LAPTOP), ("phone", PHONE)):
                    await page.set_viewport_size(size)
                    await page.screenshot(path=str(ARTIFACTS / f"razorpay-{name}-{width}.png"))
                await page.set_viewport_size(LAPTOP)

            number = await place_order_in_browser(page, base_url, re.compile("Razorpay"))
            step = page.locator("[data-payment-step]")
            pay = step.get_by_role("button", name=re.compile("^Pay "))
            await expect(pay).to_be_enabled()  # checkout.js loaded and the plugin's script is ready
            await shots("payment-step")

            await pay.click()
            window = page.frame_locator("iframe[title='Razorpay Checkout']")
            await expect(window.get_by_role("button", name="Pay 33.90 EUR")).to_be_visible()
            await shots("checkout")
            await window.get_by_role("button", name="Pay 33.90 EUR").click()

            await expect(page.locator('[aria-current="step"]')).to_have_text("Paid")
            assert re.search(rf"/orders/{number}\?token=", page.url)
            await expect(page.locator("[data-payment-step]")).to_have_count(0)
            await shots("paid")
        assert problems == [], problems

        await wait_until(lambda: razorpay.deliveries == [200], what="the stand-in's payment.authorized webhook")
        assert await fetchval("SELECT status FROM orders WHERE number = {}", number) == "paid"
        rows = await fetch("SELECT kind, status, amount FROM payment_transactions ORDER BY id")
        assert [(r["kind"], r["status"], r["amount"]) for r in rows] == [("capture", "succeeded", 3390)]
        assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1
        assert [p["captured"] for p in razorpay.payments.values()] == [True]

        await inbox.wait_for(2)
        await app.runtime.queue.drain()  # every job done: nothing more will be sent
        subjects = sorted(message["Subject"] for message in inbox.messages)
        assert subjects == [f"Payment received for order {number}", f"Your order {number} at Chai Shop"]
        assert [m["To"] for m in inbox.messages] == ["grace@example.test"] * 2
