"""In Chromium against a served shop: the home page shows the shipping promise
of the rate table (not a theme setting), the checkout shows the stand-in
carrier's live quote beside the table rates, and the order is placed with the
kept quote (no second carrier call). Screenshots at 1280 and 390 pixels wide
(test-artifacts/browser/carrier-*.png). Skipped without Playwright or Chromium
unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

import re
from pathlib import Path

from engine.testing.checkout import add_product, chromium, served, served_shop
from rate_api_standin import API_KEY, CarrierStandIn, rate
from shopwright_shipping_rates import plugin
from shopwright_shipping_rates.rate_csv import HEADER, read_rates
from shopwright_shipping_rates.store import replace_rates

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
TABLE = (f"{','.join(HEADER)}\nGermany,DE,,standard,Standard,subtotal,,60.00,4.90,EUR\n"
         "Germany,DE,,standard,Standard,subtotal,60.00,,0.00,EUR\n")


async def photograph(page, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(ARTIFACTS / f"carrier-{name}-{label}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 800})


async def test_carrier_quote_at_checkout_and_the_promise_on_the_home_page(shopwright_settings):
    carrier = CarrierStandIn()
    carrier.rates = [rate("express", "12.90", estimated_days=[1, 1])]
    settings = shopwright_settings(theme="default", store={"name": "Parcel Shop"})
    async with chromium(ARTIFACTS) as browser, served(carrier.app) as carrier_url, \
            served_shop(settings, [plugin]) as (app, base_url):
        from playwright.async_api import expect

        host = app.runtime.host
        await host.enable("shipping_rates")
        await host.configure("shipping_rates", {"api_base": carrier_url, "api_key": API_KEY})
        await replace_rates(app.runtime, read_rates(TABLE, "EUR"))
        await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="linen-tee", title="Linen tee")
        page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()

        await page.goto(f"{base_url}/")
        await expect(page.get_by_role("complementary", name="Shipping")).to_have_text(
            "Free delivery on orders over €60.00")
        await photograph(page, "home")

        await page.goto(f"{base_url}/p/linen-tee")
        await page.get_by_role("button", name="Add to cart").click()
        await page.get_by_role("link", name="Go to checkout").click()
        await page.get_by_label("E-mail address").fill("grace@example.test")
        for label, value in [("First name", "Grace"), ("Last name", "Hopper"), ("Address", "Unter den Linden 1"),
                             ("Postal code", "10117"), ("City", "Berlin")]:
            await page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
        await page.get_by_label(re.compile("^Country")).select_option(label="Germany")
        await page.get_by_role("button", name="Continue").click()
        express = page.get_by_label(re.compile(r"^Express – €12\.90"))   # the carrier's live quote
        await expect(express).to_be_visible()
        await photograph(page, "shipping-step")
        await expect(page.get_by_label(re.compile(r"^Standard – €4\.90"))).to_be_visible()   # the table's rate
        await express.check()
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_label(re.compile("Bank transfer")).check()
        await page.get_by_role("button", name="Continue").click()
        await expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
        asked = carrier.calls
        await page.get_by_role("button", name="Place order").click()
        await expect(page.get_by_role("heading", level=1, name=re.compile(r"Order \d+"))).to_be_visible()
        assert carrier.calls == asked, "the order was placed with the kept quote"
        await expect(page.get_by_text("Express").first).to_be_visible()
        await expect(page.get_by_text("€12.90").first).to_be_visible()
