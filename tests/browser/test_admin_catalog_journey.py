"""The merchant's catalog journey in headless Chromium against a real server:
staff turn on two-factor sign-in and sign in again with a TOTP code; create a
product with two variants (a mistyped price refused at its field first),
upload an image, add stock with a reason and see it in the stock history;
the shopper sees the product with its image in the storefront. axe-core finds
no violation on the list and the product page at either width. The pages are
photographed at 1280 and 390 pixels wide (test-artifacts/browser/admin-product*.png,
storefront-admin-product-*.png)."""
from __future__ import annotations

import re
import struct
import time
import zlib

import pyotp
import pytest
from browser_checks import accessibility_violations

pytestmark = pytest.mark.browser

OWNER = "catalog-owner@shop.example"
PASSWORD = "an admin passphrase for the catalog journey"
WIDTHS = {"wide": (1280, 800), "phone": (390, 844)}


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain one-colour PNG (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def photograph(page, screenshot, name: str) -> None:
    for label, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size({"width": 1280, "height": 800})


def sign_in_with_password(page, base: str) -> None:
    page.goto(base + "/admin/login")
    page.get_by_label("E-mail address").fill(OWNER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_staff_with_totp_create_a_product_with_variants_image_and_stock_seen_in_the_store(
        browser, server, screenshot, tmp_path):
    shop = server  # the shared server: the journey adds a product and a staff member, nothing global
    base = shop.base_url
    shop.cli("staff", "create", "--email", OWNER, "--password-stdin", "--role", "owner", stdin=PASSWORD + "\n")
    page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()

    # two-factor: enrol with the key shown, sign out, sign in again with a code
    sign_in_with_password(page, base)
    page.wait_for_url(base + "/admin")
    page.goto(base + "/admin/account/2fa")
    totp = pyotp.TOTP(page.locator(".secret").inner_text().strip())
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, base)
    page.wait_for_url(re.compile(r".*/admin/login/2fa.*"))
    page.get_by_label("Code").fill(totp.at(time.time() + 30))  # a code not used before
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base + "/admin")

    # a new product with two variants; a price with a comma is refused at its field first
    page.get_by_role("link", name="Products").click()
    page.get_by_role("link", name="New product").click()
    page.get_by_label("Title").fill("Harbour raincoat")
    page.get_by_label("Slug (the address: /p/slug)").fill("harbour-raincoat")
    page.get_by_label("Status").select_option("published")
    page.get_by_label("Description").fill("Waxed cotton, lined.")
    for index, (sku, options, price, weight) in enumerate((("RAIN-S", "size: S", "129,00", "900"),
                                                          ("RAIN-M", "size: M", "129.00", "950"))):
        page.locator(f"#v-{index}-sku").fill(sku)
        page.locator(f"#v-{index}-options").fill(options)
        page.locator(f"#v-{index}-price").fill(price)
        page.locator(f"#v-{index}-weight").fill(weight)
    page.get_by_role("button", name="Create product").click()
    assert page.locator("#v-0-price-error").is_visible()
    assert page.locator("#v-0-price").input_value() == "129,00"
    page.locator("#v-0-price").fill("129.00")
    page.get_by_role("button", name="Create product").click()
    page.wait_for_url(re.compile(r".*/admin/products/\d+\?done=created"))
    product_url = page.url.split("?")[0]
    assert page.locator("#v-1-sku").input_value() == "RAIN-M"

    # an image, told by its bytes
    picture = tmp_path / "raincoat.png"
    picture.write_bytes(png(480, 360, (46, 94, 140)))
    page.set_input_files("#f-image", str(picture))
    page.get_by_label("Description of the image (alt text)").fill("Harbour raincoat in navy")
    page.get_by_role("button", name="Upload image").click()
    page.wait_for_url(re.compile(r".*\?done=image"))
    image = page.get_by_role("img", name="Harbour raincoat in navy")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 480

    # stock with a reason, kept in the history
    page.locator("#s-sku").select_option("RAIN-M")
    page.get_by_label("Quantity").fill("+7")
    page.get_by_label("Reason").fill("Delivery from Hamburg")
    page.get_by_role("button", name="Adjust stock").click()
    page.wait_for_url(re.compile(r".*\?done=stock"))
    assert "7 on hand" in page.locator('[data-stock="RAIN-M"]').inner_text()
    history = page.locator("#stock-history").inner_text()
    assert "Delivery from Hamburg" in history and "+7" in history and OWNER in history
    photograph(page, screenshot, "admin-product")
    page.goto(base + "/admin/products?q=RAIN")
    assert page.locator("#product-list").get_by_role("link", name="Harbour raincoat").is_visible()
    photograph(page, screenshot, "admin-products")
    assert accessibility_violations(page, ["/admin/products", product_url.split(base)[1]]) == {}

    # it goes into a collection, typed by its slug
    page.goto(base + "/admin/collections")
    page.get_by_label("Slug", exact=True).fill("rainwear")
    page.get_by_label("Title", exact=True).fill("Rainwear")
    page.get_by_label("Products (their slugs").fill("harbour-raincoat")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url(re.compile(r".*/admin/collections/rainwear\?done=1"))
    photograph(page, screenshot, "admin-collection")
    page.goto(base + "/admin/attributes")
    photograph(page, screenshot, "admin-attributes")
    assert accessibility_violations(page, ["/admin/collections", "/admin/collections/rainwear",
                                           "/admin/attributes"]) == {}

    # the shopper sees it, with its image
    shopper = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    shopper.goto(base + "/p/harbour-raincoat")
    assert shopper.get_by_role("heading", name="Harbour raincoat").is_visible()
    storefront_image = shopper.get_by_role("img", name="Harbour raincoat in navy").first
    assert storefront_image.evaluate("img => img.complete && img.naturalWidth") == 480
    photograph(shopper, screenshot, "storefront-admin-product")
    page.goto(product_url)
