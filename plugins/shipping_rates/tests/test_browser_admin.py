"""In Chromium against a served shop: a merchant signs in, adds a zone and a
method with a delivery estimate on the plugin's admin page (a mistyped
country is shown at its field first), and a shopper then sees the method's
quote and estimate at checkout and on the order. Screenshots at 1280 and 390
pixels wide (test-artifacts/browser/shipping-admin-*.png). Skipped without
Playwright or Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

import re
from pathlib import Path

from engine.testing.admin import PASSWORD, create_staff_member
from engine.testing.checkout import add_product, chromium, served_shop
from shopwright_shipping_rates import plugin

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "browser"
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}


async def photograph(page, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(ARTIFACTS / f"shipping-admin-{name}-{label}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 800})


async def test_merchant_adds_a_zone_and_method_and_the_shopper_is_quoted(shopwright_settings):
    settings = shopwright_settings(theme="default", store={"name": "Parcel Shop"})
    async with chromium(ARTIFACTS) as browser, served_shop(settings, [plugin]) as (app, base_url):
        from playwright.async_api import expect

        await app.runtime.host.enable("shipping_rates")
        await app.runtime.host.configure("core_shipping", {"countries": "FR"})   # the table alone ships to DE
        await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="linen-tee", title="Linen tee")
        email = await create_staff_member(app)

        admin = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await admin.goto(f"{base_url}/admin/login")
        await admin.get_by_label("E-mail address").fill(email)
        await admin.get_by_label("Password").fill(PASSWORD)
        await admin.get_by_role("button", name="Sign in").click()
        await admin.wait_for_url(f"{base_url}/admin")
        await admin.goto(f"{base_url}/admin/plugins/shipping_rates")
        await admin.get_by_role("link", name="Shipping rates").first.click()
        await expect(admin.get_by_role("heading", level=1, name="Shipping rates")).to_be_visible()

        add_zone = admin.locator("section", has=admin.get_by_role("heading", name="Add a zone"))
        await add_zone.get_by_label("Name").fill("Germany")
        await add_zone.get_by_label("Countries").fill("DE XY")
        await add_zone.get_by_role("button", name="Add zone").click()
        await expect(add_zone.get_by_role("alert")).to_contain_text("Unknown country XY")
        await photograph(admin, "field-error")
        await add_zone.get_by_label("Countries").fill("DE")
        await add_zone.get_by_role("button", name="Add zone").click()
        await expect(admin.get_by_role("status")).to_contain_text("Saved")

        zone = admin.locator("section.zone", has=admin.get_by_role("heading", name="Germany"))
        await zone.get_by_text("Add a method to Germany").click()
        adding = zone.locator("form", has=admin.get_by_role("button", name="Add method"))
        await adding.get_by_label("Method id").fill("parcel")
        await adding.get_by_label("Label shoppers see").fill("Parcel")
        await adding.get_by_label("Priced by").select_option("flat")
        await adding.get_by_label("Delivery from (business days)").fill("2")
        await adding.get_by_label("Delivery up to (business days)").fill("4")
        await adding.get_by_label("Price (EUR)").fill("4.90")
        await photograph(admin, "method-form")
        await adding.get_by_role("button", name="Add method").click()
        await expect(admin.get_by_role("heading", level=3, name=re.compile("^Parcel"))).to_be_visible()
        await expect(admin.get_by_text("Flat price · 2–4 business days")).to_be_visible()
        await photograph(admin, "rates")

        shopper = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
        await shopper.goto(f"{base_url}/p/linen-tee")
        await shopper.get_by_role("button", name="Add to cart").click()
        await shopper.get_by_role("link", name="Go to checkout").click()
        await shopper.get_by_label("E-mail address").fill("grace@example.test")
        for label, value in [("First name", "Grace"), ("Last name", "Hopper"), ("Address", "Unter den Linden 1"),
                             ("Postal code", "10117"), ("City", "Berlin")]:
            await shopper.get_by_label(re.compile("^" + re.escape(label))).fill(value)
        await shopper.get_by_label(re.compile("^Country")).select_option(label="Germany")
        await shopper.get_by_role("button", name="Continue").click()
        parcel = shopper.get_by_label(re.compile(r"^Parcel – €4\.90 2–4 business days"))
        await expect(parcel).to_be_visible()
        await photograph(shopper, "checkout")
        await parcel.check()
        await shopper.get_by_role("button", name="Continue").click()
        await shopper.get_by_label(re.compile("Bank transfer")).check()
        await shopper.get_by_role("button", name="Continue").click()
        await shopper.get_by_role("button", name="Place order").click()
        await expect(shopper.get_by_role("heading", level=1, name=re.compile(r"Order \d+"))).to_be_visible()
        await expect(shopper.get_by_text("Delivery in 2–4 business days after dispatch.")).to_be_visible()
        await photograph(shopper, "order")
