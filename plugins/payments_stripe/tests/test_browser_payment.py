"""A shopper pays with Stripe in a real browser (Chromium through Playwright)
on the default theme, against localstripe and its stripe.js stand-in: the
order becomes paid and each e-mail is sent once.

localstripe's stripe.js stand-in mounts plain inputs for the Card Element
and its ``confirmCardPayment`` performs only the 3-D Secure step (a dialog
with "Complete authentication"), so the card — a 3-D Secure test card — is
attached to the Payment Intent by the test, as Stripe.js would from the card
fields, before the shopper presses "Pay". Everything after that is the real
path: the stand-in confirms the intent at localstripe, the page goes to
``/checkout/return/payments_stripe``, the shop asks Stripe and records the
payment, and localstripe's signed webhook a second later changes nothing.
Skipped without Playwright or Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from engine.testing import fetch, fetchval, service_missing
from engine.testing.checkout import add_product, place_order_in_browser

sys.path.insert(0, str(Path(__file__).parent))
from stripe_support import PLUGIN, wait_for

CHROMIUM = os.environ.get("SHOPWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
pytestmark = pytest.mark.timeout(180)


async def test_a_shopper_pays_by_card_with_stripe_in_a_browser(localstripe, stripe_shop, sqlite_url, smtp_inbox):
    inbox = smtp_inbox
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError as exc:
        service_missing("the playwright package", exc)
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium at {CHROMIUM}", FileNotFoundError(CHROMIUM))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings = {"theme": "default", "store": {"name": "Card Shop"},
                "mail": {"smtp_host": "127.0.0.1", "smtp_port": inbox.port}}
    async with stripe_shop(localstripe, sqlite_url, settings=settings) as (app, base_url):
        await add_product(app.runtime, "MUG-BLUE", price=1450, stock=3, slug="blue-mug", title="Blue mug")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
            page = await (await browser.new_context()).new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            try:
                number = await place_order_in_browser(page, base_url, re.compile("Card \\(Stripe\\)"))
                step = page.locator("[data-payment-step]")
                await expect(step.get_by_role("heading", name="Pay for your order")).to_be_visible()
                pay = step.get_by_role("button", name=re.compile("^Pay "))
                await expect(pay).to_be_enabled()  # the plugin's script mounted the card element
                for field, value in [("number", "4000002760003184"), ("exp_month", "12"), ("exp_year", "34"),
                                     ("cvc", "123"), ("postal_code", "10115")]:
                    await step.get_by_placeholder(field, exact=True).fill(value)
                intent = (await step.get_attribute("data-client-secret")).split("_secret_")[0]
                assert (await localstripe.pay(intent, "4000002760003184"))["status"] == "requires_action"
                await page.screenshot(path=str(ARTIFACTS / "stripe-payment-step.png"))

                await pay.click()
                await page.get_by_role("button", name="Complete authentication").click()
                await expect(page.locator('[aria-current="step"]')).to_have_text("Paid")
                assert re.search(rf"/orders/{number}\?token=", page.url)
                await expect(page.get_by_role("heading", name="Pay for your order")).to_have_count(0)
                await page.screenshot(path=str(ARTIFACTS / "stripe-paid.png"))
            finally:
                await browser.close()
        assert problems == [], problems

        # localstripe's own payment_intent.succeeded arrives about a second later and changes nothing.
        await wait_for(lambda: _webhook_seen(), "localstripe's webhook")
        assert await fetchval("SELECT status FROM orders WHERE number = {}", number) == "paid"
        rows = await fetch("SELECT kind, status, amount FROM payment_transactions ORDER BY id")
        assert [(r["kind"], r["status"], r["amount"]) for r in rows] == [("capture", "succeeded", 3390)]
        assert await fetchval("SELECT COUNT(*) FROM outbox_events WHERE name = 'order_paid'") == 1

        await inbox.wait_for(2)
        await app.runtime.queue.drain()  # every job done: nothing more will be sent
        subjects = sorted(message["Subject"] for message in inbox.messages)
        assert subjects == [f"Payment received for order {number}", f"Your order {number} at Card Shop"]
        assert [m["To"] for m in inbox.messages] == ["grace@example.test"] * 2


async def _webhook_seen() -> bool:
    return await fetchval("SELECT COUNT(*) FROM payment_events WHERE plugin = {}", PLUGIN) >= 1


