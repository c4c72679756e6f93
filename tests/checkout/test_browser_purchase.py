"""A shopper buys with the manual payment method in a real browser (Chromium
through Playwright) on the default theme, against a served app, and receives
the confirmation e-mail over SMTP. Skipped without Playwright or Chromium
unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest

from engine.catalog import services as catalog
from engine.testing.checkout import add_product
from engine.testing import service_missing

CHROMIUM = os.environ.get("SHOPWRIGHT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture
def inbox(smtp_inbox):
    return smtp_inbox


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_shopper_buys_with_bank_transfer_and_gets_the_confirmation(serve_shop, sqlite_url, inbox, javascript):
    try:
        from playwright.async_api import async_playwright, expect
    except ImportError as exc:
        service_missing("the playwright package", exc)
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium at {CHROMIUM}", FileNotFoundError(CHROMIUM))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with serve_shop(database_url=sqlite_url, theme="default",
                          mail={"smtp_host": "127.0.0.1", "smtp_port": inbox.port},
                          store={"name": "Browser Shop"}) as (app, base_url):
        await add_product(app.runtime, "MUG-BLUE", price=1450, stock=3, slug="blue-mug", title="Blue mug")
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
            context = await browser.new_context(java_script_enabled=javascript)
            page = await context.new_page()
            problems: list[str] = []
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            try:
                await page.goto(f"{base_url}/p/blue-mug")
                assert await page.locator("body").get_attribute("data-theme") == "default"
                await page.get_by_label("Quantity").fill("2")
                await page.get_by_role("button", name="Add to cart").click()
                await expect(page.get_by_role("heading", level=1, name="Your cart")).to_be_visible()
                await expect(page.get_by_text("€29.00").first).to_be_visible()
                await page.get_by_role("link", name="Go to checkout").click()

                await page.get_by_label("E-mail address").fill("grace@example.test")
                for label, value in [("First name", "Grace"), ("Last name", "Hopper"),
                                     ("Address", "Keizersgracht 123"), ("Postal code", "1015 CJ"),
                                     ("City", "Amsterdam")]:
                    await page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
                await page.get_by_label(re.compile("^Country")).select_option(label="Netherlands")
                await page.get_by_role("button", name="Continue").click()
                await expect(page.get_by_label(re.compile("Standard shipping"))).to_be_checked()
                await page.get_by_role("button", name="Continue").click()
                await page.get_by_label(re.compile("Bank transfer")).check()
                await page.get_by_role("button", name="Continue").click()
                await expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
                await expect(page.get_by_text("€33.90").first).to_be_visible()
                await page.screenshot(path=str(ARTIFACTS / f"checkout-review-{'js' if javascript else 'nojs'}.png"))
                await page.get_by_role("button", name="Place order").click()

                heading = page.get_by_role("heading", level=1, name=re.compile(r"Order \d+"))
                await expect(heading).to_be_visible()
                number = re.search(r"\d+", await heading.inner_text()).group(0)
                await expect(page.get_by_text("How to pay:")).to_be_visible()
                await page.screenshot(path=str(ARTIFACTS / f"checkout-order-{'js' if javascript else 'nojs'}.png"))
            finally:
                await context.close()
                await browser.close()
        assert problems == [], problems
        for _ in range(200):
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
        [confirmation] = inbox.messages
        assert confirmation["To"] == "grace@example.test"
        assert confirmation["Subject"] == f"Your order {number} at Browser Shop"
        assert "2 × Blue mug (MUG-BLUE)" in confirmation.get_body(preferencelist=("plain",)).get_content()
        assert (await catalog.get_variants(["MUG-BLUE"]))["MUG-BLUE"]["quantity_available"] == 1
