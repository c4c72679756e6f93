"""The shipping journey in Chromium against a served shop: a shopper chooses a
carrier's method at checkout and sees it on the order; staff ship half the
order, then the rest, from the admin order page; each shipment e-mail arrives
once; the label PDF carries the tracking number; the shopper's order page
shows both shipments, and the shopper asks to return one unit, which staff approve. Screenshots at 1280 and 390 pixels wide
(test-artifacts/browser/shipping-*.png). Skipped without Playwright or
Chromium unless ``SHOPWRIGHT_REQUIRE_SERVICES=1``."""
from __future__ import annotations

import io
import re
from pathlib import Path

from pypdf import PdfReader

from carrier_standin import CarrierStandIn, carrier_plugin
from engine.accounts.staff import create_staff
from engine.testing import fetch, wait_until
from engine.testing.checkout import add_product, chromium, served_shop

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
WIDTHS = {"laptop": (1280, 800), "phone": (390, 844)}
STAFF, PASSWORD = "dispatch@shop.example", "a dispatcher's long passphrase"


async def photograph(page, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        await page.set_viewport_size({"width": width, "height": height})
        await page.screenshot(path=str(ARTIFACTS / f"shipping-{name}-{label}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 800})


async def test_a_shopper_chooses_shipping_and_staff_ship_in_two_parts(shopwright_settings, smtp_inbox):
    carrier = CarrierStandIn()
    settings = shopwright_settings(theme="default", store={"name": "Parcel Shop"},
                                   mail={"smtp_host": "127.0.0.1", "smtp_port": smtp_inbox.port})
    try:
        async with chromium(ARTIFACTS) as browser, \
                served_shop(settings, [carrier_plugin(carrier.url)]) as (app, base_url):
            from playwright.async_api import expect

            await app.runtime.host.enable("carrier")
            await add_product(app.runtime, "TEE-1", price=2500, stock=5, slug="linen-tee", title="Linen tee")
            await create_staff(STAFF, PASSWORD, "owner")
            page = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()

            # The shopper picks the carrier's "Parcel" over the flat rate.
            await page.goto(f"{base_url}/p/linen-tee")
            await page.get_by_label("Quantity").fill("2")
            await page.get_by_role("button", name="Add to cart").click()
            await page.get_by_role("link", name="Go to checkout").click()
            await page.get_by_label("E-mail address").fill("grace@example.test")
            for label, value in [("First name", "Grace"), ("Last name", "Hopper"), ("Address", "Unter den Linden 1"),
                                 ("Postal code", "10117"), ("City", "Berlin")]:
                await page.get_by_label(re.compile("^" + re.escape(label))).fill(value)
            await page.get_by_label(re.compile("^Country")).select_option(label="Germany")
            await page.get_by_role("button", name="Continue").click()
            await page.get_by_label(re.compile("Parcel")).check()
            await page.get_by_role("button", name="Continue").click()
            await page.get_by_label(re.compile("Bank transfer")).check()
            await page.get_by_role("button", name="Continue").click()
            await expect(page.get_by_role("heading", name="Review your order")).to_be_visible()
            asked = carrier.calls
            await page.get_by_role("button", name="Place order").click()
            heading = page.get_by_role("heading", level=1, name=re.compile(r"Order \d+"))
            await expect(heading).to_be_visible()
            assert carrier.calls == asked, "the order was placed with the kept quote"
            order_url = page.url
            number = re.search(r"\d+", await heading.inner_text()).group(0)
            await expect(page.get_by_text("Parcel").first).to_be_visible()

            # Staff: paid, then ship one of two, then the rest.
            admin = await (await browser.new_context(viewport={"width": 1280, "height": 800})).new_page()
            await admin.goto(f"{base_url}/admin/login")
            await admin.get_by_label("E-mail address").fill(STAFF)
            await admin.get_by_label("Password").fill(PASSWORD)
            await admin.get_by_role("button", name="Sign in").click()
            await admin.wait_for_url(f"{base_url}/admin")
            await admin.goto(f"{base_url}/admin/orders/{number}")
            await admin.get_by_role("button", name="Mark paid").click()
            await expect(admin.locator("#order-status")).to_have_text("paid")
            for tracking, quantity, status in (("JJD0001", "1", "partially fulfilled"), ("JJD0002", "", "fulfilled")):
                ship = admin.get_by_role("form", name="Ship", exact=True)
                if quantity:
                    await ship.get_by_label("Units of TEE-1 to ship").fill(quantity)
                await ship.get_by_label("Tracking number").fill(tracking)
                await ship.get_by_label("Carrier").fill("DHL")
                await ship.get_by_label("Tracking address").fill(f"https://track.example/{tracking}")
                await ship.get_by_role("button", name="Ship").click()
                await expect(admin.get_by_role("status")).to_have_text("Shipment recorded.")
                await expect(admin.locator("#order-status")).to_have_text(status)
            await expect(admin.locator("#fulfillments .shipment")).to_have_count(2)
            await photograph(admin, "admin-order")

            label_link = admin.get_by_role("link", name="Label (PDF)").first
            label = await admin.request.get(base_url + await label_link.get_attribute("href"))
            assert label.ok and label.headers["content-type"] == "application/pdf"
            text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(await label.body())).pages)
            assert "JJD0001" in text and f"Order {number}" in text

            await page.goto(order_url)
            shipments = page.locator(".shipments .shipment")
            await expect(shipments).to_have_count(2)
            await expect(page.get_by_role("link", name="JJD0002")).to_have_attribute(
                "href", "https://track.example/JJD0002")
            await photograph(page, "shopper-order")

            # A return of one, asked for on the order page, then approved by staff.
            await page.get_by_label(re.compile("return how many")).fill("1")
            await page.get_by_role("button", name="Ask for a return").click()
            await expect(page.get_by_role("status")).to_contain_text("Your return request was sent")
            await photograph(page, "shopper-return")
            await admin.reload()
            await admin.get_by_role("button", name="Approve return 1").click()
            await expect(admin.locator("#returns .return")).to_contain_text("approved")
            await photograph(admin, "admin-return")

            await smtp_inbox.wait_for(4)
            await wait_until(lambda: _shipped_mails(), timeout=30)
            shipped = [m for m in smtp_inbox.messages if "has shipped" in m["Subject"]]
            bodies = sorted(m.get_body(preferencelist=("plain",)).get_content() for m in shipped)
            assert len(bodies) == 2 and "JJD0001" in bodies[0] and "JJD0002" in bodies[1]
    finally:
        carrier.close()


async def _shipped_mails() -> bool:
    rows = await fetch("SELECT dedupe_key FROM mail_deliveries WHERE dedupe_key LIKE '%order_shipped' "
                       "AND status = 'sent'")
    assert len(rows) <= 2, "one e-mail per shipment"
    return len(rows) == 2
